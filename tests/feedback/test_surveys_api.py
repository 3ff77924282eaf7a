"""The surveys' API: staff lists and answers from a call; the customer's public survey by token.
Every refusal answers in the one error shape and writes nothing."""

import json

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from kefu.feedback.models import Survey
from kefu.tickets.models import Ticket
from tests.feedback.scene import expire, resolved_survey, token
from tests.feedback.test_surveys import written

pytestmark = pytest.mark.django_db


def send(client, method, path, data=None):
    return getattr(client, method)(
        f"/api/v1{path}", json.dumps(data if data is not None else {}), content_type="application/json"
    )


def test_the_customer_reads_and_answers_their_survey_without_credentials(client, agent, supervisor, team):
    survey = resolved_survey(agent)
    path = f"/public/surveys/{token(survey)}"
    answer = client.get(f"/api/v1{path}")
    assert answer.status_code == 200
    body = answer.json()
    assert body["answered"] is False
    assert body["number"] == survey.ticket.number
    assert "slow" in [reason["code"] for reason in body["reasons"]]
    answer = send(client, "post", path, {"satisfied": False, "reason": "slow", "comment": "等了三天"})
    assert answer.status_code == 200, answer.content
    survey.refresh_from_db()
    assert survey.recovery_ticket is not None
    assert survey.comment == "等了三天"
    assert client.get(f"/api/v1{path}").json()["answered"] is True


def test_a_second_answer_is_a_409_and_writes_nothing(client, agent, team):
    survey = resolved_survey(agent)
    path = f"/public/surveys/{token(survey)}"
    assert send(client, "post", path, {"satisfied": True}).status_code == 200
    before = written()
    answer = send(client, "post", path, {"satisfied": False, "reason": "slow"})
    assert answer.status_code == 409
    assert answer.json()["code"] == "already_answered"
    assert written() == before


def test_a_tampered_token_is_a_404_like_the_portals(client, agent, team):
    survey = resolved_survey(agent)
    good = token(survey)
    before = written()
    for bad in (good[:-2] + "xy", f"{survey.pk + 1}:{good.split(':')[1]}"):
        answer = send(client, "post", f"/public/surveys/{bad}", {"satisfied": True})
        assert answer.status_code == 404
        assert answer.json()["code"] == "link_not_found"
        assert client.get(f"/api/v1/public/surveys/{bad}").status_code == 404
    assert written() == before


def test_an_expired_link_is_a_410_that_says_so(client, agent, team):
    survey = resolved_survey(agent)
    expire(survey)
    before = written()
    path = f"/public/surveys/{token(survey)}"
    answer = send(client, "post", path, {"satisfied": True})
    assert answer.status_code == 410
    assert answer.json()["code"] == "link_expired"
    assert client.get(f"/api/v1{path}").status_code == 410
    assert written() == before


@pytest.mark.parametrize(
    ("data", "status", "field"),
    [
        ({"satisfied": False, "reason": "nope"}, 422, "reason"),
        ({"satisfied": True, "reason": "slow"}, 422, "reason"),
        ({"satisfied": False, "comment": "a\u0000b"}, 400, "comment"),
        ({"satisfied": "maybe"}, 400, "satisfied"),
        ({}, 400, "satisfied"),
        ({"satisfied": True, "extra": 1}, 400, "extra"),
    ],
)
def test_bad_public_answers_name_the_field_and_write_nothing(client, agent, team, data, status, field):
    survey = resolved_survey(agent)
    before = written()
    answer = send(client, "post", f"/public/surveys/{token(survey)}", data)
    assert answer.status_code == status, answer.content
    assert field in json.dumps(answer.json()["fields"])
    assert written() == before


def test_an_agent_records_an_answer_from_a_call(client, agent, supervisor, team):
    survey = resolved_survey(agent)
    client.force_login(agent)
    answer = send(client, "post", f"/surveys/{survey.pk}/answer", {"satisfied": False, "reason": "attitude"})
    assert answer.status_code == 200, answer.content
    body = answer.json()
    assert body["answer"]["via"] == "call"
    assert body["answer"]["recorded_by"] == agent.pk
    assert body["answer"]["reason"] == "attitude"
    assert body["recovery_ticket"] == Ticket.objects.get(type="complaint").pk
    assert body["url"] is None
    again = send(client, "post", f"/surveys/{survey.pk}/answer", {"satisfied": True})
    assert again.status_code == 409


def test_surveys_list_filters_and_pages_in_a_fixed_number_of_queries(client, agent, supervisor, team):
    surveys = [resolved_survey(agent) for _ in range(3)]
    client.force_login(supervisor)
    answer = client.get(f"/api/v1/surveys?ticket={surveys[0].ticket_id}")
    assert [item["id"] for item in answer.json()["items"]] == [surveys[0].pk]
    assert answer.json()["items"][0]["subject"] == {"kind": "ticket", "id": surveys[0].ticket_id}
    assert answer.json()["items"][0]["url"].endswith(f"/s/{token(surveys[0])}/")
    with CaptureQueriesContext(connection) as few:
        first = client.get("/api/v1/surveys?limit=1").json()
    resolved_survey(agent)
    with CaptureQueriesContext(connection) as more:
        client.get("/api/v1/surveys?limit=4")
    assert len(more) == len(few)
    second = client.get(f"/api/v1/surveys?limit=1&cursor={first['next_cursor']}").json()
    assert second["items"][0]["id"] < first["items"][0]["id"]
    customer = surveys[1].customer_id
    assert [i["id"] for i in client.get(f"/api/v1/surveys?customer={customer}").json()["items"]] == [
        surveys[1].pk
    ]


def test_a_technician_and_an_outsider_may_not_read_surveys(client, agent, team, technician, outsider):
    survey = resolved_survey(agent)
    for user in (technician, outsider):
        client.force_login(user)
        assert client.get("/api/v1/surveys").status_code == 403
        assert client.get(f"/api/v1/surveys/{survey.pk}").status_code == 403
        before = written()
        assert send(client, "post", f"/surveys/{survey.pk}/answer", {"satisfied": True}).status_code == 403
        assert written() == before
    assert Survey.objects.get(pk=survey.pk).answered_at is None


def test_the_public_survey_is_limited_per_address_and_a_limited_answer_writes_nothing(
    client, agent, team, settings
):
    settings.PUBLIC_LINK_REQUESTS_PER_MINUTE = 2
    survey = resolved_survey(agent)
    path = f"/public/surveys/{token(survey)}"
    assert client.get(f"/api/v1{path}").status_code == 200
    assert client.get(f"/api/v1{path}").status_code == 200
    before = written()

    answer = send(client, "post", path, {"satisfied": False, "reason": "slow"})

    assert answer.status_code == 429
    assert answer.json()["code"] == "too_many_requests"
    assert 1 <= int(answer["Retry-After"]) <= 60
    assert client.get(f"/api/v1{path}").status_code == 429
    assert written() == before
    survey.refresh_from_db()
    assert survey.answered_at is None
    # Another address is not held back.
    assert send(Client(REMOTE_ADDR="192.0.2.7"), "post", path, {"satisfied": True}).status_code == 200
