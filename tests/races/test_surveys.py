"""Real races of survey answers, on PostgreSQL: the customer's link and agents' calls answering
the same survey at once. One answer is written; the others are refused (409) with nothing
written; one recovery case is opened, one tally counted. The overlap is made certain by a row
lock the test holds until every racer waits for it (tests/races/parallel.py)."""

import pytest
from django.db import connection

from kefu.feedback import services
from kefu.feedback.models import CustomerMood, SatisfactionTally, Survey
from kefu.tickets.models import Ticket, TicketEvent, TicketType
from tests.factories import make_user
from tests.feedback.scene import resolved_survey, team_of
from tests.races.parallel import race_behind

pytestmark = [pytest.mark.postgresql, pytest.mark.django_db(transaction=True)]


def hold_row(survey: Survey):
    def hold():
        with connection.cursor() as cursor:
            cursor.execute("SELECT id FROM feedback_survey WHERE id = %s FOR UPDATE", [survey.pk])

    return hold


def answer(survey_id: int, **fields):
    def work():
        return services.record_survey_answer(survey=Survey.objects.get(pk=survey_id), **fields)

    return work


def test_parallel_not_satisfied_answers_open_one_recovery_case(agent, supervisor):
    team_of(agent, supervisor)
    colleague = make_user("agent", username="agent2")
    survey = resolved_survey(agent)
    outcomes = race_behind(
        hold_row(survey),
        answer(survey.pk, satisfied=False, reason="slow", comment="太慢了", via="link"),
        answer(survey.pk, satisfied=False, reason="attitude", via="call", by=agent),
        answer(survey.pk, satisfied=False, via="call", by=colleague),
    )
    errors = [outcome.error for outcome in outcomes]
    assert sum(error is None for error in errors) == 1, errors
    assert all(isinstance(error, services.AlreadyAnswered) for error in errors if error is not None)
    survey.refresh_from_db()
    assert survey.recovery_ticket is not None
    assert Ticket.objects.filter(type=TicketType.COMPLAINT).count() == 1
    assert TicketEvent.objects.filter(kind="survey_answered").count() == 1
    assert TicketEvent.objects.filter(kind="recovery_opened").count() == 1
    total = SatisfactionTally.objects.get(dimension="all")
    assert (total.answered, total.dissatisfied) == (1, 1)
    assert CustomerMood.objects.filter(customer=survey.customer).count() == 1


def test_a_satisfied_and_a_not_satisfied_at_once_keep_the_first(agent, supervisor):
    team_of(agent, supervisor)
    survey = resolved_survey(agent)
    outcomes = race_behind(
        hold_row(survey),
        answer(survey.pk, satisfied=True, via="link"),
        answer(survey.pk, satisfied=False, reason="slow", via="link"),
    )
    winners = [outcome.value for outcome in outcomes if outcome.error is None]
    assert len(winners) == 1
    survey.refresh_from_db()
    assert survey.is_satisfied == winners[0].is_satisfied
    cases = Ticket.objects.filter(type=TicketType.COMPLAINT).count()
    assert cases == (0 if survey.is_satisfied else 1)
    assert SatisfactionTally.objects.get(dimension="all").answered == 1
