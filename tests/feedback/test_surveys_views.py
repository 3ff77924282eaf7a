"""The survey's pages: the customer's page without login or JavaScript (plain forms, CSRF-checked),
its refusals as pages; the recovery queue with a fixed number of queries; an agent recording an
answer from the ticket's page."""

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from kefu.feedback import services
from kefu.feedback.models import Survey
from tests.feedback.scene import expire, resolved_survey, token
from tests.feedback.test_surveys import written

pytestmark = pytest.mark.django_db


def page(survey) -> str:
    return f"/s/{token(survey)}/"


def test_the_customer_answers_satisfied_with_one_tap(client, agent, team):
    survey = resolved_survey(agent)
    shown = client.get(page(survey))
    assert shown.status_code == 200
    html = shown.content.decode()
    assert 'data-kf-answer-button="satisfied"' in html
    assert 'data-kf-answer-button="not_satisfied"' in html
    assert survey.ticket.number in html
    assert survey.customer.name not in html
    answered = client.post(page(survey), {"satisfied": "yes"})
    assert answered.status_code == 302
    survey.refresh_from_db()
    assert survey.is_satisfied is True
    assert 'data-kf-answer="satisfied"' in client.get(page(survey)).content.decode()


def test_not_satisfied_shows_the_reasons_first_and_writes_nothing_until_sent(client, agent, team):
    survey = resolved_survey(agent)
    before = written()
    html = client.get(page(survey) + "?answer=no").content.decode()
    assert 'name="reason"' in html
    assert "等待时间太长" in html
    assert written() == before
    sent = client.post(page(survey), {"satisfied": "no", "reason": "slow", "comment": "等了三天"})
    assert sent.status_code == 302
    survey.refresh_from_db()
    assert (survey.is_satisfied, survey.reason.code, survey.comment) == (False, "slow", "等了三天")
    assert survey.recovery_ticket is not None


def test_the_public_post_is_csrf_checked(agent, team):
    survey = resolved_survey(agent)
    browser = Client(enforce_csrf_checks=True)
    assert browser.post(page(survey), {"satisfied": "yes"}).status_code == 403
    shown = browser.get(page(survey))
    csrf = shown.cookies["csrftoken"].value
    assert browser.post(page(survey), {"satisfied": "yes", "csrfmiddlewaretoken": csrf}).status_code == 302


def test_refusals_are_pages_that_say_why_and_write_nothing(client, agent, team):
    survey = resolved_survey(agent)
    before = written()
    tampered = client.post(f"/s/{token(survey)[:-1]}x/", {"satisfied": "yes"})
    assert tampered.status_code == 404
    assert 'data-kf-link-state="not_found"' in tampered.content.decode()
    unknown = client.post(page(survey), {"satisfied": "no", "reason": "nope"})
    assert unknown.status_code == 422
    assert 'data-kf-error="reason"' in unknown.content.decode()
    assert written() == before
    expire(survey)
    expired = client.post(page(survey), {"satisfied": "yes"})
    assert expired.status_code == 410
    assert 'data-kf-link-state="expired"' in expired.content.decode()
    assert client.get(page(survey)).status_code == 410
    assert written() == before


def test_a_second_answer_by_the_page_is_a_409_that_thanks_and_changes_nothing(client, agent, team):
    survey = resolved_survey(agent)
    client.post(page(survey), {"satisfied": "no", "reason": "slow"})
    before = written()
    again = client.post(page(survey), {"satisfied": "yes"})
    assert again.status_code == 409
    assert 'data-kf-refusal="already_answered"' in again.content.decode()
    assert written() == before
    assert Survey.objects.get(pk=survey.pk).is_satisfied is False


def test_the_recovery_queue_costs_the_same_for_one_case_or_many(client, agent, supervisor, team):
    def unhappy():
        survey = resolved_survey(agent)
        services.record_survey_answer(
            survey=survey, satisfied=False, reason="slow", comment="太慢", via="link"
        )
        return survey

    first = unhappy()
    client.force_login(supervisor)
    with CaptureQueriesContext(connection) as one:
        answer = client.get("/feedback/recovery/")
    assert answer.status_code == 200
    first.refresh_from_db()
    assert first.recovery_ticket.number in answer.content.decode()
    for _ in range(3):
        unhappy()
    with CaptureQueriesContext(connection) as four:
        answer = client.get("/feedback/recovery/")
    assert answer.content.decode().count("data-kf-case=") == 4
    assert len(four) == len(one)


def test_agents_and_technicians_do_not_see_the_recovery_queue(client, agent, technician, team):
    for user in (agent, technician):
        client.force_login(user)
        assert client.get("/feedback/recovery/").status_code == 403


def test_an_agent_records_the_answer_from_the_ticket_page(client, agent, supervisor, team):
    survey = resolved_survey(agent)
    client.force_login(agent)
    ticket_page = client.get(f"/tickets/{survey.ticket.number}/").content.decode()
    assert 'id="survey-record-form"' in ticket_page
    answered = client.post(
        f"/feedback/surveys/{survey.pk}/answer/",
        {"satisfied": "no", "reason": "attitude", "comment": "电话里说的"},
    )
    assert answered.status_code == 302
    survey.refresh_from_db()
    assert (survey.answered_via, survey.recorded_by, survey.reason.code) == ("call", agent, "attitude")
    ticket_page = client.get(f"/tickets/{survey.ticket.number}/").content.decode()
    assert 'data-kf-survey-answer="not_satisfied"' in ticket_page
    assert survey.recovery_ticket.number in ticket_page
    # The case's page shows the customer's words and the ticket it is about.
    case_page = client.get(f"/tickets/{survey.recovery_ticket.number}/").content.decode()
    assert "电话里说的" in case_page
    assert f'data-kf-recovery-of="{survey.ticket.number}"' in case_page
    assert client.get(f"/feedback/surveys/{survey.pk}/").status_code == 200


def test_the_survey_page_is_limited_per_address_with_a_plain_page_and_writes_nothing(
    client, agent, team, settings
):
    settings.PUBLIC_LINK_REQUESTS_PER_MINUTE = 1
    survey = resolved_survey(agent)
    assert client.get(page(survey)).status_code == 200
    before = written()

    answered = client.post(page(survey), {"satisfied": "no", "comment": "等了三天"})

    assert answered.status_code == 429
    assert 1 <= int(answered["Retry-After"]) <= 60
    html = answered.content.decode()
    assert 'data-kf-limit="too_many_requests"' in html
    assert "kf-portal" in html  # the customer's plain frame, no staff menu
    assert written() == before
    survey.refresh_from_db()
    assert survey.answered_at is None
