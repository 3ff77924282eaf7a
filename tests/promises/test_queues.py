"""The queues by due time (Ticket.due_at, kept by the promise services): "mine" first due on top and
tickets with no promise running last, "due soon" and "breached", keyset pages across the nulls, a
fixed number of queries; and the tickets API's `promises` field, one query for a page."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from kefu.core.errors import InvalidRequest
from kefu.promises.models import PromiseKind, TicketPromise
from kefu.tickets import selectors
from kefu.tickets.models import Ticket
from tests.factories import make_user
from tests.promises.scene import make_policy, open_ticket, team_of

pytestmark = pytest.mark.django_db

FIRST = PromiseKind.FIRST_RESPONSE


def queries(read) -> int:
    with CaptureQueriesContext(connection) as captured:
        read()
    return len(captured)


def due_in(ticket, delta: datetime.timedelta | None) -> Ticket:
    """Set a ticket's due time directly (the services' job, tested elsewhere): now + delta."""
    due_at = None if delta is None else timezone.now() + delta
    Ticket.objects.filter(pk=ticket.pk).update(due_at=due_at)
    ticket.due_at = due_at
    return ticket


def ids(page) -> list[int]:
    return [ticket.pk for ticket in page.items]


def test_mine_puts_the_first_due_on_top_and_tickets_without_a_promise_last(agent):
    hour = datetime.timedelta(hours=1)
    late = due_in(open_ticket(agent), 5 * hour)
    none_a = due_in(open_ticket(agent), None)
    soon = due_in(open_ticket(agent), hour)
    overdue = due_in(open_ticket(agent), -hour)
    none_b = due_in(open_ticket(agent), None)
    expected = [overdue.pk, soon.pk, late.pk, none_a.pk, none_b.pk]
    assert ids(selectors.ticket_queue(user=agent, queue="mine")) == expected
    # Page by page, through the nulls.
    seen, cursor = [], None
    for _ in range(5):
        page = selectors.ticket_queue(user=agent, queue="mine", limit=2, cursor=cursor)
        seen += ids(page)
        cursor = page.next_cursor
        if cursor is None:
            break
    assert seen == expected


def test_a_cursor_of_another_list_is_refused(agent):
    for _ in range(3):
        open_ticket(agent)
    team_cursor = selectors.ticket_queue(user=agent, queue=None, limit=1).next_cursor
    with pytest.raises(InvalidRequest):
        selectors.ticket_queue(user=agent, queue="mine", cursor=team_cursor)


def test_due_soon_and_breached_hold_the_teams_open_tickets_by_due_time(agent, supervisor, settings):
    settings.PROMISE_DUE_SOON_HOURS = 4
    hour = datetime.timedelta(hours=1)
    team_of(agent, supervisor)
    colleague = make_user("agent", username="colleague", team=agent.team)
    stranger = make_user("agent", username="stranger")
    soon = due_in(open_ticket(colleague), 3 * hour)
    sooner = due_in(open_ticket(agent), hour)
    due_in(open_ticket(agent), 6 * hour)  # not soon
    breached = due_in(open_ticket(agent), -2 * hour)
    worse = due_in(open_ticket(colleague), -5 * hour)
    due_in(open_ticket(stranger), -hour)  # another team's
    assert ids(selectors.ticket_queue(user=supervisor, queue="due_soon")) == [sooner.pk, soon.pk]
    assert ids(selectors.ticket_queue(user=supervisor, queue="breached")) == [worse.pk, breached.pk]
    assert ids(selectors.ticket_queue(user=agent, queue="breached")) == [worse.pk, breached.pk]
    assert ids(selectors.ticket_queue(user=stranger, queue="breached")) != []


@pytest.mark.parametrize("queue", ["mine", "due_soon", "breached"])
def test_a_due_queue_page_costs_the_same_for_3_and_30_tickets(agent, supervisor, queue):
    team_of(agent, supervisor)
    delta = {"mine": None, "due_soon": datetime.timedelta(hours=1), "breached": -datetime.timedelta(hours=1)}

    def make(n):
        for _ in range(n):
            ticket = due_in(open_ticket(agent), delta[queue])
            ticket.tags.create(name=f"标签{ticket.pk}")

    def read():
        page = selectors.ticket_queue(user=agent, queue=queue, limit=50)
        for ticket in page.items:
            _ = (ticket.customer.name, ticket.owner.username, list(ticket.tags.all()), ticket.team)

    make(3)
    read()
    few = queries(read)
    # The page and its tags; due soon and breached first read the user's teams.
    assert few == (2 if queue == "mine" else 3)
    make(27)
    assert queries(read) == few


def test_the_api_shows_each_tickets_promises_for_one_query_a_page(agent, agent_client):
    make_policy({FIRST: 120, PromiseKind.RESOLUTION: 2880})
    ticket = open_ticket(agent)
    answer = agent_client.get(f"/api/v1/tickets/{ticket.pk}").json()
    promise = TicketPromise.objects.get(ticket=ticket, kind=FIRST)
    shown = {row["kind"]: row for row in answer["promises"]}
    assert set(shown) == {FIRST, PromiseKind.RESOLUTION}
    assert shown[FIRST]["paused"] is False
    assert shown[FIRST]["met_at"] is None
    assert shown[FIRST]["breached_at"] is None
    assert shown[FIRST]["due_at"].startswith(timezone.localtime(promise.due_at).strftime("%Y-%m-%dT%H:%M"))

    def listing():
        response = agent_client.get("/api/v1/tickets?queue=mine")
        assert response.status_code == 200
        return response

    for _ in range(2):
        open_ticket(agent)
    listing()
    few = queries(listing)
    for _ in range(20):
        open_ticket(agent)
    assert queries(listing) == few
    assert all(len(item["promises"]) == 2 for item in listing().json()["items"])


def test_the_api_lists_the_breached_queue(agent, agent_client):
    ticket = due_in(open_ticket(agent), -datetime.timedelta(minutes=5))
    response = agent_client.get("/api/v1/tickets?queue=breached")
    assert response.status_code == 200
    assert [item["id"] for item in response.json()["items"]] == [ticket.pk]
    assert agent_client.get("/api/v1/tickets?queue=late").status_code in (400, 422)
