"""Real races of the breach sweep, on PostgreSQL: two sweeps at once, a sweep killed half-way and
run again, a sweep while a service holds a ticket. Each breach, escalation, timeline line, tally
count and notice exactly once. The overlap is made certain by a lock the test holds until every
racer waits for it (tests/races/parallel.py)."""

import datetime
import threading

import pytest
from django.db import connection, transaction
from django.db.models import F

from kefu.notifications.models import Notification
from kefu.promises import sweep
from kefu.promises.models import Escalation, PromiseKind, PromiseTally, TicketPromise
from kefu.promises.timeline import PROMISE_BREACHED, PROMISE_ESCALATED
from kefu.tickets.models import Ticket, TicketEvent
from tests.promises.scene import make_policy, open_ticket, team_of
from tests.races.parallel import Outcome, race_behind, wait_until

pytestmark = [pytest.mark.postgresql, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def overdue(agent, supervisor):
    """Five tickets whose one-day arrival promise fell due six hours ago (owner, supervisor and
    director levels reached, not HQ; no director is set)."""
    team_of(agent, supervisor)
    make_policy({PromiseKind.ARRIVAL: 24 * 60}, escalate_supervisor_after=60, escalate_director_after=240)
    tickets = [open_ticket(agent) for _ in range(5)]
    TicketPromise.objects.update(due_at=F("due_at") - datetime.timedelta(hours=30))
    return tickets


def hold_tally():
    """Keep every sweep from writing its tally: each waits behind the test's table lock."""
    with connection.cursor() as cursor:
        cursor.execute("LOCK TABLE promises_promisetally IN EXCLUSIVE MODE")


def assert_written_once(tickets):
    n = len(tickets)
    assert TicketPromise.objects.filter(breached_at__isnull=False).count() == n
    assert Escalation.objects.count() == 3 * n
    assert Escalation.objects.values("promise", "level").distinct().count() == 3 * n
    assert TicketEvent.objects.filter(kind=PROMISE_BREACHED).count() == n
    assert TicketEvent.objects.filter(kind=PROMISE_ESCALATED).count() == 3 * n
    assert list(PromiseTally.objects.values_list("kept", "missed")) == [(0, n)]
    # The owner's notice and the supervisor's, once each.
    assert Notification.objects.count() == 2


def test_two_sweeps_at_once_write_each_breach_and_escalation_once(overdue):
    outcomes = race_behind(hold_tally, lambda: sweep.sweep(), lambda: sweep.sweep())
    assert [o.error for o in outcomes] == [None, None]
    results = sorted((o.value for o in outcomes), key=lambda r: r.breached)
    assert [r.breached for r in results] == [0, 5]
    assert results[0].escalated == {}
    assert_written_once(overdue)


def test_a_second_sweep_that_will_not_wait_skips(overdue):
    outcomes = race_behind(hold_tally, lambda: sweep.sweep())
    assert outcomes[0].error is None
    # The first run holds the sweep's lock until it commits; one asked not to wait gives up.
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [sweep.LOCK_KEY])
        skipped = Outcome()

        def other():
            try:
                skipped.value = sweep.sweep(wait=False)
            finally:
                from django.db import connections

                connections.close_all()

        thread = threading.Thread(target=other)
        thread.start()
        thread.join(10)
    assert skipped.value.skipped
    assert_written_once(overdue)


def test_a_sweep_killed_half_way_leaves_nothing_and_the_next_run_completes(overdue):
    victim = Outcome()

    def run():
        try:
            victim.value = sweep.sweep()
        except Exception as error:  # the test judges it: the connection was killed
            victim.error = error
        finally:
            from django.db import connections

            connections.close_all()

    thread = threading.Thread(target=run)
    with transaction.atomic():
        hold_tally()
        thread.start()
        # The sweep has marked the breaches and waits for the tally: kill its session there.
        wait_until(lambda: _waiting_pid() is not None, "the sweep waiting for the tally")
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(%s)", [_waiting_pid()])
    thread.join(20)
    assert victim.error is not None
    assert victim.value is None
    assert not TicketPromise.objects.filter(breached_at__isnull=False).exists()
    assert not TicketEvent.objects.filter(kind__startswith="promise_").exists()

    again = sweep.sweep()
    assert again.breached == 5
    assert_written_once(overdue)


def _waiting_pid() -> int | None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() "
            "AND wait_event_type = 'Lock' LIMIT 1"
        )
        row = cursor.fetchone()
    return row[0] if row else None


def test_the_sweep_skips_a_ticket_a_service_holds_and_takes_it_next_time(overdue):
    held = overdue[0]
    result = Outcome()

    def run():
        try:
            result.value = sweep.sweep()
        finally:
            from django.db import connections

            connections.close_all()

    with transaction.atomic():
        Ticket.objects.select_for_update().get(pk=held.pk)  # a service at work on it
        thread = threading.Thread(target=run)
        thread.start()
        thread.join(20)
        assert not thread.is_alive()  # it did not wait for the service
    assert result.value.breached == 4
    assert TicketPromise.objects.get(ticket=held).breached_at is None
    assert sweep.sweep().breached == 1
    assert TicketPromise.objects.filter(breached_at__isnull=False).count() == 5
