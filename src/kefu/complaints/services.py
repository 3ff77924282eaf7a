"""Every write of a complaint: its row (from the tickets' hooks), its classification, apologies,
compensation and escalation to HQ; and the causes' list. Problems: complaints.services_problems.

Each function runs in a transaction, checks everything before writing anything (one
ValidationError naming every bad field, HTTP 422), locks the complaint's row, and writes the
audit row and the ticket's timeline line with the change. The tallies (complaints.tallies) move in
the same transaction: a complaint counts once, under its cause ("" until classified), and under
"resolved although not our fault" while that is its outcome.

Refusals: a ticket that is no complaint → NotAComplaint (409); a stale version → StaleVersion
(409); an escalation of one already at HQ → AlreadyEscalated (409); a bad value (an unknown or
hidden cause, "resolved although not our fault" with the fault ours or unknown, a negative or
absurd compensation, an approver without the right to approve, a date in the future) → 422.
"""

import datetime
import decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kefu.accounts.system import is_system_account
from kefu.complaints import notices, tallies, timeline
from kefu.complaints.models import (
    Apology,
    ApologyMethod,
    Compensation,
    CompensationKind,
    Complaint,
    ComplaintCause,
    FaultParty,
    Outcome,
    Severity,
)
from kefu.core import audit
from kefu.core.concurrency import bump_version, lock_for_update
from kefu.core.dates import week_of
from kefu.core.errors import Conflict
from kefu.core.validation import TEXT_MAX, FieldErrors
from kefu.tickets import timeline as ticket_timeline
from kefu.tickets.models import Ticket, TicketEvent, TicketType


class _Unset:
    def __repr__(self) -> str:
        return "UNSET"


UNSET: Any = _Unset()

APPROVE_PERMISSION = "complaints.approve_compensation"
# More than this for one compensation is a typing slip (a new appliance costs less).
MAX_COMPENSATION = decimal.Decimal("100000.00")
NOT_OUR_FAULT_PARTIES = (FaultParty.THIRD_PARTY, FaultParty.CUSTOMER)
COMPLAINT_FIELDS = ("cause", "severity", "fault_party", "outcome")
ESCALATION_FIELDS = (
    "escalated_to_hq_at",
    "escalated_by",
    "escalation_reason",
    "apology_visit_on",
    "apology_visit_by",
)
REASON_MAX = 200
VISIT_BY_MAX = 100
DESCRIPTION_MAX = 200


class NotAComplaint(Conflict):
    code = "not_a_complaint"
    default_message = _("This ticket is not a complaint. Change its type to complaint first.")


class AlreadyEscalated(Conflict):
    code = "already_escalated"
    default_message = _("This complaint was already escalated to HQ.")


def _event(ticket: Ticket, kind: str, *, by, data: dict, at: datetime.datetime | None = None) -> TicketEvent:
    return ticket_timeline.add_event(ticket, kind, by=by, data=data, at=at)


# --- The row, from the tickets' hooks --------------------------------------------------------


def ensure_complaint(ticket: Ticket) -> Complaint | None:
    """The ticket's complaint row, created (and counted, unclassified, in the week the ticket
    opened) when the ticket is of type complaint and has none yet. A ticket that stops being a
    complaint keeps its row and its count: the complaint was made (decision 0033)."""
    if ticket.type != TicketType.COMPLAINT:
        return None
    existing = Complaint.objects.filter(pk=ticket.pk).first()
    if existing is not None:
        return existing
    complaint = Complaint.objects.create(ticket=ticket, week=week_of(ticket.created_at))
    tallies.add([(complaint.week, "", 1, 0)])
    return complaint


def ticket_opened(ticket: Ticket) -> None:
    ensure_complaint(ticket)


def ticket_changed(ticket: Ticket, fields: frozenset[str]) -> None:
    if "type" in fields:
        ensure_complaint(ticket)


def _lock(ticket: Ticket, version: int | None = None) -> Complaint:
    """The ticket's complaint, locked (its version checked when given); NotAComplaint without one."""
    try:
        return lock_for_update(Complaint.objects, ticket.pk, version)
    except Complaint.DoesNotExist:
        raise NotAComplaint() from None


# --- Classification ------------------------------------------------------------------------


def _cause_code(cause: ComplaintCause | None) -> str:
    return cause.code if cause is not None else ""


@transaction.atomic
def update_complaint(
    *,
    ticket: Ticket,
    by,
    version: int | None,
    cause: ComplaintCause | None = UNSET,
    severity: str = UNSET,
    fault_party: str = UNSET,
    outcome: str = UNSET,
) -> Complaint:
    """Classify the complaint (UNSET: left alone; `cause=None`: not classified). The tallies follow
    the cause and the outcome; a change that changes nothing writes nothing."""
    complaint = _lock(ticket, version)
    errors = FieldErrors()
    old_cause = complaint.cause
    if cause is not UNSET and cause is not None:
        if not isinstance(cause, ComplaintCause):
            errors.add("cause", _("Choose a cause from the list."))
        elif not cause.is_active and cause.pk != complaint.cause_id:
            errors.add("cause", _("The cause “%(name)s” is no longer offered.") % {"name": cause.name})
    if severity is not UNSET:
        errors.choice("severity", severity, Severity)
    if fault_party is not UNSET:
        errors.choice("fault_party", fault_party, FaultParty)
    if outcome is not UNSET:
        errors.choice("outcome", outcome, Outcome)
    errors.raise_if_any()

    before = audit.snapshot(complaint, COMPLAINT_FIELDS)
    old_not_our_fault = complaint.outcome == Outcome.RESOLVED_NOT_OUR_FAULT
    for field, value in (
        ("cause", cause),
        ("severity", severity),
        ("fault_party", fault_party),
        ("outcome", outcome),
    ):
        if value is not UNSET:
            setattr(complaint, field, value)
    if (
        complaint.outcome == Outcome.RESOLVED_NOT_OUR_FAULT
        and complaint.fault_party not in NOT_OUR_FAULT_PARTIES
    ):
        raise ValidationError(
            {
                "outcome": [
                    _(
                        "“Resolved although not our fault” needs the fault party: a third party or the "
                        "customer."
                    )
                ]
            }
        )
    changed = audit.diff(before, audit.snapshot(complaint, COMPLAINT_FIELDS))
    if not changed:
        return complaint
    bump_version(complaint)
    complaint.save()
    audit.record_update(actor=by, obj=complaint, before=before)
    new_not_our_fault = complaint.outcome == Outcome.RESOLVED_NOT_OUR_FAULT
    tallies.moved(
        week=complaint.week,
        old_cause=_cause_code(old_cause),
        new_cause=_cause_code(complaint.cause),
        old_not_our_fault=old_not_our_fault,
        new_not_our_fault=new_not_our_fault,
    )
    _event(
        ticket,
        timeline.COMPLAINT_CLASSIFIED,
        by=by,
        data={
            "cause": _cause_code(complaint.cause),
            "cause_name": complaint.cause.name if complaint.cause else "",
            "severity": complaint.severity,
            "fault_party": complaint.fault_party,
            "outcome": complaint.outcome,
        },
    )
    return complaint


# --- Apologies and compensation -------------------------------------------------------------


def _check_text(errors: FieldErrors, field: str, value, limit: int, *, required: bool = False) -> str:
    text = (value or "").strip() if isinstance(value, str) or value is None else None
    if text is None:
        errors.add(field, _("Enter text."))
        return ""
    if required and not text:
        errors.add(field, _("This field is required."))
    errors.length(field, text, limit)
    return text


@transaction.atomic
def record_apology(*, ticket: Ticket, by, method: str, made_on: datetime.date, notes: str = "") -> Apology:
    """Record that someone apologised to the customer (by phone, in person, in writing), on a day
    that has come (not in the future)."""
    complaint = _lock(ticket)
    errors = FieldErrors()
    errors.choice("method", method, ApologyMethod)
    if not isinstance(made_on, datetime.date):
        errors.add("made_on", _("Enter a date as YYYY-MM-DD."))
    elif made_on > timezone.localdate():
        errors.add("made_on", _("An apology is recorded once it was made: the day cannot be in the future."))
    notes = _check_text(errors, "notes", notes, TEXT_MAX)
    maker = audit.acting_user(by)
    if maker is None:
        errors.add("made_by", _("Sign in to record an apology."))
    errors.raise_if_any()
    apology = Apology.objects.create(
        complaint=complaint, method=method, made_by=maker, made_on=made_on, notes=notes
    )
    audit.record_create(actor=by, obj=apology, fields=("method", "made_by", "made_on", "notes"))
    _event(ticket, timeline.APOLOGY_RECORDED, by=by, data={"method": method, "made_on": made_on.isoformat()})
    return apology


def parse_value(value) -> decimal.Decimal | None:
    """A compensation's value as a Decimal (from "199.00", 199 or a Decimal); None if it is not one."""
    if isinstance(value, bool):
        return None
    try:
        amount = decimal.Decimal(str(value).strip())
    except (decimal.InvalidOperation, ValueError):
        return None
    return amount if amount.is_finite() else None


def may_approve(user) -> bool:
    return bool(
        user is not None
        and getattr(user, "is_active", False)
        and not is_system_account(user)
        and user.has_perm(APPROVE_PERMISSION)
    )


@transaction.atomic
def add_compensation(
    *, ticket: Ticket, by, kind: str, value, approved_by, description: str = ""
) -> Compensation:
    """Record what the customer was given, its value in yuan (0 to MAX_COMPENSATION, to the fen)
    and who approved it: a supervisor or a manager (`approve_compensation`), who may be someone
    other than the one recording it."""
    complaint = _lock(ticket)
    errors = FieldErrors()
    errors.choice("kind", kind, CompensationKind)
    amount = parse_value(value)
    if amount is None:
        errors.add("value", _("Enter the value in yuan, such as 199.00."))
    elif amount < 0:
        errors.add("value", _("A compensation's value cannot be negative."))
    elif amount > MAX_COMPENSATION:
        errors.add("value", _("Enter at most %(limit)s yuan.") % {"limit": f"{MAX_COMPENSATION:,.2f}"})
    elif amount != amount.quantize(decimal.Decimal("0.01")):
        errors.add("value", _("Enter the value to the fen: at most two decimal places."))
    if not may_approve(approved_by):
        errors.add("approved_by", _("Only a supervisor or a manager may approve a compensation."))
    description = _check_text(errors, "description", description, DESCRIPTION_MAX)
    recorder = audit.acting_user(by)
    if recorder is None:
        errors.add("recorded_by", _("Sign in to record a compensation."))
    errors.raise_if_any()
    assert amount is not None
    compensation = Compensation.objects.create(
        complaint=complaint,
        kind=kind,
        value=amount.quantize(decimal.Decimal("0.01")),
        description=description,
        approved_by=approved_by,
        recorded_by=recorder,
    )
    audit.record_create(
        actor=by, obj=compensation, fields=("kind", "value", "description", "approved_by", "recorded_by")
    )
    _event(
        ticket,
        timeline.COMPENSATION_RECORDED,
        by=by,
        data={
            "kind": kind,
            "value": f"{compensation.value:.2f}",
            "approved_by": approved_by.pk,
            "approved_by_name": str(approved_by),
        },
    )
    return compensation


# --- Escalation to HQ ------------------------------------------------------------------------


@transaction.atomic
def escalate_to_hq(
    *,
    ticket: Ticket,
    by,
    reason: str,
    apology_visit_on: datetime.date | None = None,
    apology_visit_by: str = "",
    version: int | None = None,
) -> Complaint:
    """Escalate the complaint to HQ once, with the reason and, when planned, the apology visit
    (its day and who goes); every active manager is told through the notification centre."""
    complaint = _lock(ticket, version)
    if complaint.escalated_to_hq_at is not None:
        raise AlreadyEscalated()
    errors = FieldErrors()
    reason = _check_text(errors, "reason", reason, REASON_MAX, required=True)
    apology_visit_by = _check_text(errors, "apology_visit_by", apology_visit_by, VISIT_BY_MAX)
    if apology_visit_on is not None:
        if not isinstance(apology_visit_on, datetime.date):
            errors.add("apology_visit_on", _("Enter a date as YYYY-MM-DD."))
        elif apology_visit_on < timezone.localdate(ticket.created_at):
            errors.add("apology_visit_on", _("The apology visit cannot be before the complaint was made."))
    if apology_visit_by and apology_visit_on is None:
        errors.add("apology_visit_on", _("Give the day of the apology visit too."))
    errors.raise_if_any()
    before = audit.snapshot(complaint, ESCALATION_FIELDS)
    complaint.escalated_to_hq_at = timezone.now()
    complaint.escalated_by = audit.acting_user(by)
    complaint.escalation_reason = reason
    complaint.apology_visit_on = apology_visit_on
    complaint.apology_visit_by = apology_visit_by
    bump_version(complaint)
    complaint.save()
    audit.record_update(actor=by, obj=complaint, before=before)
    _event(
        ticket,
        timeline.ESCALATED_TO_HQ,
        by=by,
        at=complaint.escalated_to_hq_at,
        data={
            "reason": reason,
            "apology_visit_on": apology_visit_on.isoformat() if apology_visit_on else "",
            "apology_visit_by": apology_visit_by,
        },
    )
    complaint.ticket = ticket
    notices.escalated_to_hq(complaint, by=audit.acting_user(by))
    return complaint


# --- The causes' list (the admin's one path) ------------------------------------------------

CAUSE_FIELDS = ("code", "name", "is_active", "sort_order")


def _check_cause(errors: FieldErrors, values: dict) -> None:
    if "name" in values:
        values["name"] = _check_text(errors, "name", values["name"], 50, required=True)
    if "sort_order" in values:
        order = values["sort_order"]
        if isinstance(order, bool) or not isinstance(order, int) or not 0 <= order <= 32767:
            errors.add("sort_order", _("Enter a whole number from 0 to 32767."))
    if "is_active" in values and not isinstance(values["is_active"], bool):
        errors.add("is_active", _("Enter true or false."))


@transaction.atomic
def create_cause(*, by, code: str, name: str, is_active: bool = True, sort_order: int = 0) -> ComplaintCause:
    """A new cause of complaints. Its code is the tallies' key: lowercase letters, digits and
    underscores, unique, never changed afterwards."""
    errors = FieldErrors()
    code = (code or "").strip()
    if (
        not code
        or len(code) > 32
        or not all(c.isascii() and (c.islower() or c.isdigit() or c == "_") for c in code)
    ):
        errors.add("code", _("Enter a code of lowercase letters, digits and underscores (at most 32)."))
    elif ComplaintCause.objects.filter(code=code).exists():
        errors.add("code", _("There is already a cause with this code."))
    values = {"name": name, "is_active": is_active, "sort_order": sort_order}
    _check_cause(errors, values)
    errors.raise_if_any()
    cause = ComplaintCause.objects.create(code=code, **values)
    audit.record_create(actor=by, obj=cause, fields=CAUSE_FIELDS)
    return cause


@transaction.atomic
def update_cause(*, cause: ComplaintCause, by, **changes) -> ComplaintCause:
    """Rename, reorder, hide or offer again a cause (its code stays). Hiding one keeps the
    complaints already under it and their counts."""
    unknown = set(changes) - {"name", "is_active", "sort_order"}
    if unknown:
        raise ValidationError({name: [_("This field cannot be changed.")] for name in sorted(unknown)})
    cause = ComplaintCause.objects.select_for_update().get(pk=cause.pk)
    errors = FieldErrors()
    _check_cause(errors, changes)
    errors.raise_if_any()
    before = audit.snapshot(cause, CAUSE_FIELDS)
    for field, value in changes.items():
        setattr(cause, field, value)
    if audit.diff(before, audit.snapshot(cause, CAUSE_FIELDS)):
        cause.save()
        audit.record_update(actor=by, obj=cause, before=before)
    return cause
