"""The generator's survey and complaint steps (feedback.generate, complaints.generate) on a small
generated data set: realistic shares, dimensions frozen from the tickets, and rollups that agree
with the rows they count — so the figures read from them equal a count over the rows."""

import datetime

import pytest
from django.db.models import Count, F, Q, Sum

from kefu.complaints.models import Complaint, ComplaintTally, Outcome
from kefu.core.generation import generate
from kefu.feedback.models import CustomerMood, SatisfactionTally, Survey
from kefu.feedback.tallies import week_of
from kefu.tickets.models import Ticket

pytestmark = pytest.mark.django_db


@pytest.fixture
def generated(db):
    return generate({"customers": 300, "products": 500, "tickets": 4000}, seed=11)


def test_surveys_for_resolved_tickets_with_realistic_shares(generated):
    resolved = Ticket.objects.filter(resolved_at__isnull=False, merged_into__isnull=True).count()
    surveys = Survey.objects.count()
    answered = Survey.objects.filter(answered_at__isnull=False)
    unhappy = answered.filter(is_satisfied=False).count()

    assert surveys == resolved > 0
    assert 0.55 <= answered.count() / surveys <= 0.75
    assert 0.02 <= unhappy / answered.count() <= 0.12
    assert generated.count("surveys") == surveys
    # Dimensions frozen from the ticket.
    for survey in Survey.objects.select_related("ticket")[:50]:
        assert survey.ticket_id == survey.subject_id
        assert (survey.channel, survey.team_id, survey.customer_id) == (
            survey.ticket.channel,
            survey.ticket.team_id,
            survey.ticket.customer_id,
        )
        assert survey.created_at == survey.ticket.resolved_at
    assert not Survey.objects.filter(answered_at__lt=F("created_at")).exists()


def test_the_satisfaction_tally_counts_exactly_the_answers(generated):
    per_week: dict[datetime.date, list[int]] = {}
    for survey in Survey.objects.filter(answered_at__isnull=False).only("answered_at", "is_satisfied"):
        counts = per_week.setdefault(week_of(survey.answered_at), [0, 0])
        counts[0] += 1
        counts[1] += 0 if survey.is_satisfied else 1
    tallied = {
        row.week: [row.answered, row.dissatisfied]
        for row in SatisfactionTally.objects.filter(dimension="all")
    }
    assert tallied == per_week
    by_agent = dict(
        Survey.objects.filter(answered_at__isnull=False, is_satisfied=False)
        .values_list("agent_id")
        .annotate(n=Count("id"))
    )
    tallied_agents: dict[str, int] = {}
    for row in SatisfactionTally.objects.filter(dimension="agent"):
        tallied_agents[row.key] = tallied_agents.get(row.key, 0) + row.dissatisfied
    assert {key: n for key, n in tallied_agents.items() if n} == {
        str(k or ""): n for k, n in by_agent.items()
    }


def test_complaints_with_causes_and_their_tally(generated):
    complaints = Complaint.objects.count()
    assert complaints == Ticket.objects.filter(type="complaint").count() > 0
    assert Complaint.objects.filter(cause__isnull=False).count() > complaints * 0.8
    assert ComplaintTally.objects.aggregate(n=Sum("complaints"))["n"] == complaints
    not_ours = Complaint.objects.filter(outcome=Outcome.RESOLVED_NOT_OUR_FAULT).count()
    assert ComplaintTally.objects.aggregate(n=Sum("resolved_not_our_fault"))["n"] == not_ours
    assert not Complaint.objects.filter(
        ~Q(outcome="open"), ticket__status__in=["new", "open", "pending_customer", "pending_parts"]
    ).exists()


def test_customers_moods_follow_the_last_answers_and_complaints(generated):
    moods = {mood.customer_id: mood for mood in CustomerMood.objects.all()}
    assert moods
    for survey in Survey.objects.filter(answered_at__isnull=False, is_satisfied=True)[:100]:
        assert moods[survey.customer_id].last_happy_at >= survey.answered_at
    for ticket in Ticket.objects.filter(type="complaint")[:100]:
        assert moods[ticket.customer_id].last_unhappy_at >= ticket.created_at


def test_a_second_run_adds_only_for_the_new_tickets(generated):
    before = Survey.objects.count()
    generate({"customers": 0, "products": 0, "tickets": 500}, seed=12)
    resolved = Ticket.objects.filter(resolved_at__isnull=False, merged_into__isnull=True).count()
    assert Survey.objects.count() == resolved > before
    assert ComplaintTally.objects.aggregate(n=Sum("complaints"))["n"] == Complaint.objects.count()


@pytest.mark.postgresql
def test_moods_are_written_with_their_keys_set_aside_yet_hold_for_every_row(generated):
    """A mood's keys (its customer, its ticket) are set aside while the moods are written, so
    that the commit runs no check per row, and come back NOT VALID (decision 0035); checking
    them finds every row consistent."""
    from kefu.core import bulk

    table = CustomerMood._meta.db_table
    unchecked = [(name_table, name) for name_table, name in bulk.unvalidated_keys() if name_table == table]
    assert len(unchecked) == 2
    for name_table, name in unchecked:
        bulk.validate_key(name_table, name)
    assert not [key for key in bulk.unvalidated_keys() if key[0] == table]
