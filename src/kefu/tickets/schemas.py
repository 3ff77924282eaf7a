"""What the tickets' API reads and writes (API.md "Core fields": ticket), and how a ticket becomes
its answer. Staff users and customers are referred to by id, with a name beside for display;
no phone number is part of a ticket's answer."""

from typing import Annotated

from django.utils import timezone
from ninja import Field, Schema

from kefu.core.api.errors import ConflictError
from kefu.core.api.helpers import LocalDateTime, local_time_text
from kefu.core.api.schema import TEXT_MAX, Page, RecordId, StrictSchema, Version, max_length
from kefu.tickets import extensions, selectors, services, timeline
from kefu.tickets.labels import labels
from kefu.tickets.models import (
    BOUNCE_FLAG_AT,
    Channel,
    Collaborator,
    Comment,
    LinkKind,
    Priority,
    Status,
    Tag,
    Ticket,
    TicketEvent,
    TicketType,
    Transfer,
)

SUBJECT_MAX = max_length(Ticket, "subject")
TAG_MAX = max_length(Tag, "name")
REASON_MAX = max_length(Transfer, "reason")
NOTE_MAX = max_length(Collaborator, "note")
URGE_NOTE_MAX = 500
TagName = Annotated[str, Field(min_length=1, max_length=TAG_MAX)]
# A ticket named in a body: its id or its readable number.
TicketRef = Annotated[str, Field(min_length=1, max_length=20, description="A ticket's id or number.")]


# --- In ------------------------------------------------------------------------------------------


class TicketIn(StrictSchema):
    customer: RecordId = Field(description="The customer's id.")
    product: RecordId | None = Field(None, description="One of the customer's products.")
    subject: str = Field(min_length=1, max_length=SUBJECT_MAX)
    description: str = Field("", max_length=TEXT_MAX)
    type: TicketType
    channel: Channel = Channel.PHONE
    priority: Priority = Priority.NORMAL
    owner: RecordId | None = Field(None, description="A staff user's id; not given: the caller.")
    tags: list[TagName] = Field(default_factory=list, max_length=services.MAX_TAGS)
    status: Status = Field(Status.NEW, description="`new` or `open`.")


class TicketPatch(StrictSchema):
    """The fields to change, each optional; `product` may be null (no product); `tags` replaces the list."""

    version: Version | None = Field(None, description="The version you edited (or the If-Match header).")
    subject: str | None = Field(None, min_length=1, max_length=SUBJECT_MAX)
    description: str | None = Field(None, max_length=TEXT_MAX)
    type: TicketType | None = None
    priority: Priority | None = None
    product: RecordId | None = None
    tags: list[TagName] | None = Field(None, max_length=services.MAX_TAGS)


class TransitionIn(StrictSchema):
    status: Status
    version: Version | None = Field(None, description="The version you saw; a stale one is a 409.")


class TransferIn(StrictSchema):
    to_user: RecordId = Field(description="The new owner: an active staff user's id.")
    reason: str = Field(min_length=1, max_length=REASON_MAX)


class CollaboratorIn(StrictSchema):
    user: RecordId = Field(description="A staff user's id.")
    note: str = Field("", max_length=NOTE_MAX, description="What they are asked to do.")


class CommentIn(StrictSchema):
    body: str = Field(min_length=1, max_length=TEXT_MAX)
    public: bool = Field(description="True: a reply the customer sees; false: an internal note.")


class UrgeIn(StrictSchema):
    note: str = Field("", max_length=URGE_NOTE_MAX, description="What the customer said on the phone.")


class LinkIn(StrictSchema):
    to_ticket: TicketRef
    kind: LinkKind


class MergeIn(StrictSchema):
    into: TicketRef = Field(description="The original: this ticket is its duplicate.")
    reason: str = Field("", max_length=REASON_MAX)


# --- Out -----------------------------------------------------------------------------------------


class PromiseOut(Schema):
    kind: str = Field(description="first_response, arrival or resolution.")
    due_at: LocalDateTime
    paused: bool = Field(
        description="The clock stands still (pending the customer, or the ticket is resolved)."
    )
    breached_at: LocalDateTime | None
    met_at: LocalDateTime | None


class TicketOut(Schema):
    id: int
    number: str
    customer: int
    customer_name: str
    product: int | None
    product_name: str | None
    channel: Channel
    channel_label: str
    type: TicketType
    type_label: str
    priority: Priority
    priority_label: str
    status: Status
    status_label: str
    subject: str
    description: str
    owner: int
    owner_name: str
    team: int | None
    team_name: str | None
    tags: list[str]
    bounce_count: int
    is_bouncing: bool = Field(description="Transferred twice or more: flagged for the supervisor.")
    urge_count: int
    reopen_count: int
    merged_into: int | None
    promises: list[PromiseOut] = Field(
        description="The service promises made to the customer, first response, arrival, resolution: "
        "when each is due, whether its clock stands still, when it was breached and when it was met."
    )
    created_at: LocalDateTime
    updated_at: LocalDateTime
    last_activity_at: LocalDateTime | None
    resolved_at: LocalDateTime | None
    closed_at: LocalDateTime | None
    version: int


class TicketList(Page[TicketOut]):
    pass


class CollaboratorOut(Schema):
    id: int
    user: int
    user_name: str
    note: str
    created_at: LocalDateTime


class CommentOut(Schema):
    id: int
    ticket: int
    author: int | None
    author_name: str | None
    by_customer: bool
    public: bool
    body: str
    created_at: LocalDateTime


class CommentList(Page[CommentOut]):
    pass


class EventOut(Schema):
    id: int
    ticket: int
    occurred_at: LocalDateTime
    kind: str
    text: str = Field(description="The event in the caller's language.")
    actor: int | None
    public: bool
    data: dict
    comment: CommentOut | None = Field(description="The reply or note, for events of replies and notes.")


class EventList(Page[EventOut]):
    pass


class LinkOut(Schema):
    id: int
    from_ticket: int
    to_ticket: int
    kind: LinkKind
    created_at: LocalDateTime


class TicketConflictError(ConflictError):
    """A 409: a stale version (`current_version`), a step the lifecycle does not allow (`allowed`),
    a merged ticket (`merged_into`), a merged customer record."""

    current_status: str | None = None
    allowed: list[str] | None = None
    merged_into: int | None = None


# --- Rendering -----------------------------------------------------------------------------------


def ticket_data(ticket: Ticket, promises: list[dict] | None = None) -> dict:
    """A ticket fetched with selectors.RELATED and its tags prefetched. Its promises: `promises`
    (read for a whole page with extensions.promise_rows), else one query for this ticket. The
    choices' labels from labels.py's maps (get_FOO_display builds a dict of the choices per call)."""
    if promises is None:
        promises = extensions.promise_rows([ticket]).get(ticket.pk, [])
    product = ticket.product
    return {
        "id": ticket.pk,
        "number": ticket.number,
        "customer": ticket.customer_id,
        "customer_name": ticket.customer.name,
        "product": ticket.product_id,
        "product_name": product.model.name if product is not None else None,
        "channel": ticket.channel,
        "channel_label": labels(Channel)[ticket.channel],
        "type": ticket.type,
        "type_label": labels(TicketType)[ticket.type],
        "priority": ticket.priority,
        "priority_label": labels(Priority)[ticket.priority],
        "status": ticket.status,
        "status_label": labels(Status)[ticket.status],
        "subject": ticket.subject,
        "description": ticket.description,
        "owner": ticket.owner_id,
        "owner_name": str(ticket.owner),
        "team": ticket.team_id,
        "team_name": ticket.team.name if ticket.team is not None else None,
        "tags": sorted(tag.name for tag in ticket.tags.all()),
        "bounce_count": ticket.bounce_count,
        "is_bouncing": ticket.is_bouncing,
        "urge_count": ticket.urge_count,
        "reopen_count": ticket.reopen_count,
        "merged_into": ticket.merged_into_id,
        "promises": promises,
        "created_at": ticket.created_at,
        "updated_at": ticket.updated_at,
        "last_activity_at": ticket.last_activity_at,
        "resolved_at": ticket.resolved_at,
        "closed_at": ticket.closed_at,
        "version": ticket.version,
    }


_TIMES = ("created_at", "updated_at", "last_activity_at", "resolved_at", "closed_at")


def _promise_answer(promise: dict, zone) -> dict:
    """A promise as extensions.promise_rows reads it, as PromiseOut writes it in an answer."""
    breached, met = promise["breached_at"], promise["met_at"]
    return {
        "kind": promise["kind"],
        "due_at": local_time_text(promise["due_at"], zone),
        "paused": promise["paused"],
        "breached_at": None if breached is None else local_time_text(breached, zone),
        "met_at": None if met is None else local_time_text(met, zone),
    }


def ticket_answer(ticket: Ticket) -> dict:
    """ticket_data as TicketOut writes it in an answer (its times as LocalDateTime writes them),
    without validating and dumping it through the schema: a create's answer, stored with its key
    and answered as it is (core.api.idempotency.Rendered). tests/tickets/test_api.py holds it to
    what reading the ticket back answers."""
    zone = timezone.get_current_timezone()
    data = ticket_data(ticket)
    for key in _TIMES:
        if data[key] is not None:
            data[key] = local_time_text(data[key], zone)
    data["promises"] = [_promise_answer(promise, zone) for promise in data["promises"]]
    return data


def ticket_list_data(
    rows, *, tags: dict[int, list[str]], promises: dict[int, list[dict]], next_cursor: str | None
) -> dict:
    """A page of tickets as TicketList puts it in the answer, from the named rows of
    selectors.ticket_queue(rows=True) and their tags (selectors.row_tags), built directly: the
    same keys in the same order, choices as their values with their labels from one map per
    language (labels.py, not get_FOO_display), times as LocalDateTime writes them. The answer is
    what validating and dumping through the schema would give (tests/tickets/test_list_rows.py
    holds them together) without a model or a schema per row. `promises`: the page's promises by
    ticket id, as extensions.promise_rows reads them."""
    zone = timezone.get_current_timezone()
    channels, types = labels(Channel), labels(TicketType)
    priorities, statuses = labels(Priority), labels(Status)

    def when(value):
        return None if value is None else local_time_text(value, zone)

    items = [
        {
            "id": row.id,
            "number": row.number,
            "customer": row.customer_id,
            "customer_name": row.customer__name,
            "product": row.product_id,
            "product_name": row.product__model__name,
            "channel": row.channel,
            "channel_label": channels[row.channel],
            "type": row.type,
            "type_label": types[row.type],
            "priority": row.priority,
            "priority_label": priorities[row.priority],
            "status": row.status,
            "status_label": statuses[row.status],
            "subject": row.subject,
            "description": row.description,
            "owner": row.owner_id,
            "owner_name": selectors.owner_name(row),
            "team": row.team_id,
            "team_name": row.team__name,
            "tags": tags[row.id],
            "bounce_count": row.bounce_count,
            "is_bouncing": row.bounce_count >= BOUNCE_FLAG_AT,
            "urge_count": row.urge_count,
            "reopen_count": row.reopen_count,
            "merged_into": row.merged_into_id,
            "promises": [_promise_answer(promise, zone) for promise in promises.get(row.id, ())],
            "created_at": local_time_text(row.created_at, zone),
            "updated_at": local_time_text(row.updated_at, zone),
            "last_activity_at": when(row.last_activity_at),
            "resolved_at": when(row.resolved_at),
            "closed_at": when(row.closed_at),
            "version": row.version,
        }
        for row in rows
    ]
    return {"items": items, "next_cursor": next_cursor}


def comment_data(comment: Comment) -> dict:
    return {
        "id": comment.pk,
        "ticket": comment.ticket_id,
        "author": comment.author_id,
        "author_name": str(comment.author) if comment.author is not None else None,
        "by_customer": comment.by_customer,
        "public": comment.is_public,
        "body": comment.body,
        "created_at": comment.created_at,
    }


def event_data(event: TicketEvent) -> dict:
    """An event read through selectors.ticket_timeline (its comment attached)."""
    comment = getattr(event, "comment", None)
    return {
        "id": event.pk,
        "ticket": event.ticket_id,
        "occurred_at": event.occurred_at,
        "kind": event.kind,
        "text": timeline.describe(event),
        "actor": event.actor_id,
        "public": event.is_public,
        "data": event.data,
        "comment": comment_data(comment) if comment is not None else None,
    }


def collaborator_data(collaborator: Collaborator) -> dict:
    return {
        "id": collaborator.pk,
        "user": collaborator.user_id,
        "user_name": str(collaborator.user),
        "note": collaborator.note,
        "created_at": collaborator.created_at,
    }


def link_data(link) -> dict:
    return {
        "id": link.pk,
        "from_ticket": link.from_ticket_id,
        "to_ticket": link.to_ticket_id,
        "kind": link.kind,
        "created_at": link.created_at,
    }
