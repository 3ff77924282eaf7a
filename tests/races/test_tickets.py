"""Real races on tickets, on PostgreSQL: two agents updating one ticket (one wins, the other gets
409), fifty parallel creates with one Idempotency-Key (one ticket), tickets opened at once (distinct
numbers from the one upsert). Each race is made certain by a lock the test holds until every racer
waits for it (tests/races/parallel.py)."""

import json

import pytest
from django.db import connection
from django.utils import timezone

from kefu.core.models import IdempotencyKey
from kefu.tickets import services
from kefu.tickets.models import Ticket, TicketEvent, TicketNumberCounter
from tests.races.parallel import Outcome, race_behind

pytestmark = [pytest.mark.postgresql, pytest.mark.django_db(transaction=True)]


def send(client, method: str, path: str, data: dict, **headers):
    return getattr(client, method)(path, json.dumps(data), content_type="application/json", headers=headers)


def answers(outcomes: list[Outcome]) -> list:
    errors = [outcome.error for outcome in outcomes if outcome.error is not None]
    assert not errors, errors
    return [outcome.value for outcome in outcomes]


def hold_row(obj):
    return lambda: type(obj).objects.select_for_update().get(pk=obj.pk)


@pytest.fixture
def roomy_pool():
    """Room in the connection pool for every racer and the test's own connection (settings keep
    ten per process, DB_POOL_MAX): the pool grows for the test and shrinks back after it."""
    pool = connection.pool
    min_size, max_size = pool.min_size, pool.max_size
    pool.resize(min_size, max(max_size, 60))
    yield
    pool.resize(min_size, max_size)


@pytest.fixture
def ticket(agent, customer) -> Ticket:
    return services.open_ticket(
        by=agent, customer=customer, subject="空调不制冷", type="repair", channel="phone"
    )


def test_two_agents_updating_one_ticket_one_gets_409(agent, supervisor, ticket, client_for):
    def patch(user, priority: str):
        client = client_for(user)
        return lambda: send(
            client, "patch", f"/api/v1/tickets/{ticket.pk}", {"version": 1, "priority": priority}
        )

    responses = answers(race_behind(hold_row(ticket), patch(agent, "high"), patch(supervisor, "urgent")))

    assert sorted(r.status_code for r in responses) == [200, 409], [r.content for r in responses]
    refused = next(r.json() for r in responses if r.status_code == 409)
    assert refused["code"] == "stale_version"
    assert refused["current_version"] == 2
    won = next(r.json() for r in responses if r.status_code == 200)
    stored = Ticket.objects.get(pk=ticket.pk)
    assert (stored.priority, stored.version) == (won["priority"], 2)
    assert TicketEvent.objects.filter(ticket=ticket, kind="ticket_updated").count() == 1


def test_fifty_parallel_creates_with_one_key_open_one_ticket(agent, customer, client_for, roomy_pool):
    body = {"customer": customer.pk, "subject": "空调不制冷", "type": "repair", "channel": "phone"}

    def post():
        client = client_for(agent)
        return lambda: send(client, "post", "/api/v1/tickets", body, **{"Idempotency-Key": "call-50"})

    def hold_key():
        return IdempotencyKey.objects.create(
            user=agent, key="call-50", fingerprint="held", status=201, response={}
        )

    responses = answers(race_behind(hold_key, *(post() for _ in range(50)), rollback=True))

    assert sorted({r.status_code for r in responses}) == [201], [r.content for r in responses[:3]]
    assert len({r.json()["id"] for r in responses}) == 1
    assert sum(1 for r in responses if r.get("Idempotent-Replayed") == "true") == 49
    assert Ticket.objects.count() == 1
    assert IdempotencyKey.objects.count() == 1


def test_tickets_opened_at_once_get_distinct_numbers(agent, customer, roomy_pool):
    day = timezone.localtime(timezone.now(), services.NUMBER_ZONE).date()

    def hold_counter():
        """An unfinished first opening of the day: its counter row is inserted, not committed."""
        return TicketNumberCounter.objects.create(day=day, last=0)

    def open_one():
        return lambda: services.open_ticket(
            by=agent, customer=customer, subject="空调不制冷", type="repair", channel="phone"
        )

    tickets = answers(race_behind(hold_counter, *(open_one() for _ in range(10)), rollback=True))

    numbers = sorted(ticket.number for ticket in tickets)
    assert len(set(numbers)) == 10
    assert [number[-4:] for number in numbers] == [f"{n:04d}" for n in range(1, 11)]
    assert TicketNumberCounter.objects.get(day=day).last == 10
