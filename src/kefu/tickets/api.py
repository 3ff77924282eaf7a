"""The tickets' part of the API (API.md "tickets"): list, create, read, change and act on tickets.

Each endpoint parses, fetches the ticket through selectors.access_ticket (403 without the
permission, 404 for a ticket the caller may not see), calls a service and answers with the
ticket as tickets.schemas renders it. `{ticket}` in a path is the ticket's id or its number.
Attachments and the customer's link are in api_portal.py.
"""

from typing import Annotated

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db.models import prefetch_related_objects
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from ninja import Path, Query, Router
from ninja.responses import Status as HttpStatus

from kefu.core.api import answer
from kefu.core.api.errors import errors
from kefu.core.api.helpers import Cursor, IfMatch, Limit, changes_from, expected_version, require
from kefu.core.api.idempotency import IdempotencyKeyHeader, Rendered, create_once
from kefu.core.db.statements import Prepared
from kefu.core.errors import NotFound, PermissionDenied
from kefu.customers.models import Customer, OwnedProduct
from kefu.customers.selectors import SEARCH_MAX
from kefu.tickets import extensions, selectors, services
from kefu.tickets.models import Channel, Priority, Status, Tag, Ticket, TicketType
from kefu.tickets.schemas import (
    TAG_MAX,
    CollaboratorIn,
    CollaboratorOut,
    CommentIn,
    CommentList,
    CommentOut,
    EventList,
    LinkIn,
    LinkOut,
    MergeIn,
    TicketConflictError,
    TicketIn,
    TicketList,
    TicketOut,
    TicketPatch,
    TransferIn,
    TransitionIn,
    UrgeIn,
    collaborator_data,
    comment_data,
    event_data,
    link_data,
    ticket_answer,
    ticket_data,
    ticket_list_data,
)

router = Router(tags=["tickets"])
User = get_user_model()

TicketPath = Annotated[
    str,
    Path(
        max_length=20,
        pattern=r"^([1-9][0-9]{0,17}|[Kk][Ff][0-9]{10,11})$",
        description="The ticket's id or its number (KF2611240001).",
    ),
]
Queue = Annotated[
    str | None,
    Query(
        pattern=r"^(mine|team|unassigned|flagged|due_soon|breached)$",
        max_length=10,
        description="mine, team (the caller's teams), unassigned (the intake desk's), flagged "
        "(bouncing or urged), due_soon (a promise due within a few hours) or breached (a promise "
        "past due). A queue holds open tickets: mine, due_soon and breached by due time (the first "
        "due on top), the others oldest first; without one: every ticket the caller may see, "
        "newest first.",
    ),
]
CODE = r"^[a-z0-9_]{1,40}$"


def _answer(request: HttpRequest, ticket_id: int) -> dict:
    """The whole ticket as the caller may see it: what every ticket write answers with."""
    return ticket_data(selectors.ticket_detail(request.auth, ticket_id))


def _user(user_id: int | None, field: str):
    if user_id is None:
        return None
    user = User.objects.select_related("team").filter(pk=user_id).first()
    if user is None:
        raise ValidationError({field: [_("There is no staff user with id %(id)s.") % {"id": user_id}]})
    return user


# The create's reads, compiled once per process (core.db.statements, decision 0028).
_CUSTOMER = Prepared(lambda slot: Customer.objects.filter(pk=slot.number("id")))
_PRODUCT = Prepared(lambda slot: OwnedProduct.objects.select_related("model").filter(pk=slot.number("id")))
_PRODUCT_AND_CUSTOMER = Prepared(
    lambda slot: OwnedProduct.objects.select_related("model", "customer").filter(pk=slot.number("id"))
)


def _sees_every_customer(visible) -> bool:
    """Whether the caller's visible customers are all of them (decision 0017's rule today), so
    that the compiled reads may stand in for the ORM's."""
    return not visible.query.is_empty() and not visible.query.where


def _customer(request: HttpRequest, customer_id: int) -> Customer:
    visible = Customer.objects.visible_to(request.auth)
    if _sees_every_customer(visible):  # the compiled read
        customer = _CUSTOMER.first(id=customer_id)
    elif visible.query.is_empty():
        customer = None
    else:  # a visibility rule of its own: through the ORM
        customer = visible.filter(pk=customer_id).first()
    if customer is None:
        raise ValidationError({"customer": [_("There is no customer with id %(id)s.") % {"id": customer_id}]})
    return customer


def _customer_and_product(
    request: HttpRequest, customer_id: int, product_id: int | None
) -> tuple[Customer, OwnedProduct | None]:
    """The customer and the product a create names. When the caller may see every customer and
    the product is that customer's, one read gives both (the product with its customer); any
    other case reads them apart, and answers the error of the first one that is wrong."""
    if product_id is not None and _sees_every_customer(Customer.objects.visible_to(request.auth)):
        product = _PRODUCT_AND_CUSTOMER.first(id=product_id)
        if product is not None and product.customer_id == customer_id:
            return product.customer, product
    return _customer(request, customer_id), _product(product_id)


def _product(product_id: int | None) -> OwnedProduct | None:
    if product_id is None:
        return None
    product = _PRODUCT.first(id=product_id)
    if product is None:
        raise ValidationError({"product": [_("There is no product with id %(id)s.") % {"id": product_id}]})
    return product


def _other_ticket(request: HttpRequest, ref: str, field: str):
    """Another ticket named in a body: one the caller may see, else a field error (not a 404 of
    the path's ticket)."""
    try:
        return selectors.access_ticket(request.auth, ref)
    except NotFound:
        raise ValidationError({field: [_("There is no ticket %(ref)s.") % {"ref": ref}]}) from None


# --- Tickets -------------------------------------------------------------------------------------


@router.get(
    "/tickets",
    response={200: TicketList, **errors(400, 403, 422)},
    operation_id="list_tickets",
    summary="List tickets: a queue, filters, full-text search",
    description=(
        "Every ticket the caller may see (a technician: the tickets they own or help with), or a "
        "queue. `q` searches subject, description and replies in Chinese (and finds a number)."
    ),
)
def list_tickets(
    request: HttpRequest,
    queue: Queue = None,
    status: Annotated[Status | None, Query(description="Only this status.")] = None,
    type: Annotated[TicketType | None, Query(description="Only this type.")] = None,
    priority: Annotated[Priority | None, Query(description="Only this priority.")] = None,
    channel: Annotated[Channel | None, Query(description="Only this channel.")] = None,
    tag: Annotated[str | None, Query(max_length=TAG_MAX, description="Only tickets with this tag.")] = None,
    category: Annotated[
        str | None,
        Query(pattern=CODE, max_length=40, description="Only tickets about a product of this category code."),
    ] = None,
    customer: Annotated[int | None, Query(ge=1, le=2**63 - 1, description="Only this customer's.")] = None,
    q: Annotated[str, Query(max_length=SEARCH_MAX, description="Words to search for, or a number.")] = "",
    cursor: Cursor = None,
    limit: Limit = None,
):
    if not selectors.may_use_tickets(request.auth):
        raise PermissionDenied()
    page = selectors.ticket_queue(
        user=request.auth,
        queue=queue,
        status=status,
        type=type,
        priority=priority,
        channel=channel,
        tag=tag,
        category=category,
        customer=customer,
        q=q,
        cursor=cursor,
        limit=limit,
        rows=True,
    )
    # Written as TicketList would write it, without running the schema for each row.
    tags = selectors.row_tags(page.items)
    promises = extensions.promise_rows(page.items)  # one query for the page
    return answer(
        request, ticket_list_data(page.items, tags=tags, promises=promises, next_cursor=page.next_cursor)
    )


@router.post(
    "/tickets",
    response={201: TicketOut, **errors(400, 403, 422), 409: TicketConflictError},
    operation_id="create_ticket",
    summary="Open a ticket",
    description=(
        "The caller owns it unless `owner` names another. An unknown customer, a product of "
        "another customer or an inactive owner is a 422 naming the field; a customer record "
        "merged into another is a 409 `customer_merged`."
    ),
)
def create_ticket(request: HttpRequest, payload: TicketIn, idempotency_key: IdempotencyKeyHeader = None):
    require(request.auth, "tickets.add_ticket")

    def create():
        customer, product = _customer_and_product(request, payload.customer, payload.product)
        ticket = services.open_ticket(
            by=request.auth,
            customer=customer,
            product=product,
            owner=_user(payload.owner, "owner"),
            subject=payload.subject,
            description=payload.description,
            type=payload.type,
            channel=payload.channel,
            priority=payload.priority,
            tags=payload.tags,
            status=payload.status,
        )
        # Written as TicketOut would write it (schemas.ticket_answer), stored and answered as it is.
        return Rendered(ticket_answer(_as_opened(ticket, tagged=bool(payload.tags))))

    return create_once(request, idempotency_key, TicketOut, create)


def _as_opened(ticket: Ticket, *, tagged: bool) -> Ticket:
    """The ticket open_ticket just wrote, ready for ticket_data without reading it back: its
    customer, product (with its model) and owner are the records the request fetched, its team
    is the owner's (read with the owner), and a ticket opened without tags has none. Reading the
    new ticket back through ticket_detail cost two thirds of a create (docs/benchmarks.md)."""
    owner = ticket.owner
    if ticket.team_id is not None and owner.team_id == ticket.team_id:
        ticket.team = owner.team
    if tagged:
        prefetch_related_objects([ticket], "tags")
    else:
        # What prefetch_related("tags") stores for a ticket without tags, without its machinery
        # (about a millisecond, a tenth of a create): a queryset whose rows are already there.
        # Reading an empty none() would still build its SQL before finding it can match nothing
        # (150 µs a create).
        none = Tag.objects.none()
        none._result_cache, none._prefetch_done = [], True
        ticket._prefetched_objects_cache = {"tags": none}
    return ticket


@router.get(
    "/tickets/{ticket}",
    response={200: TicketOut, **errors(403, 404)},
    operation_id="get_ticket",
    summary="A ticket, by id or number",
)
def get_ticket(request: HttpRequest, ticket: TicketPath):
    return ticket_data(selectors.ticket_detail(request.auth, ticket))


@router.patch(
    "/tickets/{ticket}",
    response={200: TicketOut, **errors(400, 403, 404, 422), 409: TicketConflictError},
    operation_id="update_ticket",
    summary="Change a ticket's subject, description, type, priority, product or tags",
    description="Send only the fields that change, with the version you edited; a stale version is a 409.",
)
def update_ticket(request: HttpRequest, ticket: TicketPath, payload: TicketPatch, if_match: IfMatch = None):
    found = selectors.access_ticket(request.auth, ticket, action="change")
    version = expected_version(payload.version, if_match)
    changes = changes_from(payload, nullable=("product",))
    if "product" in changes:
        changes["product"] = _product(changes["product"])
    services.update_ticket(ticket=found, by=request.auth, version=version, **changes)
    return _answer(request, found.pk)


@router.post(
    "/tickets/{ticket}/transition",
    response={200: TicketOut, **errors(400, 403, 404, 422), 409: TicketConflictError},
    operation_id="transition_ticket",
    summary="Move a ticket along its lifecycle (resolve, close, reopen …)",
    description=(
        "new → open → pending_customer / pending_parts → resolved → closed; resolved or closed → "
        "open reopens. A step the lifecycle does not allow is a 409 `transition_not_allowed` with "
        "`allowed`; with `version`, a stale one is a 409."
    ),
)
def transition_ticket(request: HttpRequest, ticket: TicketPath, payload: TransitionIn):
    found = selectors.access_ticket(request.auth, ticket, action="change")
    services.transition_ticket(ticket=found, by=request.auth, status=payload.status, version=payload.version)
    return _answer(request, found.pk)


@router.post(
    "/tickets/{ticket}/transfer",
    response={200: TicketOut, **errors(400, 403, 404, 422), 409: TicketConflictError},
    operation_id="transfer_ticket",
    summary="Hand a ticket to another person, with a reason",
    description=(
        "Only the owner, or a supervisor (transfer_any_ticket), may. Counts as a bounce; from the "
        "second the ticket is flagged. To oneself, to an inactive user or to the intake desk is a 422."
    ),
)
def transfer_ticket(request: HttpRequest, ticket: TicketPath, payload: TransferIn):
    found = selectors.access_ticket(request.auth, ticket, action="transfer")
    services.transfer_ticket(
        ticket=found, by=request.auth, to_user=_user(payload.to_user, "to_user"), reason=payload.reason
    )
    return _answer(request, found.pk)


@router.post(
    "/tickets/{ticket}/claim",
    response={200: TicketOut, **errors(400, 403, 404, 422), 409: TicketConflictError},
    operation_id="claim_ticket",
    summary="Take an unassigned ticket",
    description="The caller becomes the owner of a ticket of the unassigned queue (not a bounce); "
    "a ticket somebody owns is a 409 `not_unassigned`.",
)
def claim_ticket(request: HttpRequest, ticket: TicketPath):
    found = selectors.access_ticket(request.auth, ticket, action="claim")
    services.claim_ticket(ticket=found, by=request.auth)
    return _answer(request, found.pk)


@router.post(
    "/tickets/{ticket}/collaborators",
    response={201: CollaboratorOut, **errors(400, 403, 404, 422), 409: TicketConflictError},
    operation_id="add_ticket_collaborator",
    summary="Ask a colleague to help with a ticket",
    description="The owner stays answerable; the collaborator sees the ticket and may comment.",
)
def add_collaborator(request: HttpRequest, ticket: TicketPath, payload: CollaboratorIn):
    found = selectors.access_ticket(request.auth, ticket, action="collaborate")
    collaborator = services.add_collaborator(
        ticket=found, by=request.auth, user=_user(payload.user, "user"), note=payload.note
    )
    return HttpStatus(201, collaborator_data(collaborator))


# --- Comments, urges, timeline -------------------------------------------------------------------


@router.get(
    "/tickets/{ticket}/comments",
    response={200: CommentList, **errors(400, 403, 404, 422)},
    operation_id="list_ticket_comments",
    summary="A ticket's replies and internal notes, oldest first",
    description="With those of the tickets merged into it.",
)
def list_comments(request: HttpRequest, ticket: TicketPath, cursor: Cursor = None, limit: Limit = None):
    found = selectors.access_ticket(request.auth, ticket)
    page = selectors.ticket_comments(found, cursor=cursor, limit=limit)
    return {"items": [comment_data(comment) for comment in page.items], "next_cursor": page.next_cursor}


@router.post(
    "/tickets/{ticket}/comments",
    response={201: CommentOut, **errors(400, 403, 404, 422), 409: TicketConflictError},
    operation_id="add_ticket_comment",
    summary="Reply to the customer (public) or add an internal note",
    description="@username names a colleague, who is told. Files: POST /tickets/{ticket}/attachments.",
)
def add_comment(
    request: HttpRequest, ticket: TicketPath, payload: CommentIn, idempotency_key: IdempotencyKeyHeader = None
):
    found = selectors.access_ticket(request.auth, ticket, action="comment")

    def create():
        comment = services.add_comment(
            ticket=found, by=request.auth, body=payload.body, public=payload.public
        )
        return comment_data(comment)

    return create_once(request, idempotency_key, CommentOut, create)


@router.post(
    "/tickets/{ticket}/urge",
    response={200: TicketOut, **errors(400, 403, 404, 422), 409: TicketConflictError},
    operation_id="urge_ticket",
    summary="Record an urge (催办) the customer made by phone",
    description="urge_count goes up by one and the owner is told. A resolved or closed ticket is a 409.",
)
def urge_ticket(
    request: HttpRequest,
    ticket: TicketPath,
    payload: UrgeIn | None = None,
    idempotency_key: IdempotencyKeyHeader = None,
):
    found = selectors.access_ticket(request.auth, ticket, action="urge")

    def urge():
        # A retried request must not count the customer's one call twice.
        services.urge_ticket(ticket=found, by=request.auth, via="phone", note=payload.note if payload else "")
        return _answer(request, found.pk)

    return create_once(request, idempotency_key, TicketOut, urge, status=200)


@router.get(
    "/tickets/{ticket}/timeline",
    response={200: EventList, **errors(400, 403, 404, 422)},
    operation_id="get_ticket_timeline",
    summary="A ticket's timeline, oldest first",
    description="Every change, reply, note, file, transfer, urge, link and merge, with the events of "
    "the tickets merged into it; replies and notes carry their comment.",
)
def get_timeline(request: HttpRequest, ticket: TicketPath, cursor: Cursor = None, limit: Limit = None):
    found = selectors.access_ticket(request.auth, ticket)
    page = selectors.ticket_timeline(found, user=request.auth, cursor=cursor, limit=limit)
    return {"items": [event_data(event) for event in page.items], "next_cursor": page.next_cursor}


# --- Links and merges ----------------------------------------------------------------------------


@router.post(
    "/tickets/{ticket}/links",
    response={201: LinkOut, **errors(400, 403, 404, 422)},
    operation_id="link_tickets",
    summary="Mark a ticket a duplicate of, or related to, another",
)
def link_tickets(request: HttpRequest, ticket: TicketPath, payload: LinkIn):
    found = selectors.access_ticket(request.auth, ticket, action="link")
    other = _other_ticket(request, payload.to_ticket, "to_ticket")
    link = services.link_tickets(ticket=found, to_ticket=other, kind=payload.kind, by=request.auth)
    return HttpStatus(201, link_data(link))


@router.post(
    "/tickets/{ticket}/merge",
    response={200: TicketOut, **errors(400, 403, 404, 422), 409: TicketConflictError},
    operation_id="merge_ticket",
    summary="Merge this ticket, a duplicate, into its original",
    description=(
        "This ticket is closed and marked merged; nothing moves and nothing is deleted: the "
        "original's timeline shows this ticket's replies. Answers with this ticket. Tickets of two "
        "customers, or into itself, is a 422; an already merged ticket a 409 `ticket_merged`."
    ),
)
def merge_ticket(request: HttpRequest, ticket: TicketPath, payload: MergeIn):
    found = selectors.access_ticket(request.auth, ticket, action="merge")
    into = _other_ticket(request, payload.into, "into")
    services.merge_ticket(duplicate=found, into=into, by=request.auth, reason=payload.reason)
    return _answer(request, found.pk)


@router.post(
    "/tickets/{ticket}/unmerge",
    response={200: TicketOut, **errors(400, 403, 404), 409: TicketConflictError},
    operation_id="unmerge_ticket",
    summary="Undo the merge of this ticket: it is open again",
)
def unmerge_ticket(request: HttpRequest, ticket: TicketPath):
    found = selectors.access_ticket(request.auth, ticket, action="merge")
    services.unmerge_ticket(ticket=found, by=request.auth)
    return _answer(request, found.pk)
