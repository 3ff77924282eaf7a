"""Surveys: created once when a ticket is resolved and sent through the outbox; answered once, by
the customer's link or an agent's call; every refusal writes nothing."""

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from kefu.core.models import AuditEvent
from kefu.feedback import links, services, subjects
from kefu.feedback.models import CustomerMood, SatisfactionTally, SentVia, Survey, SurveyReason
from kefu.notifications.models import OutboxMessage
from kefu.tickets.models import Ticket, TicketEvent
from tests.factories import CustomerFactory
from tests.feedback.scene import expire, open_ticket, resolve, resolved_survey, token

pytestmark = pytest.mark.django_db


def written() -> dict:
    """What an answer may write, counted: a refusal leaves every number as it was."""
    return {
        "answered": Survey.objects.filter(answered_at__isnull=False).count(),
        "tallies": SatisfactionTally.objects.count(),
        "moods": CustomerMood.objects.count(),
        "tickets": Ticket.objects.count(),
        "events": TicketEvent.objects.count(),
        "audit": AuditEvent.objects.count(),
        "outbox": OutboxMessage.objects.count(),
    }


def test_resolving_a_ticket_creates_and_sends_its_survey_once(agent, team):
    ticket = open_ticket(agent)
    resolve(ticket, agent)
    survey = Survey.objects.get(ticket=ticket)
    assert (survey.subject_kind, survey.subject_id) == (subjects.TICKET, ticket.pk)
    assert survey.customer_id == ticket.customer_id
    assert (survey.agent_id, survey.team_id, survey.channel) == (agent.pk, team.pk, "phone")
    assert survey.region  # the customer's province
    assert survey.sent_via == SentVia.SMS
    assert survey.sent_at is not None
    message = OutboxMessage.objects.get(kind="feedback.survey")
    assert links.link_path(survey) in message.body
    # Reopened and resolved again: still one survey, not sent again.
    from kefu.tickets import services as ticket_services

    ticket_services.transition_ticket(ticket=ticket, by=agent, status="open")
    resolve(ticket, agent)
    assert Survey.objects.filter(ticket=ticket).count() == 1
    assert OutboxMessage.objects.filter(kind="feedback.survey").count() == 1


def test_a_customer_without_phone_or_email_gets_an_unsent_survey(agent, team):
    customer = CustomerFactory(email="")
    survey = resolved_survey(agent, customer)
    assert survey.sent_via == SentVia.NONE
    assert survey.sent_at is None
    assert not OutboxMessage.objects.filter(kind="feedback.survey").exists()


def test_a_satisfied_answer_by_link_is_counted_once(agent, team):
    survey = resolved_survey(agent)
    services.record_survey_answer(survey=survey, satisfied=True, comment="师傅很专业", via="link")
    survey.refresh_from_db()
    assert survey.is_satisfied is True
    assert survey.answered_via == "link"
    assert survey.recovery_ticket is None
    assert survey.comment == "师傅很专业"
    total = SatisfactionTally.objects.get(dimension="all")
    assert (total.answered, total.dissatisfied) == (1, 0)
    assert CustomerMood.objects.get(customer=survey.customer).last_happy_at == survey.answered_at
    assert TicketEvent.objects.filter(ticket=survey.ticket, kind="survey_answered").count() == 1


def test_answering_twice_is_refused_and_writes_nothing(agent, team):
    survey = resolved_survey(agent)
    services.record_survey_answer(survey=survey, satisfied=True, via="link")
    before = written()
    stale = Survey.objects.get(pk=survey.pk)
    for satisfied in (True, False):
        with pytest.raises(services.AlreadyAnswered) as refused:
            services.record_survey_answer(
                survey=stale, satisfied=satisfied, reason=None if satisfied else "slow", via="link"
            )
        assert refused.value.status == 409
    assert written() == before
    survey.refresh_from_db()
    assert survey.is_satisfied is True


def test_answering_twice_by_a_call_is_refused_too(agent, team):
    survey = resolved_survey(agent)
    services.record_survey_answer(survey=survey, satisfied=False, reason="slow", via="link")
    before = written()
    with pytest.raises(services.AlreadyAnswered):
        services.record_survey_answer(survey=survey, satisfied=True, via="call", by=agent)
    assert written() == before


def test_a_tampered_link_opens_nothing(agent, team):
    survey = resolved_survey(agent)
    good = token(survey)
    pk, signature = good.split(":", 1)
    for bad in (
        f"{int(pk) + 1}:{signature}",
        good[:-1] + ("A" if good[-1] != "A" else "B"),
        "",
        "x" * 200,
        pk,
    ):
        with pytest.raises(links.SurveyLinkNotFound) as refused:
            links.open_link(bad)
        assert refused.value.status == 404
    assert links.open_link(good) == survey


def test_an_expired_link_is_refused_clearly_and_writes_nothing(agent, team):
    survey = resolved_survey(agent)
    expire(survey)
    before = written()
    with pytest.raises(links.SurveyLinkExpired) as refused:
        services.record_survey_answer(survey=survey, satisfied=False, reason="slow", via="link")
    assert refused.value.status == 410
    with translation.override("en"):
        assert "expired" in str(refused.value.message)
    assert written() == before


def test_an_agent_may_record_an_answer_after_the_link_expired(agent, team):
    survey = resolved_survey(agent)
    expire(survey)
    services.record_survey_answer(survey=survey, satisfied=True, via="call", by=agent)
    survey.refresh_from_db()
    assert (survey.answered_via, survey.recorded_by) == ("call", agent)


@pytest.mark.parametrize(
    ("satisfied", "reason", "comment", "via", "field"),
    [
        (False, "no-such-reason", "", "link", "reason"),
        (False, "inactive", "", "link", "reason"),
        (True, "slow", "", "link", "reason"),
        (False, None, "x" * 20_000, "link", "comment"),
        (False, None, "a\x00b", "link", "comment"),
        (False, None, "", "fax", "via"),
        (False, None, "", "call", "via"),  # a call's answer needs the member of staff
        ("yes", None, "", "link", "satisfied"),
    ],
)
def test_bad_answers_are_refused_naming_the_field_and_write_nothing(
    agent, team, satisfied, reason, comment, via, field
):
    SurveyReason.objects.create(code="inactive", name="旧原因", is_active=False)
    survey = resolved_survey(agent)
    before = written()
    with pytest.raises(ValidationError) as refused:
        services.record_survey_answer(
            survey=survey, satisfied=satisfied, reason=reason, comment=comment, via=via
        )
    assert field in refused.value.message_dict
    assert written() == before
    survey.refresh_from_db()
    assert survey.answered_at is None


def test_the_seeded_reasons_are_offered():
    codes = set(SurveyReason.objects.filter(is_active=True).values_list("code", flat=True))
    assert {"slow", "not_fixed", "attitude", "other"} <= codes


def test_an_unknown_subject_kind_is_a_programming_error():
    with pytest.raises(LookupError):
        services.create_survey(subject_kind="nothing", subject_id=1)


def test_a_registered_subject_kind_is_asked_about_like_a_ticket(agent, team):
    customer = CustomerFactory()
    subjects.register(
        subjects.SubjectKind(
            code="test_visit",
            label="上门",
            read=lambda pk: (
                subjects.SubjectFacts(customer=customer, region="广东省", channel="phone")
                if pk == 7
                else None
            ),
        )
    )
    survey = services.create_survey(subject_kind="test_visit", subject_id=7)
    assert survey is not None
    assert survey.ticket is None
    assert survey.region == "广东省"
    assert services.create_survey(subject_kind="test_visit", subject_id=7) == survey
    assert services.create_survey(subject_kind="test_visit", subject_id=8) is None


def test_a_merged_duplicate_is_not_asked_about(agent, team):
    from kefu.tickets import services as ticket_services

    original = open_ticket(agent)
    duplicate = open_ticket(agent, original.customer)
    ticket_services.merge_ticket(duplicate=duplicate, into=original, by=agent)
    assert not Survey.objects.exists()
    resolve(original, agent)
    assert list(Survey.objects.values_list("ticket", flat=True)) == [original.pk]
