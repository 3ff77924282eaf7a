"""Reads of tickets that matter: the permission-checked fetch, the queues, a ticket's timeline, a
customer's open tickets and the tickets' part of the customer's timeline.

Each costs a fixed number of queries whatever the data (asserted in tests), and every one starts
from Ticket.objects.visible_to(user), so a list and a detail page never disagree.
"""

import datetime

from django.conf import settings
from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import F, Prefetch, Q, QuerySet
from django.utils import timezone

from kefu.core.errors import InvalidRequest, NotFound, PermissionDenied
from kefu.core.pagination import Page, clamp_limit, decode_cursor, encode_cursor, keyset_page
from kefu.customers import timeline as customer_timeline
from kefu.customers.models import Customer
from kefu.tickets import timeline
from kefu.tickets.models import (
    BOUNCE_FLAG_AT,
    OPEN_STATUSES,
    Attachment,
    Comment,
    Ticket,
    TicketEvent,
    TicketQuerySet,
)
from kefu.tickets.services import INTAKE_USERNAME, NUMBER_PATTERN

QUEUES = ("mine", "team", "unassigned", "flagged", "due_soon", "breached")
# The queues read in due-time order (Ticket.due_at, the earliest unmet promise; decision 0027).
DUE_QUEUES = ("mine", "due_soon", "breached")
DUE_ORDER = ("due_at", "id")
# What each action on a ticket needs beyond seeing it (403 without it, before any lookup).
ACTION_PERMISSIONS: dict[str, str | tuple[str, ...] | None] = {
    "view": None,
    "change": "tickets.change_ticket",
    # Either; then the owner, or a holder of transfer_any_ticket: services.transfer_ticket decides.
    "transfer": ("tickets.change_ticket", "tickets.transfer_any_ticket"),
    "claim": "tickets.change_ticket",
    "comment": "tickets.add_comment",
    "attach": "tickets.add_attachment",
    "collaborate": "tickets.add_collaborator",
    "link": "tickets.add_ticketlink",
    "merge": "tickets.merge_ticket",
    "urge": "tickets.change_ticket",
}
# What a row of a list and the header of a ticket show, fetched with it.
RELATED = ("customer", "owner", "team", "product__model__category")
# What a row of a list shows (the API's list, the queue page), read with `rows=True` as named
# rows of plain values: no model instances for the ticket and its five related records, and
# none of their other columns (about a third of the CPU for a page of 50).
ROW_COLUMNS = (
    "id",
    "number",
    "customer_id",
    "customer__name",
    "product_id",
    "product__model__name",
    "channel",
    "type",
    "priority",
    "status",
    "subject",
    "description",
    "owner_id",
    "owner__username",
    "owner__display_name",
    "owner__first_name",
    "owner__last_name",
    "team_id",
    "team__name",
    "bounce_count",
    "urge_count",
    "reopen_count",
    "merged_into_id",
    "created_at",
    "updated_at",
    "last_activity_at",
    "resolved_at",
    "closed_at",
    "version",
)


def may_use_tickets(user) -> bool:
    """Whether `user` has anything to do with tickets at all: some permission of the app (a
    technician's is commenting on the tickets they own or help with)."""
    return bool(user is not None and user.is_active and user.has_module_perms("tickets"))


def ticket_lookup(ref) -> Q:
    """The ticket a reference names: an id (as a number or its digits) or a readable number
    (KF2611240001, any case). Anything else names no ticket: NotFound."""
    if isinstance(ref, int) and not isinstance(ref, bool):
        if 1 <= ref <= 2**63 - 1:
            return Q(pk=ref)
        raise NotFound()
    text = str(ref).strip()
    if text.isdecimal() and text.isascii() and 0 < len(text) <= 18:
        return Q(pk=int(text))
    if NUMBER_PATTERN.match(text.upper()):
        return Q(number=text.upper())
    raise NotFound()


def access_ticket(user, ref, *, action: str = "view", queryset: TicketQuerySet | None = None) -> Ticket:
    """The ticket `ref` (id or number) as `user` may act on it: PermissionDenied (403) when the user
    has no business with tickets or lacks the action's permission; NotFound (404) when there is no
    such ticket or the visibility rule hides it. `queryset` fetches more with it."""
    if not may_use_tickets(user):
        raise PermissionDenied()
    permission = ACTION_PERMISSIONS[action]
    needed = (permission,) if isinstance(permission, str) else permission or ()
    if needed and not any(user.has_perm(perm) for perm in needed):
        raise PermissionDenied()
    lookup = ticket_lookup(ref)
    base = queryset if queryset is not None else Ticket.objects.select_related(*RELATED)
    try:
        return base.visible_to(user).get(lookup)  # type: ignore[attr-defined]  # TicketQuerySet's
    except Ticket.DoesNotExist:
        raise NotFound() from None


def ticket_detail(user, ref, *, action: str = "view") -> Ticket:
    """The ticket with what its page and its API answer show: tags, collaborators, links."""
    queryset = Ticket.objects.select_related(*RELATED).prefetch_related(
        "tags", Prefetch("collaborators", queryset=_collaborators())
    )
    return access_ticket(user, ref, action=action, queryset=queryset)


def _collaborators():
    from kefu.tickets.models import Collaborator

    return Collaborator.objects.select_related("user").order_by("created_at", "id")


def user_team_ids(user) -> list[int]:
    """The teams whose queue `user` works: their own, and those they supervise."""
    ids = set(user.supervised_teams.values_list("id", flat=True))
    if user.team_id:
        ids.add(user.team_id)
    return sorted(ids)


def _queue(tickets: QuerySet[Ticket], user, queue: str, teams: list[int] | None = None) -> QuerySet[Ticket]:
    """The tickets of `queue` among `tickets`. `teams`: user_team_ids(user) when the caller has
    read it already (the tab counts ask for several queues at once)."""
    if queue not in QUEUES:
        raise InvalidRequest({"queue": [f"Choose one of: {', '.join(QUEUES)}."]})
    open_tickets = tickets.filter(status__in=OPEN_STATUSES)
    if queue == "mine":
        return open_tickets.filter(owner=user)
    if queue == "unassigned":
        return open_tickets.filter(owner__username=INTAKE_USERNAME)
    if teams is None:
        teams = user_team_ids(user)
    if queue == "team":
        return open_tickets.filter(team_id__in=teams)
    if queue in ("due_soon", "breached"):
        return _due(open_tickets, user, teams, queue)
    flagged = open_tickets.filter(Q(bounce_count__gte=BOUNCE_FLAG_AT) | Q(urge_count__gt=0))
    if teams or not user.has_perm("tickets.transfer_any_ticket"):
        flagged = flagged.filter(team_id__in=teams)
    return flagged


def queue_counts(user, queues: list[str], *, cap: int) -> dict[str, int]:
    """How many tickets each of `queues` holds for `user`, counted up to `cap` (a bounded read of
    each queue's partial index of open tickets), all in one statement: {queue: count}."""
    if not queues:
        return {}
    parts: list[str] = []
    params: list = []
    teams = user_team_ids(user)  # read once for every queue that needs it
    for index, queue in enumerate(queues):
        tickets = _queue(Ticket.objects.visible_to(user), user, queue, teams)
        try:
            sql, found = tickets.order_by().values("pk")[:cap].query.sql_with_params()
        except EmptyResultSet:  # a queue that can hold nothing (no team)
            sql, found = "SELECT 1 WHERE 1 = 0", ()
        parts.append(f"(SELECT COUNT(*) FROM ({sql}) AS tab{index})")
        params += found
    with connection.cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(parts), params)
        row = cursor.fetchone()
    return dict(zip(queues, row, strict=True))


def due_soon_window() -> datetime.timedelta:
    """How far ahead the due-soon queue looks (setting PROMISE_DUE_SOON_HOURS)."""
    return datetime.timedelta(hours=getattr(settings, "PROMISE_DUE_SOON_HOURS", 4))


def _due(open_tickets: QuerySet[Ticket], user, teams: list[int], queue: str) -> QuerySet[Ticket]:
    """Open tickets with a promise due soon, or past due: the user's own and their teams' (every
    team for a manager with none), on the partial index of open tickets with a due time."""
    now = timezone.now()
    if queue == "breached":
        tickets = open_tickets.filter(due_at__lt=now)
    else:
        tickets = open_tickets.filter(due_at__gte=now, due_at__lt=now + due_soon_window())
    if teams or not user.has_perm("tickets.transfer_any_ticket"):
        tickets = tickets.filter(Q(owner=user) | Q(team_id__in=teams))
    return tickets


def due_page(tickets: QuerySet, *, cursor: str | None, limit: int | None) -> Page:
    """A page of `tickets` (models or named rows) by due time, those without one last, then id:
    keyset pagination (core.pagination's signed cursor) that knows where the nulls are. One query."""
    limit = clamp_limit(limit)
    tickets = tickets.order_by(F("due_at").asc(nulls_last=True), "id")
    if cursor:
        due_at, pk = decode_cursor(cursor, Ticket, DUE_ORDER)
        if due_at is None:
            tickets = tickets.filter(due_at__isnull=True, pk__gt=pk)
        else:
            tickets = tickets.filter(
                Q(due_at__gt=due_at) | Q(due_at=due_at, pk__gt=pk) | Q(due_at__isnull=True)
            )
    rows = list(tickets[: limit + 1])
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        next_cursor = encode_cursor([rows[-1].due_at, rows[-1].id], Ticket, DUE_ORDER)
    return Page(items=rows, next_cursor=next_cursor)


def ticket_queue(
    *,
    user,
    queue: str | None = None,
    status: str | None = None,
    type: str | None = None,
    priority: str | None = None,
    channel: str | None = None,
    tag: str | None = None,
    category: str | None = None,
    customer: int | None = None,
    q: str | None = None,
    cursor: str | None = None,
    limit: int | None = None,
    rows: bool = False,
) -> Page:
    """A page of the tickets `user` may see. A queue holds open tickets on the partial indexes
    of open tickets. By due time (the first promise due on top, tickets with none running last):
    `mine` (owned by the user), `due_soon` (a promise due within PROMISE_DUE_SOON_HOURS) and
    `breached` (a promise past due, the most overdue first), both the user's own and their teams'
    (every team for a manager with none). Oldest first (the one waiting longest on top): `team`
    (the user's team and the teams they supervise), `unassigned` (owned by the intake account),
    `flagged` (bouncing or urged, in the user's teams; every team for a manager with none).
    Without a queue: every ticket, newest first. Filters narrow either; `q` is the full-text search
    (without a queue its page is read from the search table newest first, keyset on the id).
    Keyset on (due_at, id) or (created_at, id): two queries (the page and its tags), whatever the
    page size. `rows`: the items are named rows of ROW_COLUMNS (and the order's columns), not
    tickets; their tags are one query of `row_tags`."""
    tickets: QuerySet[Ticket] = Ticket.objects.visible_to(user)
    if queue:
        tickets = _queue(tickets, user, queue)
    filters = {
        "status": status,
        "type": type,
        "priority": priority,
        "channel": channel,
        "tags__name": tag,
        "product__model__category__code": category,
        "customer_id": customer,
    }
    tickets = tickets.filter(**{name: value for name, value in filters.items() if value not in (None, "")})
    # By due time for the due queues; oldest first for the others; newest first for every ticket.
    order = DUE_ORDER if queue in DUE_QUEUES else ("created_at", "id") if queue else ("-created_at", "-id")
    if rows:
        names = dict.fromkeys([*ROW_COLUMNS, *(name.lstrip("-") for name in order)])
        tickets = tickets.values_list(*names, named=True)
    else:
        tickets = tickets.select_related(*RELATED).prefetch_related("tags")
    if q and q.strip():
        from kefu.tickets import search

        if not queue:
            # Every ticket with a search: read from the search table newest first (by id).
            return search.newest_page(tickets, q, cursor=cursor, limit=limit)
        tickets = search.matching(tickets, q)
    if queue in DUE_QUEUES:
        return due_page(tickets, cursor=cursor, limit=limit)
    return keyset_page(tickets, order=order, cursor=cursor, limit=limit)


def row_tags(rows) -> dict[int, list[str]]:
    """The tags of the tickets of named rows (ticket_queue with `rows=True`), each ticket's
    sorted by name: one query (none for no rows)."""
    tags: dict[int, list[str]] = {row.id: [] for row in rows}
    if tags:
        for ticket_id, name in Ticket.tags.through.objects.filter(ticket_id__in=list(tags)).values_list(
            "ticket_id", "tag__name"
        ):
            tags[ticket_id].append(name)
    return {ticket_id: sorted(names) for ticket_id, names in tags.items()}


def owner_name(row) -> str:
    """A named row's owner as accounts.User names itself (display name, full name, username)."""
    full = f"{row.owner__first_name} {row.owner__last_name}".strip()
    return row.owner__display_name or full or row.owner__username


def attach_comments(events: list[TicketEvent]) -> None:
    """Set `event.comment` (with its attachments) on the events of replies and notes, and
    `event.attachment` on those of files: two queries for a whole page."""
    comment_ids = [event.data.get("comment") for event in events if event.kind in timeline.COMMENT_KINDS]
    comments = {}
    if comment_ids:
        rows = Comment.objects.filter(pk__in=[pk for pk in comment_ids if pk]).select_related("author")
        comments = {comment.pk: comment for comment in rows.prefetch_related("attachments")}
    attachment_ids = [
        event.data.get("attachment") for event in events if event.kind == timeline.TICKET_ATTACHMENT_ADDED
    ]
    attachments = {}
    if attachment_ids:
        attachments = Attachment.objects.in_bulk([pk for pk in attachment_ids if pk])
    for event in events:
        event.comment = comments.get(event.data.get("comment"))  # type: ignore[attr-defined]
        event.attachment = attachments.get(event.data.get("attachment"))  # type: ignore[attr-defined]


def ticket_timeline(
    ticket: Ticket,
    *,
    user,
    cursor: str | None = None,
    limit: int | None = None,
    public_only: bool = False,
    newest_first: bool = False,
) -> Page[TicketEvent]:
    """The ticket's events, oldest first (`newest_first`: the latest first, what the ticket's page
    starts from), with those of the tickets merged into it (a merge moves nothing: the original
    shows its duplicates' replies). `public_only`: what the customer's link shows. The caller
    fetched the ticket through access_ticket (or holds the customer's link). Keyset pages on
    (occurred_at, id); at most four queries a page, whatever the page: the events with their
    actors, their comments, the comments' files and the events' own files."""
    events = TicketEvent.objects.filter(ticket_id__in=_with_duplicates(ticket)).select_related("actor")
    if public_only:
        events = events.filter(is_public=True)
    order = ("-occurred_at", "-id") if newest_first else ("occurred_at", "id")
    page = keyset_page(events, order=order, cursor=cursor, limit=limit)
    attach_comments(page.items)
    return page


def _with_duplicates(ticket: Ticket) -> QuerySet:
    """The ids of the ticket and of the tickets merged into it, as a subquery. Written on the
    tickets (the primary key or the partial merged_into index) so that the events' and comments'
    own (ticket, time) indexes answer the page: an OR across the join read every event of every
    ticket at 10M (53 s a page)."""
    return Ticket.objects.filter(Q(pk=ticket.pk) | Q(merged_into=ticket.pk)).values("pk")


def ticket_comments(ticket: Ticket, *, cursor: str | None = None, limit: int | None = None) -> Page[Comment]:
    """The ticket's replies and notes, oldest first, with those of the tickets merged into it
    (fetched through access_ticket first). One query a page, authors with it."""
    comments = Comment.objects.filter(ticket_id__in=_with_duplicates(ticket)).select_related("author")
    return keyset_page(comments, order=("created_at", "id"), cursor=cursor, limit=limit)


def customer_open_tickets(customer: Customer, *, user, limit: int = 20) -> list[Ticket]:
    """The customer's open tickets that `user` may see, newest first (the 360° page's card)."""
    tickets = (
        Ticket.objects.visible_to(user)
        .filter(customer=customer, status__in=OPEN_STATUSES)
        .select_related("owner", "product__model")
        .order_by("-created_at", "-id")
    )
    return list(tickets[:limit])


def customer_timeline_entries(
    customer: Customer,
    *,
    user,
    kinds: tuple[str, ...] | None,
    bound: customer_timeline.Bound | None,
    limit: int,
) -> list[TicketEvent]:
    """The tickets' events as a source of the customer's 360° timeline (decision 0016): one range
    of the (customer, occurred_at, id) index, only the events of tickets `user` may see. Staff see
    internal notes too; only the customer's link leaves them out."""
    events = TicketEvent.objects.visible_to(user).filter(customer=customer).select_related("actor")
    if kinds:
        events = events.filter(kind__in=kinds)
    if bound is not None:
        events = events.filter(bound.q())
    return list(events.order_by("-occurred_at", "-id")[:limit])
