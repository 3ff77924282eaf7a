"""The complaints' tallies always equal a recount of the complaints, whatever sequence of
reclassifications, outcome changes and type changes happened (a property test)."""

from collections import Counter

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kefu.complaints import services
from kefu.complaints.models import Complaint, ComplaintCause, ComplaintTally, Outcome
from kefu.tickets import services as ticket_services
from tests.factories import customer_with_phone

pytestmark = pytest.mark.django_db

CAUSES = (None, "attitude", "product_quality", "not_our_fault")
OUTCOMES = (Outcome.OPEN, Outcome.RESOLVED, Outcome.RESOLVED_NOT_OUR_FAULT)
step = st.tuples(st.integers(0, 2), st.sampled_from(CAUSES), st.sampled_from(OUTCOMES))


def recount() -> tuple[Counter, Counter]:
    complaints: Counter = Counter()
    not_our_fault: Counter = Counter()
    for week, code, outcome in Complaint.objects.values_list("week", "cause__code", "outcome"):
        complaints[(week, code or "")] += 1
        not_our_fault[(week, code or "")] += outcome == Outcome.RESOLVED_NOT_OUR_FAULT
    return complaints, not_our_fault


def tallied() -> tuple[Counter, Counter]:
    complaints: Counter = Counter()
    not_our_fault: Counter = Counter()
    for row in ComplaintTally.objects.all():
        complaints[(row.week, row.cause)] += row.complaints
        not_our_fault[(row.week, row.cause)] += row.resolved_not_our_fault
    return +complaints, +not_our_fault


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=st.lists(step, min_size=1, max_size=8))
def test_the_tallies_equal_a_recount_after_any_reclassifications(agent, steps):
    tickets = [
        ticket_services.open_ticket(
            by=agent, customer=customer_with_phone(), subject="投诉", type="complaint", channel="phone"
        )
        for _index in range(3)
    ]
    for index, code, outcome in steps:
        ticket = tickets[index]
        complaint = Complaint.objects.get(pk=ticket.pk)
        services.update_complaint(
            ticket=ticket,
            by=agent,
            version=complaint.version,
            cause=ComplaintCause.objects.get(code=code) if code else None,
            fault_party="customer",
            outcome=outcome,
        )
    # A complaint turned into a repair and back keeps its one count.
    ticket = ticket_services.update_ticket(
        ticket=tickets[0], by=agent, version=tickets[0].version, type="repair"
    )
    ticket_services.update_ticket(ticket=ticket, by=agent, version=ticket.version, type="complaint")
    assert tallied() == recount()
