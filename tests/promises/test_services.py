"""The promises of a ticket through the tickets' own services (the hooks of tickets.extensions):
made when it opens, recomputed when what they depend on changes, paused and resumed with its
status, met by the first public reply, the arrival and the resolution, each settled promise
counted once in PromiseTally and written on the ticket's timeline."""

import datetime

import pytest
from django.utils import timezone

from kefu.promises import services as promise_services
from kefu.promises.models import PromiseKind, PromiseTally, TicketPromise
from kefu.promises.timeline import PROMISE_BREACHED, PROMISE_MET
from kefu.tickets import services as ticket_services
from kefu.tickets.models import Status, Ticket, TicketEvent
from tests.promises.scene import at, make_policy, open_ticket

pytestmark = pytest.mark.django_db

FIRST, ARRIVAL, RESOLUTION = PromiseKind.FIRST_RESPONSE, PromiseKind.ARRIVAL, PromiseKind.RESOLUTION


@pytest.fixture
def policy(db):
    return make_policy({FIRST: 120, ARRIVAL: 24 * 60, RESOLUTION: 48 * 60})


def promises_of(ticket) -> dict[str, TicketPromise]:
    return {promise.kind: promise for promise in TicketPromise.objects.filter(ticket=ticket)}


def tally() -> dict[tuple, tuple[int, int]]:
    return {(row.policy_id, row.kind): (row.kept, row.missed) for row in PromiseTally.objects.all()}


def kinds_on_timeline(ticket) -> list[str]:
    return list(
        TicketEvent.objects.filter(ticket=ticket, kind__startswith="promise_")
        .order_by("id")
        .values_list("kind", flat=True)
    )


@pytest.fixture
def clock(monkeypatch):
    """Set the time every service reads (django.utils.timezone.now)."""

    def set_to(moment: datetime.datetime):
        monkeypatch.setattr(timezone, "now", lambda: moment)

    return set_to


# --- Opening ---------------------------------------------------------------------------------------


def test_opening_a_ticket_makes_its_promises_due_on_the_calendar(agent, policy):
    ticket = open_ticket(agent)
    promises = promises_of(ticket)
    assert set(promises) == {FIRST, ARRIVAL, RESOLUTION}
    assert promises[FIRST].due_at == at(ticket, hours=2)
    assert promises[RESOLUTION].due_at == at(ticket, hours=48)
    assert all(p.policy_id == policy.pk and p.started_at == ticket.created_at for p in promises.values())
    ticket.refresh_from_db()
    assert ticket.due_at == at(ticket, hours=2)


def test_a_ticket_no_policy_matches_gets_no_promise(agent):
    make_policy({FIRST: 60}, ticket_type="installation")
    ticket = open_ticket(agent, type="repair")
    assert not TicketPromise.objects.filter(ticket=ticket).exists()
    ticket.refresh_from_db()
    assert ticket.due_at is None


# --- Meeting ---------------------------------------------------------------------------------------


def test_the_first_public_reply_keeps_the_first_response_promise(agent, policy):
    ticket = open_ticket(agent)
    ticket_services.add_comment(ticket=ticket, by=agent, body="内部备注", public=False)
    assert promises_of(ticket)[FIRST].met_at is None
    ticket_services.add_comment(ticket=ticket, by=agent, body="您好，我们已安排工程师", public=True)
    first = promises_of(ticket)[FIRST]
    assert first.met_at is not None
    assert first.breached_at is None
    assert tally() == {(policy.pk, FIRST): (1, 0)}
    assert kinds_on_timeline(ticket) == [PROMISE_MET]
    ticket.refresh_from_db()
    assert ticket.due_at == at(ticket, hours=24)  # the arrival is next
    # A second reply changes nothing.
    ticket_services.add_comment(ticket=ticket, by=agent, body="再次联系", public=True)
    assert tally() == {(policy.pk, FIRST): (1, 0)}


def test_the_customers_reply_is_no_response(agent, policy):
    ticket = open_ticket(agent)
    ticket_services.add_customer_reply(ticket=ticket, body="什么时候来？")
    assert promises_of(ticket)[FIRST].met_at is None


def test_a_ticket_resolved_in_time_counts_as_kept(agent, policy):
    ticket = open_ticket(agent)
    ticket_services.transition_ticket(ticket=ticket, by=agent, status=Status.RESOLVED)
    promises = promises_of(ticket)
    assert promises[RESOLUTION].met_at is not None
    assert promises[RESOLUTION].breached_at is None
    assert promises[FIRST].met_at is not None  # resolving answered the customer too
    # The arrival was not needed: its clock stopped, neither kept nor missed.
    assert promises[ARRIVAL].met_at is None
    assert promises[ARRIVAL].paused_since is not None
    assert tally() == {(policy.pk, RESOLUTION): (1, 0), (policy.pk, FIRST): (1, 0)}
    ticket.refresh_from_db()
    assert ticket.due_at is None


def test_a_promise_met_late_is_breached_and_missed_once(agent, policy, clock):
    ticket = open_ticket(agent)
    clock(at(ticket, hours=3))
    ticket_services.add_comment(ticket=ticket, by=agent, body="抱歉久等", public=True)
    first = promises_of(ticket)[FIRST]
    assert first.met_at is not None
    assert first.breached_at == at(ticket, hours=3)
    assert tally() == {(policy.pk, FIRST): (0, 1)}
    assert kinds_on_timeline(ticket) == [PROMISE_BREACHED, PROMISE_MET]


def test_record_arrival_meets_the_arrival_promise(agent, policy):
    ticket = open_ticket(agent)
    met = promise_services.record_arrival(ticket, at(ticket, hours=5))
    assert [p.kind for p in met] == [ARRIVAL]
    assert promises_of(ticket)[ARRIVAL].met_at == at(ticket, hours=5)
    assert promise_services.record_arrival(ticket, at(ticket, hours=6)) == []  # nothing more owed
    assert tally() == {(policy.pk, ARRIVAL): (1, 0)}


# --- Pausing -------------------------------------------------------------------------------------


def test_a_pause_while_pending_the_customer_is_deducted_exactly(agent, policy, clock):
    ticket = open_ticket(agent)
    clock(at(ticket, minutes=30))
    ticket_services.transition_ticket(ticket=ticket, by=agent, status=Status.PENDING_CUSTOMER)
    paused = promises_of(ticket)
    assert all(p.paused_since == at(ticket, minutes=30) for p in paused.values())
    ticket.refresh_from_db()
    assert ticket.due_at is None  # no clock runs
    clock(
        at(
            ticket,
            hours=3,
            minutes=30,
        )
        + datetime.timedelta(microseconds=250)
    )
    ticket_services.add_customer_reply(ticket=ticket, body="我在家了")  # back to open: resumed
    resumed = promises_of(ticket)
    stood = datetime.timedelta(hours=3, microseconds=250)
    assert resumed[FIRST].due_at == at(ticket, hours=2) + stood
    assert resumed[RESOLUTION].due_at == at(ticket, hours=48) + stood
    assert resumed[FIRST].paused_since is None
    assert resumed[FIRST].paused_seconds == 3 * 3600
    ticket.refresh_from_db()
    assert ticket.due_at == at(ticket, hours=2) + stood


def test_a_paused_promise_is_no_breach_and_a_reopen_resumes_the_stopped_clocks(agent, policy, clock):
    ticket = open_ticket(agent)
    ticket_services.transition_ticket(ticket=ticket, by=agent, status=Status.RESOLVED)
    clock(at(ticket, hours=10))
    ticket_services.transition_ticket(ticket=ticket, by=agent, status=Status.OPEN)
    arrival = promises_of(ticket)[ARRIVAL]
    assert arrival.paused_since is None
    assert arrival.due_at > at(ticket, hours=24 + 9)  # the ten hours resolved do not count
    ticket.refresh_from_db()
    assert ticket.due_at == arrival.due_at


# --- Recomputing ---------------------------------------------------------------------------------


def test_a_change_of_priority_recomputes_the_running_promises(agent, policy):
    urgent = make_policy({FIRST: 30, RESOLUTION: 8 * 60}, name="紧急", priority="urgent")
    policy.active = True
    policy.save(update_fields=["active"])
    ticket = open_ticket(agent)
    ticket_services.add_comment(ticket=ticket, by=agent, body="已受理", public=True)  # first response met
    ticket = Ticket.objects.get(pk=ticket.pk)
    ticket_services.update_ticket(ticket=ticket, by=agent, version=ticket.version, priority="urgent")
    promises = promises_of(ticket)
    assert promises[FIRST].policy_id == policy.pk  # met: settled, as it was
    assert promises[RESOLUTION].policy_id == urgent.pk
    assert promises[RESOLUTION].due_at == at(ticket, hours=8)
    assert ARRIVAL not in promises  # the urgent policy promises no visit
    ticket.refresh_from_db()
    assert ticket.due_at == at(ticket, hours=8)


def test_a_change_of_the_customers_tier_recomputes_the_open_tickets_promises(agent, policy):
    """Through the customers' own service (customers.extensions.register_changed): a customer
    made VIP gets the VIP policy's promises on their open tickets."""
    from kefu.customers import services as customer_services

    ticket = open_ticket(agent)
    assert promises_of(ticket)[RESOLUTION].policy_id == policy.pk
    vip = make_policy({FIRST: 30, RESOLUTION: 24 * 60}, name="VIP", customer_tier="vip")
    policy.active = True  # make_policy leaves only its own switched on
    policy.save(update_fields=["active"])
    customer = ticket.customer
    customer_services.update_customer(
        customer_id=customer.pk, by=agent, version=customer.version, changes={"tier": "vip"}
    )
    promises = promises_of(ticket)
    assert promises[RESOLUTION].policy_id == vip.pk
    assert promises[RESOLUTION].due_at == at(ticket, hours=24)
    ticket.refresh_from_db()
    assert ticket.due_at == at(ticket, minutes=30)


def test_a_change_of_subject_recomputes_nothing(agent, policy):
    ticket = open_ticket(agent)
    before = {kind: (p.policy_id, p.due_at) for kind, p in promises_of(ticket).items()}
    ticket_services.update_ticket(ticket=ticket, by=agent, version=None, subject="空调漏水")
    assert {kind: (p.policy_id, p.due_at) for kind, p in promises_of(ticket).items()} == before
