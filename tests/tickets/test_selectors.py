"""The reads of tickets: who sees what (a list and a detail never disagree), the queues, the
timelines, and what each costs in queries whatever the data."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from kefu.accounts.models import Team
from kefu.core.errors import NotFound, PermissionDenied
from kefu.customers import selectors as customer_selectors
from kefu.tickets import selectors, services
from tests.factories import customer_with_phone, make_user
from tests.tickets.factories import CommentFactory, TicketFactory

pytestmark = pytest.mark.django_db


def queries(read) -> int:
    with CaptureQueriesContext(connection) as captured:
        read()
    return len(captured)


def open_one(by, customer=None, **fields):
    values = {"subject": "空调不制冷", "type": "repair", "channel": "phone", **fields}
    return services.open_ticket(by=by, customer=customer or customer_with_phone(), **values)


# --- access_ticket ------------------------------------------------------------------------------


def test_a_ticket_is_found_by_id_digits_and_number_in_any_case(agent):
    ticket = TicketFactory(owner=agent)
    for ref in (ticket.pk, str(ticket.pk), ticket.number, ticket.number.lower()):
        assert selectors.access_ticket(agent, ref) == ticket


@pytest.mark.parametrize("ref", [0, -1, 2**70, "abc", "KF12", "", "1e3", "１２"])
def test_anything_else_is_not_found(agent, ref):
    TicketFactory(owner=agent)
    with pytest.raises(NotFound):
        selectors.access_ticket(agent, ref)


def test_a_user_without_any_ticket_right_gets_403_before_any_lookup(outsider):
    ticket = TicketFactory()
    with pytest.raises(PermissionDenied):
        selectors.access_ticket(outsider, ticket.pk)


def test_an_action_needs_its_permission(manager, technician):
    ticket = TicketFactory(owner=technician)
    assert selectors.access_ticket(manager, ticket.pk) == ticket
    with pytest.raises(PermissionDenied):
        selectors.access_ticket(manager, ticket.pk, action="change")
    assert selectors.access_ticket(technician, ticket.pk, action="comment") == ticket
    with pytest.raises(PermissionDenied):
        selectors.access_ticket(technician, ticket.pk, action="change")


def test_a_technician_sees_the_same_tickets_in_the_list_and_one_by_one(agent, technician):
    owned = TicketFactory(owner=technician)
    helped = TicketFactory(owner=agent)
    services.add_collaborator(ticket=helped, by=agent, user=technician)
    hidden = TicketFactory(owner=agent)
    listed = {ticket.pk for ticket in selectors.ticket_queue(user=technician).items}
    assert listed == {owned.pk, helped.pk}
    for ticket in (owned, helped, hidden):
        try:
            selectors.access_ticket(technician, ticket.pk)
            found = True
        except NotFound:
            found = False
        assert found == (ticket.pk in listed)


# --- Queues -------------------------------------------------------------------------------------


def test_the_queues(agent, supervisor):
    team = Team.objects.create(name="热线一组", supervisor=supervisor)
    agent.team = team
    agent.save()
    colleague = make_user("agent", username="colleague", team=team)
    mine = open_one(agent)
    theirs = open_one(colleague)
    open_one(make_user("agent", username="elsewhere"))
    unassigned = open_one(None, channel="portal")
    resolved = open_one(agent)
    services.transition_ticket(ticket=resolved, by=agent, status="resolved")
    services.urge_ticket(ticket=theirs)

    def ids(queue, user=agent, **filters):
        return [ticket.pk for ticket in selectors.ticket_queue(user=user, queue=queue, **filters).items]

    assert ids("mine") == [mine.pk]
    assert ids("team") == [mine.pk, theirs.pk]
    assert ids("team", user=supervisor) == [mine.pk, theirs.pk]
    assert ids("unassigned") == [unassigned.pk]
    assert ids("flagged", user=supervisor) == [theirs.pk]
    assert ids("mine", status="resolved") == []
    assert resolved.pk in ids(None, status="resolved")


def test_filters_narrow_a_queue(agent):
    repair = open_one(agent, tags=["空调"])
    open_one(agent, type="complaint", priority="urgent", channel="email")
    assert [t.pk for t in selectors.ticket_queue(user=agent, queue="mine", type="repair").items] == [
        repair.pk
    ]
    assert [t.pk for t in selectors.ticket_queue(user=agent, queue="mine", tag="空调").items] == [repair.pk]
    assert (
        len(selectors.ticket_queue(user=agent, queue="mine", priority="urgent", channel="email").items) == 1
    )


def test_a_queue_pages_by_keyset_oldest_first(agent):
    tickets = [TicketFactory(owner=agent) for _ in range(5)]
    first = selectors.ticket_queue(user=agent, queue="mine", limit=2)
    second = selectors.ticket_queue(user=agent, queue="mine", limit=2, cursor=first.next_cursor)
    third = selectors.ticket_queue(user=agent, queue="mine", limit=2, cursor=second.next_cursor)
    paged = [t.pk for page in (first, second, third) for t in page.items]
    assert paged == [t.pk for t in tickets]
    assert third.next_cursor is None


@pytest.mark.parametrize("queue", ["mine", "team", "unassigned", "flagged", None])
def test_a_queue_page_costs_the_same_for_3_and_30_tickets(agent, queue):
    team = Team.objects.create(name="热线一组")
    agent.team = team
    agent.save()

    def make(n):
        for _ in range(n):
            ticket = TicketFactory(
                owner=services.intake_user() if queue == "unassigned" else agent, team=team, urge_count=1
            )
            ticket.tags.create(name=f"标签{ticket.pk}")

    def read():
        page = selectors.ticket_queue(user=agent, queue=queue, limit=50)
        for ticket in page.items:
            _ = (ticket.customer.name, ticket.owner.username, list(ticket.tags.all()), ticket.team)

    make(3)
    read()  # the user's permissions, read once and kept on the user
    few = queries(read)
    # The page and its tags; the team queues first read the user's teams.
    assert few == (3 if queue in ("team", "flagged") else 2)
    make(27)
    assert queries(read) == few


# --- Timelines ----------------------------------------------------------------------------------


def test_a_timeline_page_costs_the_same_for_3_and_30_replies(agent):
    ticket = open_one(agent)

    def reply(n):
        for index in range(n):
            services.add_comment(ticket=ticket, by=agent, body=f"回复 {index}", public=index % 2 == 0)

    def read():
        page = selectors.ticket_timeline(ticket, user=agent, limit=100)
        for event in page.items:
            _ = (event.actor, event.comment)

    reply(3)
    few = queries(read)
    assert few <= 3  # the events with their actors, their comments, their files
    reply(27)
    assert queries(read) == few


def test_the_customers_timeline_reads_the_tickets_events_for_those_who_may_see_them(agent, technician):
    customer = customer_with_phone()
    ticket = open_one(agent, customer)
    services.add_comment(ticket=ticket, by=agent, body="内部备注", public=False)
    page = customer_selectors.customer_timeline(customer, user=agent, kinds=("ticket_opened", "ticket_noted"))
    assert [entry.kind for entry in page.items] == ["ticket_noted", "ticket_opened"]
    assert (
        selectors.customer_timeline_entries(customer, user=technician, kinds=None, bound=None, limit=10) == []
    )


def test_the_customers_open_tickets(agent):
    customer = customer_with_phone()
    open_ticket = open_one(agent, customer)
    closed = TicketFactory(owner=agent, customer=customer, status="closed")
    assert selectors.customer_open_tickets(customer, user=agent) == [open_ticket]
    assert closed not in selectors.customer_open_tickets(customer, user=agent)


def test_comments_include_those_of_merged_tickets(agent, supervisor):
    customer = customer_with_phone()
    original, duplicate = open_one(agent, customer), open_one(agent, customer)
    CommentFactory(ticket=duplicate, body="重复单的回复")
    services.merge_ticket(duplicate=duplicate, into=original, by=supervisor)
    assert [c.body for c in selectors.ticket_comments(original).items] == ["重复单的回复"]


@pytest.mark.parametrize("queue", ["mine", None])
def test_a_search_page_costs_the_same_for_3_and_30_matches(agent, queue):
    """With `q`: every ticket newest first from the search table, or a queue narrowed by it."""

    def make(n):
        for _ in range(n):
            ticket = open_one(agent, subject="空调不制冷")
            ticket.tags.create(name=f"标签{ticket.pk}")

    def read():
        page = selectors.ticket_queue(user=agent, queue=queue, q="空调", limit=50)
        for ticket in page.items:
            _ = (ticket.customer.name, ticket.owner.username, list(ticket.tags.all()), ticket.team)
        return len(page.items)

    make(3)
    read()
    few = queries(read)
    assert few == 2  # the page and its tags
    make(27)
    assert queries(read) == few
    assert read() == 30


@pytest.mark.parametrize(("queue", "q"), [("mine", None), (None, None), (None, "空调"), ("mine", "空调")])
def test_a_page_of_named_rows_costs_the_same_for_3_and_30_tickets(agent, queue, q):
    """rows=True (the API's list, the queue page): the page and its tags, no model built."""

    def make(n):
        for _ in range(n):
            ticket = open_one(agent, subject="空调不制冷")
            ticket.tags.create(name=f"标签{ticket.pk}")

    def read():
        page = selectors.ticket_queue(user=agent, queue=queue, q=q, limit=50, rows=True)
        tags = selectors.row_tags(page.items)
        for row in page.items:
            _ = (row.customer__name, selectors.owner_name(row), tags[row.id], row.team__name)
        return len(page.items)

    make(3)
    read()
    few = queries(read)
    assert few == 2
    make(27)
    assert queries(read) == few
    assert read() == 30
