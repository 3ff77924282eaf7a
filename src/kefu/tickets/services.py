"""Every write to tickets (SPEC §2). UI views, the API, the portal, the admin and commands call these.

Each function runs in one transaction, locks the ticket row, checks all its input and raises a
DomainError or a ValidationError naming the field before it writes anything, then writes the
change, its TicketEvent (the timeline) and its audit row, and calls tickets.notices for what
people must be told. Nothing is deleted: tickets are closed, reopened, merged and unmerged.
"""

import datetime
import re
from collections.abc import Iterable, Sequence
from typing import Any
from zoneinfo import ZoneInfo

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from kefu.core import audit
from kefu.core.concurrency import bump_version, lock_for_update
from kefu.core.db import apart
from kefu.core.db.statements import insert
from kefu.core.errors import Conflict, NotFound, PermissionDenied
from kefu.core.validation import TEXT_MAX, FieldErrors
from kefu.customers.models import Customer, OwnedProduct
from kefu.customers.services import refuse_if_merged
from kefu.tickets import extensions, notices, timeline
from kefu.tickets.models import (
    OPEN_STATUSES,
    TRANSITIONS,
    Attachment,
    Channel,
    Collaborator,
    Comment,
    LinkKind,
    Priority,
    Status,
    Tag,
    Ticket,
    TicketLink,
    TicketType,
    Transfer,
)

User = get_user_model()

# Ticket numbers count the days of Asia/Shanghai, wherever the server runs (decision 0022).
NUMBER_ZONE = ZoneInfo("Asia/Shanghai")
NUMBER_PREFIX = "KF"
NUMBER_PATTERN = re.compile(r"^KF\d{10,11}$")
INTAKE_USERNAME = "intake"
INTAKE_DISPLAY_NAME = "前台受理"
TICKET_FIELDS = (
    "number",
    "customer",
    "product",
    "channel",
    "type",
    "priority",
    "status",
    "subject",
    "description",
    "owner",
    "team",
)
EDITABLE_FIELDS = ("subject", "description", "type", "priority", "product")
OPENING_STATUSES = (Status.NEW, Status.OPEN)
MAX_TAGS = 10
MAX_FILES = 10
EXCERPT = 200
URGE_VIA = ("portal", "phone")
MENTION = re.compile(r"(?<![\w@])@([\w.+-]{1,150})")


class _Unset:
    def __repr__(self) -> str:
        return "UNSET"


UNSET: Any = _Unset()


class TransitionNotAllowed(Conflict):
    """The lifecycle (models.TRANSITIONS) does not lead from the ticket's status to the one asked."""

    code = "transition_not_allowed"

    def __init__(self, ticket: Ticket, status: str):
        super().__init__(
            _("A ticket that is “%(from)s” cannot become “%(to)s”.")
            % {"from": Status(ticket.status).label, "to": Status(status).label},
            current_status=ticket.status,
            allowed=sorted(TRANSITIONS[ticket.status]),
        )
        self.fields = {"status": [str(self.message)]}


class TicketMerged(Conflict):
    """The ticket was merged into another as a duplicate: it takes no more changes until unmerged."""

    code = "ticket_merged"

    def __init__(self, ticket: Ticket):
        super().__init__(
            _("Ticket %(number)s was merged into another ticket; work on that one, or undo the merge.")
            % {"number": ticket.number},
            merged_into=ticket.merged_into_id,
        )


class TicketNotOpen(Conflict):
    code = "ticket_not_open"

    def __init__(self, ticket: Ticket, message=None):
        super().__init__(
            message or _("Ticket %(number)s is resolved or closed.") % {"number": ticket.number},
            current_status=ticket.status,
        )


class NotUnassigned(Conflict):
    code = "not_unassigned"
    default_message = _("Somebody already owns this ticket: only an unassigned ticket can be taken.")


# --- Helpers ------------------------------------------------------------------------------------


def intake_user():
    """The intake account (前台受理): the owner of tickets opened with nobody on staff opening them
    (the public request form, the system). Its open tickets are the unassigned queue. Created on
    first use; it cannot sign in and holds no role."""
    user, created = User.objects.get_or_create(
        username=INTAKE_USERNAME, defaults={"display_name": INTAKE_DISPLAY_NAME, "is_active": True}
    )
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    return user


def is_intake(user) -> bool:
    return user is not None and getattr(user, "username", None) == INTAKE_USERNAME


def next_ticket_number(at: datetime.datetime | None = None) -> str:
    """The next readable number for a ticket opened `at` (now): KF + yymmdd + the day's serial,
    4 digits (5 after 9999). One atomic upsert, so concurrent openings never share a number; on
    PostgreSQL it is committed at once on a connection of its own (decision 0036), so openings
    do not wait for each other's commits, and an opening that fails leaves its number unused."""
    day = timezone.localtime(at or timezone.now(), NUMBER_ZONE).date()
    table = connection.ops.quote_name("tickets_ticketnumbercounter")
    last = connection.ops.quote_name("last")
    (serial,) = apart.fetch_one(
        f"INSERT INTO {table} (day, {last}) VALUES (%s, 1) "
        f"ON CONFLICT (day) DO UPDATE SET {last} = {table}.{last} + 1 RETURNING {last}",
        [day.isoformat()],
    )
    return f"{NUMBER_PREFIX}{day:%y%m%d}{serial:04d}"


def _lock(ticket: Ticket, version: int | None = None) -> Ticket:
    try:
        return lock_for_update(Ticket.objects, ticket.pk, version)
    except Ticket.DoesNotExist:
        raise NotFound() from None


def _refuse_if_merged(ticket: Ticket) -> None:
    if ticket.merged_into_id is not None:
        raise TicketMerged(ticket)


_event = timeline.add_event
_new_event = timeline.new_event


def _name(user) -> str:
    return str(user) if user is not None else ""


def _index(ticket: Ticket, *, opened: bool = False) -> None:
    from kefu.tickets import search

    if opened:
        search.index_new_ticket(ticket)  # nothing to read back: no comment yet
    else:
        search.index_ticket(ticket.pk)


def _clean_text(errors: FieldErrors, field: str, value, limit: int, *, required: bool) -> str:
    text = value.strip() if isinstance(value, str) else ""
    if not isinstance(value, str) and value is not None:
        errors.add(field, _("Enter text."))
    elif required and not text:
        errors.add(field, _("This field cannot be empty."))
    else:
        errors.length(field, text, limit)
    return text


def _clean_tags(errors: FieldErrors, tags: Iterable[str]) -> list[str]:
    names: list[str] = []
    for raw in tags:
        name = raw.strip() if isinstance(raw, str) else ""
        if not name:
            errors.add("tags", _("A tag cannot be empty."))
        elif len(name) > 30:
            errors.add("tags", _("A tag has at most %(limit)d characters.") % {"limit": 30})
        elif name not in names:
            names.append(name)
    if len(names) > MAX_TAGS:
        errors.add("tags", _("At most %(limit)d tags.") % {"limit": MAX_TAGS})
    return names


def _check_product(errors: FieldErrors, product, customer) -> None:
    if product is not None and product.customer_id != customer.pk:
        errors.add("product", _("The product must be one of the customer's products."))


def _check_staff(errors: FieldErrors, field: str, user, *, allow_intake: bool = False) -> None:
    if user is None:
        errors.add(field, _("Choose a member of staff."))
    elif not user.is_active:
        errors.add(field, _("%(user)s is no longer active.") % {"user": user})
    elif is_intake(user) and not allow_intake:
        errors.add(field, _("The intake desk cannot own or help with a ticket; choose a person."))


def _set_tags(ticket: Ticket, names: Sequence[str]) -> tuple[list[str], list[str]]:
    """Make the ticket's tags exactly `names`; (added, removed)."""
    current = set(ticket.tags.values_list("name", flat=True))
    added = [name for name in names if name not in current]
    removed = sorted(current - set(names))
    if added:
        existing = {tag.name: tag for tag in Tag.objects.filter(name__in=added)}
        for name in added:
            if name not in existing:
                existing[name], _created = Tag.objects.get_or_create(name=name)
        ticket.tags.add(*(existing[name] for name in added))
    if removed:
        ticket.tags.remove(*Tag.objects.filter(name__in=removed))
    return added, removed


def _check_uploads(files: Sequence) -> list:
    """Each upload checked (type by content, size) before anything is written (tickets.attachments)."""
    if not files:
        return []
    if len(files) > MAX_FILES:
        raise ValidationError({"files": [_("At most %(limit)d files at once.") % {"limit": MAX_FILES}]})
    from kefu.tickets.attachments import check_upload

    return [check_upload(upload) for upload in files]


def _store_attachment(ticket: Ticket, checked, *, by, public: bool, comment, by_customer: bool) -> Attachment:
    attachment = Attachment(
        ticket=ticket,
        comment=comment,
        uploaded_by=audit.acting_user(by),
        by_customer=by_customer,
        is_public=public or by_customer,
        **checked.fields(),
    )
    attachment.save()
    audit.record_create(
        actor=by, obj=attachment, fields=("ticket", "name", "content_type", "size", "sha256", "is_public")
    )
    _event(
        ticket,
        timeline.TICKET_ATTACHMENT_ADDED,
        by=by,
        public=attachment.is_public,
        data={"attachment": attachment.pk, "name": attachment.name, "by_customer": by_customer},
    )
    return attachment


def _touch(ticket: Ticket, *fields: str) -> None:
    ticket.last_activity_at = timezone.now()
    ticket.save(update_fields=["last_activity_at", "updated_at", *fields])


# --- Opening and changing -----------------------------------------------------------------------


def open_ticket(
    *,
    by,
    customer: Customer,
    subject: str,
    type: str,
    channel: str,
    priority: str = Priority.NORMAL,
    description: str = "",
    product: OwnedProduct | None = None,
    owner=None,
    tags: Sequence[str] = (),
    status: str = Status.NEW,
) -> Ticket:
    """Open a ticket for `customer`. Its owner is `owner`, else the opener (`by`), else (no staff
    opener: the public form, the system) the intake account, whose tickets are the unassigned
    queue. Refused, with nothing written: an unknown or merged customer, a product of another
    customer, an owner who is inactive, an empty subject, an unknown code."""
    errors = FieldErrors()
    if not isinstance(customer, Customer):
        errors.add("customer", _("Choose the customer."))
    subject = _clean_text(errors, "subject", subject, 200, required=True)
    description = _clean_text(errors, "description", description, TEXT_MAX, required=False)
    errors.choice("type", type, TicketType)
    errors.choice("channel", channel, Channel)
    errors.choice("priority", priority, Priority)
    if status not in OPENING_STATUSES:
        errors.add("status", _("A ticket opens as new or open."))
    if isinstance(customer, Customer):
        _check_product(errors, product, customer)
    owner = owner or audit.acting_user(by)
    if owner is not None:
        _check_staff(errors, "owner", owner, allow_intake=True)
    names = _clean_tags(errors, tags)
    errors.raise_if_any()
    refuse_if_merged(customer)
    owner = owner or intake_user()
    # Checked above, written below in one transaction; inside a caller's (the API's create, which
    # stores its answer with the ticket) without a savepoint of its own: two statements fewer per
    # opening, and a failure of the writes fails the caller's transaction, which PostgreSQL's
    # would anyway.
    with transaction.atomic(savepoint=False):
        now = timezone.now()
        ticket = Ticket(
            customer=customer,
            product=product,
            channel=channel,
            type=type,
            priority=priority,
            status=status,
            subject=subject,
            description=description,
            owner=owner,
            team_id=owner.team_id,
            opened_by=audit.acting_user(by),
            last_activity_at=now,
            created_at=now,
        )
        # Other apps' part before the row is written (promises: due_at set on the instance, their
        # rows written after the INSERT), and all of it before the day's counter: where the counter is
        # taken in this transaction (SQLite, decision 0036), its row lock is held until the commit, so
        # every statement taken before it is one that concurrent openings do not wait for (0028).
        writes = extensions.ticket_opening(ticket)
        ticket.number = next_ticket_number(now)
        # The ticket and its event through statements built once per process (core.db.statements:
        # the same rows as save() and create(), a fraction of the CPU).
        insert([ticket])
        for write in writes:
            write()
        if names:
            _set_tags(ticket, names)
        audit.record_create(
            actor=by, obj=ticket, fields=TICKET_FIELDS, extra={"tags": names} if names else None
        )
        insert(
            [
                _new_event(
                    ticket,
                    timeline.TICKET_OPENED,
                    by=by,
                    public=True,
                    at=now,
                    data={
                        "subject": subject,
                        "channel": channel,
                        "type": type,
                        "owner": owner.pk,
                        "owner_name": _name(owner),
                    },
                )
            ],
            wait=False,
        )
        extensions.ticket_opened(ticket)  # other apps' part after the opening, tickets.extensions
        _index(ticket, opened=True)
        return ticket


@transaction.atomic
def update_ticket(
    *,
    ticket: Ticket,
    by,
    version: int | None,
    subject=UNSET,
    description=UNSET,
    type=UNSET,
    priority=UNSET,
    product=UNSET,
    tags=UNSET,
) -> Ticket:
    """Change the given fields (UNSET: left alone; `tags` replaces the list). A stale `version`
    raises StaleVersion (409) and changes nothing; a change that changes nothing writes nothing."""
    ticket = _lock(ticket, version)
    _refuse_if_merged(ticket)
    errors = FieldErrors()
    values: dict[str, Any] = {}
    if subject is not UNSET:
        values["subject"] = _clean_text(errors, "subject", subject, 200, required=True)
    if description is not UNSET:
        values["description"] = _clean_text(errors, "description", description, TEXT_MAX, required=False)
    if type is not UNSET:
        errors.choice("type", type, TicketType)
        values["type"] = type
    if priority is not UNSET:
        errors.choice("priority", priority, Priority)
        values["priority"] = priority
    if product is not UNSET:
        _check_product(errors, product, ticket.customer)
        values["product"] = product
    names = _clean_tags(errors, tags) if tags is not UNSET else None
    errors.raise_if_any()

    before = audit.snapshot(ticket, EDITABLE_FIELDS)
    for field, value in values.items():
        setattr(ticket, field, value)
    changed = audit.diff(before, audit.snapshot(ticket, EDITABLE_FIELDS))
    added, removed = _set_tags(ticket, names) if names is not None else ([], [])
    if not changed and not added and not removed:
        return ticket
    bump_version(ticket)
    ticket.last_activity_at = timezone.now()
    ticket.save()
    tag_changes = {"tags": {"added": added, "removed": removed}} if added or removed else None
    audit.record_update(actor=by, obj=ticket, before=before, extra=tag_changes)
    if changed:
        _event(ticket, timeline.TICKET_UPDATED, by=by, data={"changes": changed})
    if added or removed:
        _event(ticket, timeline.TICKET_TAGGED, by=by, data={"added": added, "removed": removed})
    extensions.ticket_changed(ticket, changed)  # other apps' part (promises: recompute), tickets.extensions
    if "subject" in changed or "description" in changed:
        _index(ticket)
    return ticket


def _apply_status(ticket: Ticket, status: str, now: datetime.datetime) -> bool:
    """Set the status and its times; True when it is a reopen."""
    reopened = ticket.status in (Status.RESOLVED, Status.CLOSED) and status in OPEN_STATUSES
    ticket.status = status
    if status == Status.RESOLVED:
        ticket.resolved_at = now
        ticket.closed_at = None
    elif status == Status.CLOSED:
        ticket.closed_at = now
        ticket.resolved_at = ticket.resolved_at or now
    elif reopened:
        ticket.resolved_at = None
        ticket.closed_at = None
        ticket.reopen_count += 1
    return reopened


@transaction.atomic
def transition_ticket(*, ticket: Ticket, by, status: str, version: int | None = None) -> Ticket:
    """Move the ticket along its lifecycle (models.TRANSITIONS). Resolved or closed back to open is
    a reopen (reopen_count + 1, the resolution times cleared). Refused: an unknown status (422), a
    step the lifecycle does not allow or a merged ticket (409), a stale version (409)."""
    if status not in Status.values:
        raise ValidationError(
            {"status": [_("“%(value)s” is not one of the allowed values.") % {"value": status}]}
        )
    ticket = _lock(ticket, version)
    _refuse_if_merged(ticket)
    if status not in TRANSITIONS[ticket.status]:
        raise TransitionNotAllowed(ticket, status)
    before = audit.snapshot(ticket, ("status", "resolved_at", "closed_at", "reopen_count"))
    previous = ticket.status
    now = timezone.now()
    reopened = _apply_status(ticket, status, now)
    bump_version(ticket)
    ticket.last_activity_at = now
    ticket.save()
    audit.record_update(actor=by, obj=ticket, before=before)
    _event(
        ticket,
        timeline.TICKET_STATUS_CHANGED,
        by=by,
        public=True,
        at=now,
        data={"from": previous, "to": status, "reopened": reopened},
    )
    extensions.status_changed(ticket, previous, status)  # promises: pause, resume, meet
    return ticket


# --- Owners and helpers ---------------------------------------------------------------------------


def _change_owner(ticket: Ticket, *, by, to_user, reason: str, is_bounce: bool) -> Transfer:
    transfer = Transfer.objects.create(
        ticket=ticket,
        at=timezone.now(),
        from_user_id=ticket.owner_id,
        to_user=to_user,
        by=audit.acting_user(by),
        reason=reason,
        is_bounce=is_bounce,
    )
    before = audit.snapshot(ticket, ("owner", "team", "bounce_count"))
    ticket.owner = to_user
    ticket.team_id = to_user.team_id
    if is_bounce:
        ticket.bounce_count += 1
    bump_version(ticket)
    ticket.last_activity_at = transfer.at
    ticket.save()
    audit.record_update(actor=by, obj=ticket, before=before, reason=reason)
    return transfer


@transaction.atomic
def transfer_ticket(*, ticket: Ticket, by, to_user, reason: str) -> Ticket:
    """Hand the ticket to another person, with a reason: bounce_count + 1, flagged for the
    supervisor from the second transfer. Only the owner, or a holder of
    `tickets.transfer_any_ticket`, may transfer (403). Refused (422, nothing written): no reason,
    the current owner, an inactive user, the intake account; a merged ticket (409)."""
    ticket = _lock(ticket)
    if by is None or (ticket.owner_id != by.pk and not by.has_perm("tickets.transfer_any_ticket")):
        raise PermissionDenied(_("Only the ticket's owner or a supervisor may transfer it."))
    _refuse_if_merged(ticket)
    errors = FieldErrors()
    reason = _clean_text(errors, "reason", reason, 200, required=True)
    _check_staff(errors, "to_user", to_user)
    if to_user is not None and to_user.pk == ticket.owner_id:
        errors.add("to_user", _("%(user)s already owns this ticket.") % {"user": to_user})
    errors.raise_if_any()
    from_user = ticket.owner
    transfer = _change_owner(ticket, by=by, to_user=to_user, reason=reason, is_bounce=True)
    _event(
        ticket,
        timeline.TICKET_TRANSFERRED,
        by=by,
        at=transfer.at,
        data={
            "transfer": transfer.pk,
            "from": from_user.pk,
            "from_name": _name(from_user),
            "to": to_user.pk,
            "to_name": _name(to_user),
            "reason": reason,
            "bounce_count": ticket.bounce_count,
        },
    )
    notices.transferred(ticket, transfer)
    return ticket


@transaction.atomic
def claim_ticket(*, ticket: Ticket, by) -> Ticket:
    """Take an unassigned ticket (owned by the intake account): `by` becomes its owner. A first
    owner, not a hand-off: not counted as a bounce. Refused: a ticket somebody owns (409)."""
    ticket = _lock(ticket)
    _refuse_if_merged(ticket)
    errors = FieldErrors()
    _check_staff(errors, "by", by)
    errors.raise_if_any()
    if not is_intake(ticket.owner):
        raise NotUnassigned()
    reason = gettext("Taken from the unassigned queue")
    transfer = _change_owner(ticket, by=by, to_user=by, reason=reason, is_bounce=False)
    _event(
        ticket,
        timeline.TICKET_CLAIMED,
        by=by,
        at=transfer.at,
        data={"transfer": transfer.pk, "to": by.pk, "to_name": _name(by)},
    )
    return ticket


@transaction.atomic
def add_collaborator(*, ticket: Ticket, by, user, note: str = "") -> Collaborator:
    """Ask `user` to help with the ticket; the owner stays answerable. Refused (422): the owner,
    somebody already helping, an inactive user, the intake account; a merged ticket (409)."""
    ticket = _lock(ticket)
    _refuse_if_merged(ticket)
    errors = FieldErrors()
    note = _clean_text(errors, "note", note, 200, required=False)
    _check_staff(errors, "user", user)
    if user is not None and user.pk == ticket.owner_id:
        errors.add("user", _("%(user)s owns this ticket.") % {"user": user})
    elif user is not None and Collaborator.objects.filter(ticket=ticket, user=user).exists():
        errors.add("user", _("%(user)s already helps with this ticket.") % {"user": user})
    errors.raise_if_any()
    collaborator = Collaborator.objects.create(
        ticket=ticket, user=user, added_by=audit.acting_user(by), note=note
    )
    audit.record_create(actor=by, obj=collaborator, fields=("ticket", "user", "note"))
    _event(
        ticket,
        timeline.TICKET_COLLABORATOR_ADDED,
        by=by,
        data={"user": user.pk, "user_name": _name(user), "note": note},
    )
    _touch(ticket)
    return collaborator


# --- Replies, files, urges ------------------------------------------------------------------------


def mentioned_users(body: str, *, exclude=None) -> list:
    """The active staff named as @username in `body` (not the intake account, not `exclude`)."""
    names = {match.group(1).rstrip(".") for match in MENTION.finditer(body)}
    if not names:
        return []
    users = User.objects.filter(username__in=names, is_active=True).exclude(username=INTAKE_USERNAME)
    if exclude is not None:
        users = users.exclude(pk=exclude.pk)
    return list(users.order_by("pk"))


def _write_comment(
    ticket: Ticket, *, by, body: str, public: bool, by_customer: bool, checked: list
) -> Comment:
    comment = Comment.objects.create(
        ticket=ticket, author=audit.acting_user(by), by_customer=by_customer, is_public=public, body=body
    )
    audit.record_create(actor=by, obj=comment, fields=("ticket", "is_public", "by_customer", "body"))
    if by_customer:
        kind = timeline.TICKET_CUSTOMER_REPLIED
    else:
        kind = timeline.TICKET_REPLIED if public else timeline.TICKET_NOTED
    _event(
        ticket,
        kind,
        by=by,
        public=public,
        at=comment.created_at,
        data={"comment": comment.pk, "excerpt": body[:EXCERPT], "files": len(checked)},
    )
    for item in checked:
        _store_attachment(ticket, item, by=by, public=public, comment=comment, by_customer=by_customer)
    return comment


@transaction.atomic
def add_comment(*, ticket: Ticket, by, body: str, public: bool, files: Sequence = ()) -> Comment:
    """A public reply (the customer sees it on their link) or an internal note, with files.
    @username mentions of active staff are told (notices.mentioned). Refused (422): an empty or
    over-long text, a file that is not an image or a PDF or is too large; a merged ticket (409)."""
    ticket = _lock(ticket)
    _refuse_if_merged(ticket)
    errors = FieldErrors()
    body = _clean_text(errors, "body", body, TEXT_MAX, required=True)
    errors.raise_if_any()
    checked = _check_uploads(files)
    comment = _write_comment(
        ticket, by=by, body=body, public=bool(public), by_customer=False, checked=checked
    )
    _touch(ticket)
    if comment.is_public:
        extensions.public_reply(ticket, comment)  # promises: the first response, tickets.extensions
    users = mentioned_users(body, exclude=by)
    if users:
        notices.mentioned(ticket, comment, users)
    _index(ticket)
    return comment


@transaction.atomic
def add_customer_reply(*, ticket: Ticket, body: str, files: Sequence = ()) -> Comment:
    """The customer's answer through their link: always public. A ticket waiting for the customer
    (pending_customer) goes back to open. The owner is told (notices.customer_replied). Refused:
    an empty text, a bad file (422); a merged ticket (409), a closed one (409)."""
    ticket = _lock(ticket)
    _refuse_if_merged(ticket)
    if ticket.status == Status.CLOSED:
        raise TicketNotOpen(ticket, _("This request is closed; call us to reopen it."))
    errors = FieldErrors()
    body = _clean_text(errors, "body", body, TEXT_MAX, required=True)
    errors.raise_if_any()
    checked = _check_uploads(files)
    comment = _write_comment(ticket, by=None, body=body, public=True, by_customer=True, checked=checked)
    if ticket.status == Status.PENDING_CUSTOMER:
        before = audit.snapshot(ticket, ("status",))
        ticket.status = Status.OPEN
        bump_version(ticket)
        ticket.last_activity_at = timezone.now()
        ticket.save()
        audit.record_update(actor=None, obj=ticket, before=before)
        _event(
            ticket,
            timeline.TICKET_STATUS_CHANGED,
            public=True,
            data={"from": Status.PENDING_CUSTOMER, "to": Status.OPEN, "reopened": False},
        )
        extensions.status_changed(ticket, Status.PENDING_CUSTOMER, Status.OPEN)  # promises: resume
    else:
        _touch(ticket)
    notices.customer_replied(ticket, comment)
    _index(ticket)
    return comment


@transaction.atomic
def add_attachment(
    *,
    ticket: Ticket,
    by,
    upload,
    public: bool = True,
    comment: Comment | None = None,
    by_customer: bool = False,
) -> Attachment:
    """A file (an image or a PDF, checked by content and size by tickets.attachments) on the
    ticket, on its own or with one of its comments. Refused (422): a bad file, a comment of
    another ticket; a merged ticket (409)."""
    ticket = _lock(ticket)
    _refuse_if_merged(ticket)
    if comment is not None and comment.ticket_id != ticket.pk:
        raise ValidationError({"comment": [_("The comment must be one of this ticket's.")]})
    (checked,) = _check_uploads([upload])
    attachment = _store_attachment(
        ticket,
        checked,
        by=None if by_customer else by,
        public=public,
        comment=comment,
        by_customer=by_customer,
    )
    _touch(ticket)
    return attachment


@transaction.atomic
def urge_ticket(*, ticket: Ticket, by=None, via: str = "portal", note: str = "") -> Ticket:
    """The customer asks for haste (催办): on their link (`via="portal"`), or by phone, recorded by
    an agent (`by`). urge_count + 1, a public event, the owner told (notices.urged). Refused: an
    unknown `via` or an over-long note (422); a ticket that is resolved, closed or merged (409)."""
    ticket = _lock(ticket)
    _refuse_if_merged(ticket)
    errors = FieldErrors()
    if via not in URGE_VIA:
        errors.add("via", _("“%(value)s” is not one of the allowed values.") % {"value": via})
    note = _clean_text(errors, "note", note, 500, required=False)
    errors.raise_if_any()
    if not ticket.is_open:
        raise TicketNotOpen(ticket)
    before = audit.snapshot(ticket, ("urge_count",))
    ticket.urge_count += 1
    _touch(ticket, "urge_count")
    audit.record_update(actor=by, obj=ticket, before=before, extra={"via": via})
    event = _event(
        ticket,
        timeline.TICKET_URGED,
        by=by,
        public=True,
        data={"via": via, "note": note, "urge_count": ticket.urge_count},
    )
    notices.urged(ticket, event)
    return ticket


# --- Links and merges -----------------------------------------------------------------------------


def _lock_pair(first: Ticket, second: Ticket) -> tuple[Ticket, Ticket]:
    """Both tickets, locked in id order (two merges of one pair never deadlock)."""
    locked = {pk: _lock(Ticket(pk=pk)) for pk in sorted({first.pk, second.pk})}
    return locked[first.pk], locked[second.pk]


@transaction.atomic
def link_tickets(*, ticket: Ticket, to_ticket: Ticket, kind: str, by) -> TicketLink:
    """Record that `ticket` is a duplicate of, or related to, `to_ticket` (on both timelines).
    Refused (422): a ticket linked to itself, a link that exists, an unknown kind."""
    errors = FieldErrors()
    errors.choice("kind", kind, LinkKind)
    if to_ticket is None or to_ticket.pk == ticket.pk:
        errors.add("to_ticket", _("Choose another ticket."))
    errors.raise_if_any()
    ticket, to_ticket = _lock_pair(ticket, to_ticket)
    if TicketLink.objects.filter(from_ticket=ticket, to_ticket=to_ticket, kind=kind).exists():
        raise ValidationError({"to_ticket": [_("These tickets are already linked so.")]})
    link = TicketLink.objects.create(
        from_ticket=ticket, to_ticket=to_ticket, kind=kind, created_by=audit.acting_user(by)
    )
    audit.record_create(actor=by, obj=link, fields=("from_ticket", "to_ticket", "kind"))
    for one, other, direction in ((ticket, to_ticket, "out"), (to_ticket, ticket, "in")):
        _event(
            one,
            timeline.TICKET_LINKED,
            by=by,
            data={
                "link": link.pk,
                "kind": kind,
                "direction": direction,
                "other": other.pk,
                "other_number": other.number,
            },
        )
    return link


@transaction.atomic
def merge_ticket(*, duplicate: Ticket, into: Ticket, by, reason: str = "") -> Ticket:
    """Merge `duplicate` into its original `into` (decision 0022): the duplicate is closed with
    `merged_into` set and a duplicate-of link; nothing moves and nothing is deleted: the original's
    timeline shows the duplicate's replies and events. Tickets merged earlier into the duplicate now
    point at the original (no chains). Refused (422): a ticket into itself, tickets of two
    customers; (409): a duplicate already merged, an original that is itself merged."""
    errors = FieldErrors()
    reason = _clean_text(errors, "reason", reason, 200, required=False)
    if into is None or into.pk == duplicate.pk:
        errors.add("into", _("A ticket cannot be merged into itself."))
    errors.raise_if_any()
    duplicate, into = _lock_pair(duplicate, into)
    if duplicate.customer_id != into.customer_id:
        raise ValidationError({"into": [_("Only tickets of the same customer can be merged.")]})
    _refuse_if_merged(duplicate)
    _refuse_if_merged(into)
    now = timezone.now()
    before = audit.snapshot(duplicate, ("status", "merged_into", "closed_at"))
    previous = duplicate.status
    duplicate.merged_into = into
    if duplicate.status != Status.CLOSED:
        duplicate.status = Status.CLOSED
        duplicate.closed_at = now
    bump_version(duplicate)
    duplicate.last_activity_at = now
    duplicate.save()
    earlier = list(Ticket.objects.filter(merged_into=duplicate).values_list("pk", flat=True))
    Ticket.objects.filter(merged_into=duplicate).update(merged_into=into)
    TicketLink.objects.get_or_create(
        from_ticket=duplicate,
        to_ticket=into,
        kind=LinkKind.DUPLICATE_OF,
        defaults={"created_by": audit.acting_user(by)},
    )
    audit.record_update(actor=by, obj=duplicate, before=before, reason=reason)
    audit.record_update(
        actor=by,
        obj=into,
        before={},
        extra={"merged_from": [None, duplicate.pk], "earlier_merged": earlier},
        reason=reason,
    )
    common = {"reason": reason, "previous_status": previous}
    _event(
        duplicate,
        timeline.TICKET_MERGED,
        by=by,
        at=now,
        data={"role": "duplicate", "other": into.pk, "other_number": into.number, **common},
    )
    _event(
        into,
        timeline.TICKET_MERGED,
        by=by,
        at=now,
        data={"role": "original", "other": duplicate.pk, "other_number": duplicate.number, **common},
    )
    extensions.status_changed(duplicate, previous, duplicate.status)  # promises: the clocks stop
    _touch(into)
    return duplicate


@transaction.atomic
def unmerge_ticket(*, ticket: Ticket, by) -> Ticket:
    """Undo a merge: the duplicate is no longer merged and is open again (a reopen). Its
    duplicate-of link stays, as a record. Refused (409): a ticket that is not merged."""
    ticket = _lock(ticket)
    if ticket.merged_into_id is None:
        raise Conflict(_("Ticket %(number)s is not merged into another.") % {"number": ticket.number})
    ticket, into = _lock_pair(ticket, Ticket(pk=ticket.merged_into_id))
    now = timezone.now()
    before = audit.snapshot(ticket, ("status", "merged_into", "closed_at", "reopen_count"))
    ticket.merged_into = None
    _apply_status(ticket, Status.OPEN, now)
    bump_version(ticket)
    ticket.last_activity_at = now
    ticket.save()
    audit.record_update(actor=by, obj=ticket, before=before)
    audit.record_update(actor=by, obj=into, before={}, extra={"unmerged": [ticket.pk, None]})
    _event(
        ticket,
        timeline.TICKET_UNMERGED,
        by=by,
        at=now,
        data={"role": "duplicate", "other": into.pk, "other_number": into.number},
    )
    extensions.status_changed(ticket, Status.CLOSED, Status.OPEN)  # promises: the clocks run again
    _event(
        into,
        timeline.TICKET_UNMERGED,
        by=by,
        at=now,
        data={"role": "original", "other": ticket.pk, "other_number": ticket.number},
    )
    _touch(into)
    return ticket
