"""Follow-ups through /api/v1/ and the queue's pages: each answer, each refusal (status, field,
nothing written), who sees whose queue, masked phones, and what a page costs."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from kefu.core.models import AuditEvent
from kefu.feedback.models import FollowUp, FollowUpKind, FollowUpStatus
from kefu.tickets.models import Ticket
from tests.factories import customer_with_phone, make_user
from tests.feedback.scene import open_ticket, resolve
from tests.tickets.test_api import assert_refused, send

pytestmark = pytest.mark.django_db
DAY = datetime.timedelta(days=1)


def get(client, path: str):
    return client.get(f"/api/v1{path}")


def resolved_follow_up(agent, customer=None) -> FollowUp:
    ticket = resolve(open_ticket(agent, customer), agent)
    return FollowUp.objects.get(kind=FollowUpKind.AFTER_TICKET, ticket=ticket)


def counts() -> tuple:
    return (
        FollowUp.objects.filter(status=FollowUpStatus.DONE).count(),
        Ticket.objects.count(),
        AuditEvent.objects.count(),
    )


def test_my_queue_lists_my_follow_ups_with_masked_phone_and_script(agent_client, agent, team):
    follow_up = resolved_follow_up(agent, customer_with_phone("+8613812345678", name="王女士"))
    body = get(agent_client, "/follow-ups").json()
    assert [item["id"] for item in body["items"]] == [follow_up.pk]
    item = body["items"][0]
    assert item["customer"]["phone"] == "138****5678"
    assert "王女士" in item["script"]
    assert follow_up.ticket.number in item["script"]
    assert item["method"] == "phone"
    assert item["is_overdue"] is False


def test_overdue_filter(agent_client, agent, team):
    late, soon = resolved_follow_up(agent), resolved_follow_up(agent)
    FollowUp.objects.filter(pk=late.pk).update(due_on=timezone.localdate() - DAY)
    items = get(agent_client, "/follow-ups?overdue=true").json()["items"]
    assert [item["id"] for item in items] == [late.pk]
    assert items[0]["is_overdue"] is True
    assert [i["id"] for i in get(agent_client, "/follow-ups?overdue=false").json()["items"]] == [soon.pk]


def test_another_persons_queue_needs_the_right(client, agent, supervisor, team):
    follow_up = resolved_follow_up(agent)
    other = make_user("agent", username="agent-two")
    client.force_login(other)
    assert_refused(get(client, f"/follow-ups?assignee={agent.pk}"), 403, code="forbidden")
    assert_refused(get(client, f"/follow-ups/{follow_up.pk}"), 404, code="not_found")
    client.force_login(supervisor)
    items = get(client, f"/follow-ups?assignee={agent.pk}").json()["items"]
    assert [item["id"] for item in items] == [follow_up.pk]


def test_record_outcome_through_the_api(agent_client, agent, team):
    follow_up = resolved_follow_up(agent)
    response = send(
        agent_client,
        "post",
        f"/follow-ups/{follow_up.pk}/outcome",
        {"outcome": "reached", "satisfied": True, "notes": "已解决", "version": follow_up.version},
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "done"
    assert body["satisfied"] is True
    assert body["survey"]
    again = send(agent_client, "post", f"/follow-ups/{follow_up.pk}/outcome", {"outcome": "reached"})
    assert_refused(again, 409, code="follow_up_not_pending")


@pytest.mark.parametrize(
    ("data", "status", "field"),
    [
        ({"outcome": "maybe"}, 422, None),
        ({"outcome": "not_reached", "satisfied": False}, 422, "satisfied"),
        ({"outcome": "reached", "surprise": 1}, 422, None),
        ({"outcome": "reached", "version": 7}, 409, None),
    ],
)
def test_bad_outcomes_are_refused_and_write_nothing(agent_client, agent, team, data, status, field):
    follow_up = resolved_follow_up(agent)
    before = counts()
    response = send(agent_client, "post", f"/follow-ups/{follow_up.pk}/outcome", data)
    assert response.status_code in (status, 400), response.content
    if field:
        assert field in response.json()["fields"]
    assert counts() == before


def test_the_queue_costs_the_same_for_2_and_20_rows(agent_client, agent, team):
    for index in range(20):
        resolved_follow_up(agent, customer_with_phone(f"+86139000001{index:02d}"))
    get(agent_client, "/follow-ups?limit=2")
    with CaptureQueriesContext(connection) as small:
        first = get(agent_client, "/follow-ups?limit=2")
    with CaptureQueriesContext(connection) as large:
        get(agent_client, "/follow-ups?limit=20")
    assert len(small) == len(large)
    seen = [item["id"] for item in first.json()["items"]]
    cursor = first.json()["next_cursor"]
    while cursor:
        page = get(agent_client, f"/follow-ups?limit=2&cursor={cursor}").json()
        seen += [item["id"] for item in page["items"]]
        cursor = page["next_cursor"]
    assert len(seen) == len(set(seen)) == 20


# --- Pages ----------------------------------------------------------------------------------------


def test_queue_page_tabs_and_page_cost(agent_client, agent, team):
    for index in range(3):
        resolved_follow_up(agent, customer_with_phone(f"+86139000002{index:02d}"))
    late = resolved_follow_up(agent, customer_with_phone("+8613900000299"))
    FollowUp.objects.filter(pk=late.pk).update(due_on=timezone.localdate() - DAY)
    page = agent_client.get("/feedback/follow-ups/")
    assert page.status_code == 200
    html = page.content.decode()
    assert f'data-kf-follow-up="{late.pk}"' in html
    assert "139****0299" in html
    overdue = agent_client.get("/feedback/follow-ups/?tab=overdue").content.decode()
    assert overdue.count("data-kf-follow-up=") == 1
    for index in range(10):
        resolved_follow_up(agent, customer_with_phone(f"+86139000003{index:02d}"))
    with CaptureQueriesContext(connection) as small:
        agent_client.get("/feedback/follow-ups/?tab=overdue")
    with CaptureQueriesContext(connection) as large:
        agent_client.get("/feedback/follow-ups/")
    assert len(small) == len(large)


def test_outcome_form_records_and_redirects(agent_client, agent, team):
    follow_up = resolved_follow_up(agent)
    detail = agent_client.get(f"/feedback/follow-ups/{follow_up.pk}/")
    assert detail.status_code == 200
    assert b"follow-up-outcome-form" in detail.content
    response = agent_client.post(
        f"/feedback/follow-ups/{follow_up.pk}/outcome/",
        {"outcome": "reached", "satisfied": "no", "comment": "还是漏水", "version": follow_up.version},
    )
    assert response.status_code == 302
    follow_up.refresh_from_db()
    assert follow_up.status == FollowUpStatus.DONE
    assert follow_up.survey.is_satisfied is False


def test_outcome_form_refusal_shows_the_form_again_and_writes_nothing(agent_client, agent, team):
    follow_up = resolved_follow_up(agent)
    before = counts()
    response = agent_client.post(
        f"/feedback/follow-ups/{follow_up.pk}/outcome/", {"outcome": "not_reached", "satisfied": "yes"}
    )
    assert response.status_code == 422
    assert b"follow-up-outcome-form" in response.content
    assert counts() == before


def test_menu_links_the_queue_for_staff_with_the_right(agent_client, team):
    assert b'href="/feedback/follow-ups/"' in agent_client.get("/").content


def test_an_outcome_retried_with_its_key_counts_one_attempt(agent_client, agent, team):
    follow_up = resolved_follow_up(agent)
    path = f"/api/v1/follow-ups/{follow_up.pk}/outcome"
    body = {"outcome": "not_reached"}
    first = agent_client.post(path, body, content_type="application/json", HTTP_IDEMPOTENCY_KEY="outcome-1")
    again = agent_client.post(path, body, content_type="application/json", HTTP_IDEMPOTENCY_KEY="outcome-1")
    assert first.status_code == again.status_code == 200, first.content
    assert first.json() == again.json()
    follow_up.refresh_from_db()
    assert follow_up.attempts == 1
