"""GET /notifications, POST /notifications/{id}/read and /notifications/read-all: each person
sees and marks only their own."""

import pytest

from kefu.notifications import services
from kefu.notifications.models import Notification
from tests.factories import make_user
from tests.notifications.conftest import CONTEXT

pytestmark = pytest.mark.django_db


def notify(kind, user, count=1):
    for _ in range(count):
        services.notify(kind=kind, recipients=[user], context=CONTEXT, link="/customers/")


def test_the_list_is_newest_first_with_the_unread_count(kind, agent, agent_client):
    notify(kind, agent, 3)
    newest = Notification.objects.order_by("-id").first()

    body = agent_client.get("/api/v1/notifications").json()

    assert next(item["id"] for item in body["items"]) == newest.pk
    assert body["unread_count"] == 3
    assert body["next_cursor"] is None
    item = body["items"][0]
    assert item["title"] == "工单 KF2611240001 已转给您"
    assert (item["kind"], item["link"], item["is_read"], item["read_at"]) == (
        kind,
        "/customers/",
        False,
        None,
    )


def test_the_list_pages_by_cursor_and_filters_unread(kind, agent, agent_client):
    notify(kind, agent, 3)
    services.mark_read(user=agent, ids=[Notification.objects.order_by("id").first().pk])

    first = agent_client.get("/api/v1/notifications", {"limit": 1, "unread": "true"}).json()
    second = agent_client.get(
        "/api/v1/notifications", {"limit": 1, "unread": "true", "cursor": first["next_cursor"]}
    ).json()

    assert len(first["items"]) == len(second["items"]) == 1
    assert second["next_cursor"] is None
    assert first["items"][0]["id"] > second["items"][0]["id"]
    assert agent_client.get("/api/v1/notifications", {"cursor": "forged"}).status_code == 400


def test_nobody_sees_anothers_notifications(kind, agent, agent_client):
    other = make_user("agent", username="other")
    notify(kind, other)
    theirs = Notification.objects.get()

    assert agent_client.get("/api/v1/notifications").json()["items"] == []
    response = agent_client.post(f"/api/v1/notifications/{theirs.pk}/read")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_mark_one_read(kind, agent, agent_client):
    notify(kind, agent)
    mine = Notification.objects.get()

    body = agent_client.post(f"/api/v1/notifications/{mine.pk}/read").json()

    assert body["is_read"] is True
    assert body["read_at"]
    assert agent_client.post(f"/api/v1/notifications/{mine.pk}/read").status_code == 200  # again: no change


def test_read_all_marks_only_ones_own(kind, agent, agent_client):
    other = make_user("agent", username="other")
    notify(kind, agent, 2)
    notify(kind, other)

    assert agent_client.post("/api/v1/notifications/read-all").json() == {"marked": 2}
    assert Notification.objects.filter(recipient=other, read_at__isnull=True).count() == 1


def test_the_list_costs_the_same_queries_on_any_page(kind, agent, agent_client, django_assert_num_queries):
    notify(kind, agent, 5)
    agent_client.get("/api/v1/notifications")  # the session is read once per client

    with django_assert_num_queries(4) as small:  # session, user, the page, the unread COUNT
        first = agent_client.get("/api/v1/notifications", {"limit": 2}).json()
    with django_assert_num_queries(len(small.captured_queries)):
        agent_client.get("/api/v1/notifications", {"limit": 2, "cursor": first["next_cursor"]})
