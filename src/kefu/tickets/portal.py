"""The customer's link to their ticket, and the limit on the public request form.

A link is `/t/<token>/`: the ticket's id signed with the secret key and the time it was issued
(django.core.signing.TimestampSigner, salt "kefu.tickets.portal"). It opens that ticket and
nothing else for settings.TICKET_LINK_MAX_AGE seconds (30 days by default) after it was issued;
a changed character or an old link opens nothing (LinkNotFound, a 404 that says so plainly).
Nothing is stored per link: a link cannot be revoked one by one; rotating SECRET_KEY revokes
them all. Each issued link leaves an audit row on its ticket (who, until when).

A merged duplicate's link opens its original, as long as both are the same customer's: the
customer follows the ticket that is being worked on, replies and urges land there, and the page
says the request was merged. A duplicate merged into another customer's ticket opens nothing.

The public request form (`POST /api/v1/public/requests`, `/t/request/`) is limited per client
address (core.clientip): settings.PUBLIC_REQUESTS_PER_HOUR and PUBLIC_REQUESTS_PER_DAY. Each
accepted request leaves an audit row that holds a keyed hash of the address (never the address
itself); those rows are the counter, so the limit holds across every web process.

The requests on a customer's link (the ticket's pages and its API: the page, replies, urges,
files; the survey's page and its API) are limited per client address too, all in one budget
(PUBLIC_LINK_REQUESTS_PER_MINUTE and PUBLIC_LINK_REQUESTS_PER_HOUR), counted in the cache: a read
leaves no row to count (core.ratelimit, decision 0037).
"""

import datetime
import hashlib
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core import signing
from django.db import connection, transaction
from django.db.models import Count, Min, Q
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy as _

from kefu.core import audit, ratelimit
from kefu.core.clientip import client_ip
from kefu.core.errors import NotFound, TooManyRequests
from kefu.core.links import absolute_url
from kefu.core.models import AuditAction, AuditEvent
from kefu.core.validation import TEXT_MAX, FieldErrors
from kefu.customers import selectors as customer_selectors
from kefu.customers import services as customer_services
from kefu.customers.models import Customer, ProductCategory
from kefu.customers.phones import normalise_phone
from kefu.customers.validation import clean_name
from kefu.tickets import services, timeline
from kefu.tickets.models import Attachment, Channel, Comment, Status, Ticket, TicketEvent, TicketType

SALT = "kefu.tickets.portal"
ADDRESS_SALT = "kefu.tickets.portal.client-address"
DEFAULT_MAX_AGE = 30 * 24 * 3600
# The longest token a link carries: an id of up to 19 digits, a timestamp and a signature.
TOKEN_MAX = 100
# How many merges a link follows (a duplicate of a duplicate …) before it gives up.
MERGE_HOPS = 5
HOUR = datetime.timedelta(hours=1)
DAY = datetime.timedelta(days=1)


class LinkNotFound(NotFound):
    code = "link_not_found"
    default_message = _(
        "This link is wrong or has expired. Ask us for a new one, or call the service hotline."
    )


class TooManyPublicRequests(TooManyRequests):
    code = "too_many_requests"
    default_message = _("Many requests were sent from your network in a short time. Please try again later.")


def max_age() -> int:
    return int(getattr(settings, "TICKET_LINK_MAX_AGE", DEFAULT_MAX_AGE))


def _signer() -> signing.TimestampSigner:
    return signing.TimestampSigner(salt=SALT)


def link_path(token: str) -> str:
    return reverse("portal:ticket", kwargs={"token": token})


def absolute(path: str, request=None) -> str:
    """`path` on the address customers reach (core.links: KEFU_SITE_URL when set, else the
    address of the request being answered)."""
    return absolute_url(path, request)


def make_token(ticket: Ticket) -> str:
    return _signer().sign(str(ticket.pk))


def expiry_of(token: str) -> datetime.datetime:
    """When a valid token stops opening its ticket."""
    return _issued_at(token) + datetime.timedelta(seconds=max_age())


def _issued_at(token: str) -> datetime.datetime:
    _pk, stamp, _signature = token.rsplit(":", 2)
    seconds = signing.b62_decode(stamp)
    return datetime.datetime.fromtimestamp(seconds, tz=datetime.UTC)


@transaction.atomic
def portal_link(ticket: Ticket, *, by, request=None) -> tuple[str, datetime.datetime]:
    """A new link to `ticket` for its customer, and when it expires; audited on the ticket."""
    token = make_token(ticket)
    expires_at = expiry_of(token)
    audit.record(
        actor=by,
        action=AuditAction.UPDATE,
        obj=ticket,
        changes={"portal_link_expires_at": [None, expires_at]},
        reason=str(_("Link for the customer issued")),
    )
    return absolute(link_path(token), request), timezone.localtime(expires_at)


def open_link(token: str) -> Ticket:
    """The ticket a link opens (its original when it was merged into another of the customer's
    tickets); LinkNotFound for a tampered, expired or unknown link. Reads only."""
    if not token or len(token) > TOKEN_MAX:
        raise LinkNotFound()
    try:
        value = _signer().unsign(token, max_age=max_age())
    except signing.BadSignature:  # SignatureExpired is one too
        raise LinkNotFound() from None
    try:
        pk = int(value)
    except ValueError:
        raise LinkNotFound() from None
    ticket = Ticket.objects.select_related("merged_into").filter(pk=pk).first()
    for _hop in range(MERGE_HOPS):
        if ticket is None or ticket.merged_into_id is None:
            break
        original = ticket.merged_into
        if original.customer_id != ticket.customer_id:
            raise LinkNotFound()
        ticket = Ticket.objects.select_related("merged_into").filter(pk=original.pk).first()
    if ticket is None or ticket.merged_into_id is not None:
        raise LinkNotFound()
    return ticket


def followed_merge(token: str, ticket: Ticket) -> bool:
    """Whether the link was issued for another ticket, since merged into `ticket`."""
    try:
        return int(_signer().unsign(token, max_age=None)) != ticket.pk
    except (signing.BadSignature, ValueError):
        return False


# --- The public request form's limit --------------------------------------------------------


def address_tag(address: str) -> str:
    """A keyed hash of a client address: counts requests without keeping the address."""
    return salted_hmac(ADDRESS_SALT, address).hexdigest()[:16]


def limits() -> tuple[tuple[datetime.timedelta, int], ...]:
    return (
        (HOUR, int(getattr(settings, "PUBLIC_REQUESTS_PER_HOUR", 20))),
        (DAY, int(getattr(settings, "PUBLIC_REQUESTS_PER_DAY", 50))),
    )


def _rows(tag: str, since: datetime.datetime):
    return AuditEvent.objects.filter(
        actor__isnull=True,
        at__gte=since,
        target_type=ContentType.objects.get_for_model(Ticket),
        changes__client_address__1=tag,
    )


def wait_for(address: str, now: datetime.datetime | None = None) -> int | None:
    """Seconds until `address` may send another public request; None when it may now."""
    now = now or timezone.now()
    measures = {}
    for index, (span, _limit) in enumerate(limits()):
        in_window = Q(at__gte=now - span)
        measures[f"count{index}"] = Count("id", filter=in_window)
        measures[f"oldest{index}"] = Min("at", filter=in_window)
    counted = _rows(address_tag(address), now - max(span for span, _limit in limits())).aggregate(**measures)
    waits = [
        (counted[f"oldest{index}"] + span - now).total_seconds()
        for index, (span, limit) in enumerate(limits())
        if counted[f"count{index}"] >= limit
    ]
    return int(max(waits)) + 1 if waits else None


def hold_address(address: str) -> None:
    """Inside the request's transaction: one public request per address at a time, so that
    parallel requests cannot slip past the count (SQLite's writer lock does this already)."""
    if connection.vendor == "postgresql":
        key = int.from_bytes(
            hashlib.sha256(f"{ADDRESS_SALT}:{address}".encode()).digest()[:8], "big", signed=True
        )
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [key])


def refuse_if_over_limit(address: str, now: datetime.datetime | None = None) -> None:
    """Call inside the transaction that will open the request: TooManyPublicRequests (429 with
    Retry-After) when `address` reached a limit."""
    hold_address(address)
    wait = wait_for(address, now)
    if wait is not None:
        raise TooManyPublicRequests(retry_after=wait)


def record_public_request(ticket: Ticket, address: str) -> None:
    """The audit row that says a ticket came from the public form, and counts it for its address."""
    audit.record(
        actor=None,
        action=AuditAction.CREATE,
        obj=ticket,
        changes={"client_address": [None, address_tag(address)]},
        reason=str(_("Opened through the public request form")),
    )


# --- The limit on the customer's links ------------------------------------------------------
# Reading a link, replying, urging, fetching a file, reading or answering a survey: one budget
# per client address for all of them, counted in the cache (core.ratelimit, decision 0037).
# Generous, because many customers may share one address (a carrier's NAT, a shop's Wi-Fi);
# enough to keep one client from flooding the doors.

LINK_SCOPE = "links"


def link_limits() -> tuple[tuple[int, int], ...]:
    return (
        (60, int(getattr(settings, "PUBLIC_LINK_REQUESTS_PER_MINUTE", 60))),
        (3600, int(getattr(settings, "PUBLIC_LINK_REQUESTS_PER_HOUR", 600))),
    )


def refuse_link_request_over_limit(request: HttpRequest) -> None:
    """Count the request on a customer's link; TooManyPublicRequests (429 with Retry-After) when
    its client address went over a limit. Call it first, before anything is read or written."""
    wait = ratelimit.count_request(LINK_SCOPE, client_ip(request), link_limits())
    if wait is not None:
        raise TooManyPublicRequests(retry_after=wait)


# --- The public request -----------------------------------------------------------------------


@transaction.atomic
def open_public_request(
    *,
    address: str,
    name: str,
    phone: str,
    subject: str,
    description: str = "",
    category: str = "",
    product: str = "",
    type: str = TicketType.REPAIR,
) -> Ticket:
    """A ticket from the public form, owned by the intake account (the unassigned queue), for the
    customer whose record has `phone`, or for a new record when none has it.

    Whoever sends it learns nothing about the archive: the same work is done and the same
    answer given whether the number was known or not, and the ticket shows nothing of the
    record (the portal page shows the ticket only). What the person typed (their name, the
    product) goes into the description, for the agent to compare with the record.

    Refused with nothing written: a bad field (ValidationError), an address over its limit
    (TooManyPublicRequests).
    """
    errors = FieldErrors()
    name = clean_name(errors, name)
    number = errors.check("phone", normalise_phone, phone or "")
    subject = (subject or "").strip()
    if not subject:
        errors.add("subject", _("Say in a few words what is wrong."))
    errors.length("subject", subject, Ticket._meta.get_field("subject").max_length)
    description = (description or "").strip()
    product = (product or "").strip()
    errors.length("product", product, PRODUCT_TEXT_MAX)
    category_name = ""
    if category:
        found = ProductCategory.objects.filter(code=category).values_list("name", flat=True).first()
        if found is None:
            errors.add("category", _("Choose one of the product kinds."))
        category_name = found or ""
    errors.choice("type", type, TicketType)
    full_description = _public_description(description, name=name, category=category_name, product=product)
    errors.length("description", full_description, TEXT_MAX)
    errors.raise_if_any()
    assert number is not None

    refuse_if_over_limit(address)
    customer = _customer_for(name, number)
    ticket = services.open_ticket(
        by=None,
        customer=customer,
        subject=subject,
        type=type,
        channel=Channel.PORTAL,
        description=full_description,
    )
    record_public_request(ticket, address)
    return ticket


PRODUCT_TEXT_MAX = 100


def _public_description(description: str, *, name: str, category: str, product: str) -> str:
    """What the person wrote, then what they said about themselves and the product, in the
    reader's language of the moment the ticket is opened (the system's default)."""
    lines = [description] if description else []
    lines.append(str(_("Name given on the form: %(name)s")) % {"name": name})
    if category or product:
        lines.append(
            str(_("Product: %(product)s")) % {"product": " ".join(p for p in (category, product) if p)}
        )
    return "\n\n".join([lines[0], "\n".join(lines[1:])]) if description else "\n".join(lines)


def _customer_for(name: str, number: str) -> Customer:
    """The oldest record with `number`, else a new one (a record made meanwhile by someone
    else is found on the second look)."""
    for _attempt in range(2):
        ids = customer_selectors.customers_with_phones([number])
        if ids:
            return Customer.objects.get(pk=ids[0])
        try:
            with transaction.atomic():
                return customer_services.create_customer(by=None, name=name, phones=[number])
        except customer_services.DuplicatePhone:
            continue
    raise customer_services.DuplicatePhone(customer_selectors.customers_with_phones([number]))


# --- What the customer's page shows ------------------------------------------------------------

# The progress steps (受理 → 处理中 → 已解决 → 已关闭) and the step each status stands on.
STEPS = (
    ("received", _("Received")),
    ("in_progress", _("In progress")),
    ("resolved", _("Resolved")),
    ("closed", _("Closed")),
)
STEP_OF_STATUS = {
    Status.NEW: 0,
    Status.OPEN: 1,
    Status.PENDING_CUSTOMER: 1,
    Status.PENDING_PARTS: 1,
    Status.RESOLVED: 2,
    Status.CLOSED: 3,
}
# What the current step says while the ticket waits, shown as it is, not hidden in "in progress".
WAITING = {
    Status.PENDING_CUSTOMER: _("Waiting for your reply"),
    Status.PENDING_PARTS: _("Waiting for parts"),
}
STATUS_WORDS = {
    Status.NEW: _("We have received your request."),
    Status.OPEN: _("We are working on your request."),
    Status.PENDING_CUSTOMER: _("We are waiting for your reply."),
    Status.PENDING_PARTS: _("We are waiting for parts."),
    Status.RESOLVED: _("Your request was resolved."),
    Status.CLOSED: _("Your request was closed."),
}
# How many entries the page shows, newest kept.
ENTRIES_MAX = 200
PUBLIC_EVENT_KINDS = (timeline.TICKET_OPENED, timeline.TICKET_STATUS_CHANGED, timeline.TICKET_URGED)


@dataclass
class Step:
    code: str
    label: str
    state: str  # "done", "current" or "todo"
    at: datetime.datetime | None
    note: str = ""


@dataclass
class PublicFile:
    id: int
    name: str
    content_type: str
    size: int
    url: str


@dataclass
class Entry:
    at: datetime.datetime
    kind: str  # "reply" (staff), "customer_reply", "opened", "status", "urged", "file"
    by: str  # "staff", "customer" or "system"
    text: str
    files: list[PublicFile] = field(default_factory=list)


@dataclass
class PublicTicket:
    ticket: Ticket
    token: str
    steps: list[Step]
    status_text: str
    entries: list[Entry]
    merged_from: list[str]
    can_reply: bool
    can_urge: bool


def _steps(ticket: Ticket) -> list[Step]:
    current = STEP_OF_STATUS[ticket.status]
    times = [ticket.created_at, None, ticket.resolved_at, ticket.closed_at]
    steps = []
    for index, (code, label) in enumerate(STEPS):
        if index < current or (index == current and ticket.status == Status.CLOSED):
            state = "done"
        elif index == current:
            state = "current"
        else:
            state = "todo"
        note = str(WAITING.get(ticket.status, "")) if index == current else ""
        steps.append(
            Step(
                code=code,
                label=str(label),
                state=state,
                at=times[index] if state != "todo" else None,
                note=note,
            )
        )
    return steps


def _event_text(event: TicketEvent) -> str | None:
    data = event.data or {}
    if event.kind == timeline.TICKET_OPENED:
        return str(_("We have received your request."))
    if event.kind == timeline.TICKET_STATUS_CHANGED:
        if data.get("reopened"):
            return str(_("Your request was reopened."))
        words = STATUS_WORDS.get(data.get("to", ""))
        return str(words) if words else None
    if event.kind == timeline.TICKET_URGED:
        count = data.get("urge_count", "")
        if data.get("via") == "phone":
            return str(_("You urged us by phone (urge %(count)s).")) % {"count": count}
        return str(_("You urged us (urge %(count)s).")) % {"count": count}
    return None


def public_file_url(token: str, attachment_id: int) -> str:
    return reverse("portal:file", kwargs={"token": token, "attachment_id": attachment_id})


def public_ticket(ticket: Ticket, token: str) -> PublicTicket:
    """What the customer's link shows of `ticket` (opened by `token`): its progress, its public
    replies and files (the customer's and the staff's, also on duplicates merged into it),
    and the public events. Never an internal note, a private file, a staff member's name or
    anything of the customer's record. A fixed number of queries."""
    merged = list(
        Ticket.objects.filter(merged_into=ticket, customer_id=ticket.customer_id).values_list("pk", "number")
    )
    ids = [ticket.pk, *(pk for pk, _number in merged)]
    comments = list(
        Comment.objects.filter(ticket_id__in=ids, is_public=True).order_by("-created_at", "-id")[:ENTRIES_MAX]
    )
    files = list(
        Attachment.objects.filter(ticket_id__in=ids, is_public=True)
        .only("pk", "name", "content_type", "size", "comment_id", "created_at", "by_customer")
        .order_by("-created_at", "-id")[:ENTRIES_MAX]
    )
    events = list(
        TicketEvent.objects.filter(ticket_id=ticket.pk, is_public=True, kind__in=PUBLIC_EVENT_KINDS)
        .only("occurred_at", "kind", "data")
        .order_by("-occurred_at", "-id")[:ENTRIES_MAX]
    )
    by_comment: dict[int, list[PublicFile]] = {}
    entries: list[Entry] = []
    for attachment in files:
        public_file = PublicFile(
            id=attachment.pk,
            name=attachment.name,
            content_type=attachment.content_type,
            size=attachment.size,
            url=public_file_url(token, attachment.pk),
        )
        if attachment.comment_id is not None:
            by_comment.setdefault(attachment.comment_id, []).append(public_file)
        else:
            who = "customer" if attachment.by_customer else "staff"
            entries.append(Entry(at=attachment.created_at, kind="file", by=who, text="", files=[public_file]))
    for comment in comments:
        entries.append(
            Entry(
                at=comment.created_at,
                kind="customer_reply" if comment.by_customer else "reply",
                by="customer" if comment.by_customer else "staff",
                text=comment.body,
                files=sorted(by_comment.get(comment.pk, []), key=lambda item: item.id),
            )
        )
    for event in events:
        text = _event_text(event)
        if text is None:
            continue
        kind = {timeline.TICKET_OPENED: "opened", timeline.TICKET_URGED: "urged"}.get(event.kind, "status")
        entries.append(Entry(at=event.occurred_at, kind=kind, by="system", text=text))
    entries.sort(key=lambda entry: entry.at)
    return PublicTicket(
        ticket=ticket,
        token=token,
        steps=_steps(ticket),
        status_text=str(STATUS_WORDS[ticket.status]),
        entries=entries[-ENTRIES_MAX:],
        merged_from=[number for _pk, number in merged],
        can_reply=ticket.status != Status.CLOSED,
        can_urge=ticket.is_open,
    )


def public_attachment(ticket: Ticket, attachment_id: int) -> Attachment:
    """A public file of `ticket` (or of a duplicate of the same customer merged into it);
    LinkNotFound for any other."""
    attachment = (
        Attachment.objects.filter(pk=attachment_id, is_public=True)
        .filter(Q(ticket=ticket) | Q(ticket__merged_into=ticket, ticket__customer_id=ticket.customer_id))
        .first()
    )
    if attachment is None:
        raise LinkNotFound()
    return attachment


def urged_recently(ticket: Ticket, *, before_event: TicketEvent | None = None) -> bool:
    """Whether the customer urged `ticket` through the link within the last
    settings.TICKET_URGE_NOTED_MINUTES (before the urge just made)."""
    minutes = int(getattr(settings, "TICKET_URGE_NOTED_MINUTES", 30))
    since = timezone.now() - datetime.timedelta(minutes=minutes)
    urges = TicketEvent.objects.filter(ticket=ticket, kind=timeline.TICKET_URGED, occurred_at__gte=since)
    if before_event is not None:
        urges = urges.exclude(pk=before_event.pk)
    return urges.exists()


def urge(ticket: Ticket) -> bool:
    """The customer urges through the link; every urge counts. True when an urge had already
    been passed on within the last TICKET_URGE_NOTED_MINUTES (the page then says so)."""
    already = urged_recently(ticket)
    services.urge_ticket(ticket=ticket, by=None, via="portal")
    return already


def urge_message(already: bool):
    """What the customer reads after urging."""
    if already:
        return _(
            "You had already urged us a short while ago. We have reminded the person handling "
            "your request again."
        )
    return _("We have told the person handling your request that you are waiting.")
