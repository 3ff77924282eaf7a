"""The breach sweep: each breach once, each level of the chain once, by the time past due and the
policy's thresholds; notices through the outbox, lines on the timeline, one audit row per run."""

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from kefu.core.models import AuditEvent
from kefu.notifications.models import Notification
from kefu.promises import notices, sweep
from kefu.promises import services as promise_services
from kefu.promises.models import Escalation, EscalationContact, PromiseKind, PromiseTally, TicketPromise
from kefu.promises.timeline import PROMISE_BREACHED, PROMISE_ESCALATED
from kefu.tickets import services as ticket_services
from kefu.tickets.models import Status, TicketEvent
from tests.factories import make_user
from tests.promises.scene import at, make_policy, open_ticket, team_of

pytestmark = pytest.mark.django_db

ARRIVAL = PromiseKind.ARRIVAL


@pytest.fixture
def policy(db):
    # A 24-hour on-site promise; the supervisor is told an hour past due, the director after four,
    # HQ after a day.
    return make_policy(
        {ARRIVAL: 24 * 60},
        escalate_supervisor_after=60,
        escalate_director_after=240,
        escalate_hq_after=1440,
    )


@pytest.fixture
def team(agent, supervisor):
    return team_of(agent, supervisor)


def levels(ticket) -> list[tuple[int, int | None]]:
    return list(
        Escalation.objects.filter(promise__ticket=ticket)
        .order_by("level")
        .values_list("level", "notified_user_id")
    )


def events(ticket, kind) -> list[dict]:
    return list(
        TicketEvent.objects.filter(ticket=ticket, kind=kind).order_by("id").values_list("data", flat=True)
    )


def test_a_24_hour_promise_delivered_at_48_hours_is_breached_and_reaches_the_supervisor(
    agent, supervisor, team, policy
):
    ticket = open_ticket(agent)
    assert sweep.sweep(now=at(ticket, hours=23, minutes=59)).breached == 0

    first = sweep.sweep(now=at(ticket, hours=24, minutes=1))
    assert first.breached == 1
    assert first.escalated == {1: 1}
    promise = TicketPromise.objects.get(ticket=ticket)
    assert promise.breached_at == at(ticket, hours=24, minutes=1)
    assert promise.escalation_level == 1
    assert levels(ticket) == [(1, agent.pk)]
    assert Notification.objects.filter(recipient=agent, kind=notices.BREACHED).count() == 1

    later = sweep.sweep(now=at(ticket, hours=25, minutes=30))
    assert later.breached == 0
    assert later.escalated == {2: 1}
    assert levels(ticket) == [(1, agent.pk), (2, supervisor.pk)]
    told = Notification.objects.get(recipient=supervisor, kind=notices.ESCALATED)
    assert ticket.number in told.title
    assert told.link == f"/tickets/{ticket.number}/"

    # Delivered at 48 hours: met, and still a missed promise, counted once.
    promise_services.record_arrival(ticket, at(ticket, hours=48))
    promise.refresh_from_db()
    assert promise.met_at == at(ticket, hours=48)
    assert promise.breached_at is not None
    assert list(PromiseTally.objects.values_list("kind", "kept", "missed")) == [(ARRIVAL, 0, 1)]
    # Met: the chain stops climbing.
    assert sweep.sweep(now=at(ticket, hours=60)).escalated == {}
    assert [e["level"] for e in events(ticket, PROMISE_ESCALATED)] == [1, 2]
    assert len(events(ticket, PROMISE_BREACHED)) == 1


def test_a_sweep_run_twice_writes_each_breach_and_escalation_once(agent, supervisor, team, policy):
    tickets = [open_ticket(agent) for _ in range(3)]
    moment = at(tickets[-1], hours=30)
    first = sweep.sweep(now=moment)
    assert first.breached == 3
    assert first.escalated == {1: 3, 2: 3, 3: 3}
    again = sweep.sweep(now=moment)
    assert again.breached == 0
    assert again.escalated == {}
    assert Escalation.objects.count() == 9
    assert TicketEvent.objects.filter(kind=PROMISE_BREACHED).count() == 3
    assert TicketEvent.objects.filter(kind=PROMISE_ESCALATED).count() == 9
    assert PromiseTally.objects.get().missed == 3
    # One notice per person and level: the owner's three breaches in one message.
    owner_notice = Notification.objects.get(recipient=agent)
    assert owner_notice.link == "/tickets/?queue=breached"
    assert "3" in owner_notice.title
    # One audit row per run that changed something.
    runs = AuditEvent.objects.filter(target_repr="promise_sweep")
    assert runs.count() == 1
    assert runs.get().changes["counts"]["breached"] == 3


def test_every_level_of_the_chain_and_hq_falls_back_to_the_managers(agent, supervisor, manager, team, policy):
    director = make_user("supervisor", username="director")
    EscalationContact.objects.create(level=3, team=team, user=director)
    ticket = open_ticket(agent)
    result = sweep.sweep(now=at(ticket, hours=48, minutes=1))
    assert result.escalated == {1: 1, 2: 1, 3: 1, 4: 1}
    assert levels(ticket) == [(1, agent.pk), (2, supervisor.pk), (3, director.pk), (4, None)]
    assert Notification.objects.filter(recipient=director, kind=notices.ESCALATED).exists()
    assert Notification.objects.filter(recipient=manager, kind=notices.ESCALATED).exists()
    texts = [event.data.get("user_name") for event in TicketEvent.objects.filter(kind=PROMISE_ESCALATED)]
    assert "director" in texts


def test_an_hq_contact_is_told_instead_of_the_managers(agent, supervisor, manager, team, policy):
    hq = make_user("manager", username="hq")
    EscalationContact.objects.create(level=4, team=None, user=hq)
    ticket = open_ticket(agent)
    sweep.sweep(now=at(ticket, hours=50))
    assert (4, hq.pk) in levels(ticket)
    assert not Notification.objects.filter(recipient=manager).exists()


def test_paused_and_resolved_tickets_are_not_breached(agent, team, policy):
    waiting = open_ticket(agent)
    ticket_services.transition_ticket(ticket=waiting, by=agent, status=Status.PENDING_CUSTOMER)
    resolved = open_ticket(agent)
    ticket_services.transition_ticket(ticket=resolved, by=agent, status=Status.RESOLVED)
    assert sweep.sweep(now=at(resolved, hours=100)).breached == 0
    assert not Escalation.objects.exists()


def test_a_run_that_changes_nothing_writes_nothing(agent, policy):
    open_ticket(agent)
    result = sweep.sweep()
    assert result.counts == {"breached": 0, "notified": 0}
    assert not AuditEvent.objects.filter(target_repr="promise_sweep").exists()


def test_the_sweep_costs_the_same_for_3_and_30_breaches(agent, supervisor, team, policy):
    def run(n):
        tickets = [open_ticket(agent) for _ in range(n)]
        with CaptureQueriesContext(connection) as captured:
            sweep.sweep(now=at(tickets[-1], hours=24, minutes=5))
        return len(captured)

    run(1)  # a process's first sweep also fills Django's caches (content types)
    few = run(3)
    assert run(30) == few


def test_the_command_runs_a_sweep(agent, policy, capsys):
    open_ticket(agent)
    call_command("promise_sweep")
    assert "breached 0" in capsys.readouterr().out
