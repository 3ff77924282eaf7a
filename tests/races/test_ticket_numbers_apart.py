"""Ticket numbers counted on a connection of their own, as in production on PostgreSQL (decision
0036): distinct and in order when openings meet, committed whatever the opening does, and never
waiting for the caller's own transaction."""

import psycopg
import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from kefu.core.db import apart
from kefu.tickets import services
from kefu.tickets.models import Ticket, TicketNumberCounter
from tests.races.parallel import Racers

pytestmark = [pytest.mark.postgresql, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def numbers_apart(settings):
    settings.KEFU_NUMBERS_APART = True
    yield
    apart.close_all()  # the racers' threads are gone; their connections with them


def today() -> str:
    return f"{timezone.localtime(timezone.now(), services.NUMBER_ZONE):%y%m%d}"


def open_one(agent, customer) -> Ticket:
    return services.open_ticket(
        by=agent, customer=customer, subject="空调不制冷", type="repair", channel="phone"
    )


def committed_counter() -> int | None:
    """The day's counter as another session sees it: what has been committed."""
    params = connection.get_connection_params()
    params.pop("cursor_factory", None)
    with psycopg.connect(autocommit=True, **params) as other:
        row = other.execute(
            "SELECT last FROM tickets_ticketnumbercounter WHERE day = %s",
            [timezone.localtime(timezone.now(), services.NUMBER_ZONE).date()],
        ).fetchone()
    return row[0] if row else None


def test_openings_at_once_get_distinct_numbers_in_order(agent, customer):
    outcomes = Racers(*(lambda: open_one(agent, customer) for _ in range(12))).start().join()

    assert [outcome.error for outcome in outcomes] == [None] * 12
    numbers = sorted(outcome.value.number for outcome in outcomes)
    assert numbers == [f"KF{today()}{serial:04d}" for serial in range(1, 13)]
    assert TicketNumberCounter.objects.get().last == 12


def test_the_number_is_committed_before_the_opening_and_stays_taken_when_it_rolls_back(agent, customer):
    taken = []

    def fail_after_opening():
        with transaction.atomic():
            taken.append(open_one(agent, customer).number)
            taken.append(committed_counter())  # the opening has not committed; its number has
            raise RuntimeError("the opening fails after taking its number")

    with pytest.raises(RuntimeError):
        fail_after_opening()

    second = open_one(agent, customer)

    assert taken == [f"KF{today()}0001", 1]
    assert second.number == f"KF{today()}0002"  # 0001 stays unused: the price of not waiting
    assert list(Ticket.objects.values_list("number", flat=True)) == [second.number]


def test_a_caller_that_wrote_the_days_counter_itself_is_not_made_to_wait_for_itself(agent, customer):
    day = timezone.localtime(timezone.now(), services.NUMBER_ZONE).date()
    with transaction.atomic():
        # A bulk load of the counters (the data generator) in the caller's own transaction: the
        # connection of its own would wait for this row forever; after a moment the number is
        # taken here instead.
        TicketNumberCounter.objects.create(day=day, last=41)
        ticket = open_one(agent, customer)
        assert committed_counter() is None

    assert ticket.number == f"KF{today()}0042"
    assert TicketNumberCounter.objects.get(day=day).last == 42


def test_a_lost_connection_of_its_own_is_opened_again(agent, customer):
    open_one(agent, customer)
    apart._local.connection.close()  # as if the server had dropped it

    ticket = open_one(agent, customer)

    assert ticket.number == f"KF{today()}0002"
    assert not apart._local.connection.closed


def test_the_opening_transaction_itself_never_touches_the_counter(agent, customer):
    with CaptureQueriesContext(connection) as queries:
        ticket = open_one(agent, customer)

    assert ticket.number == f"KF{today()}0001"
    assert not [query["sql"] for query in queries if "tickets_ticketnumbercounter" in query["sql"]]


def test_sqlite_or_the_setting_off_counts_in_the_opening_transaction(agent, customer, settings):
    settings.KEFU_NUMBERS_APART = False
    seen = []

    def fail_after_opening():
        with transaction.atomic():
            open_one(agent, customer)
            seen.append(committed_counter())
            raise RuntimeError("rolled back with its number")

    with pytest.raises(RuntimeError):
        fail_after_opening()
    assert seen == [None]

    assert open_one(agent, customer).number == f"KF{today()}0001"
