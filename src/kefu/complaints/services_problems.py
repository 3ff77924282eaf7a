"""Every write of a problem (a root cause behind many tickets): open it, change it, link tickets to
it, close it. Same rules as complaints.services: a transaction, every check before any write, the
audit row and the tickets' timeline lines with the change.

Closing needs a corrective action (422 without one) and tells the customers of the linked tickets
what was corrected, once per customer, through the outbox (sent after the commit). Closing a
closed problem again changes nothing and tells nobody: a retry is safe.
"""

import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kefu.accounts.system import is_system_account
from kefu.complaints import notices, timeline
from kefu.complaints.models import Problem, ProblemStatus, ProblemTicket
from kefu.core import audit
from kefu.core.concurrency import bump_version, lock_for_update
from kefu.core.errors import Conflict, NotFound
from kefu.core.validation import TEXT_MAX, FieldErrors
from kefu.customers.models import Customer, CustomerPhone, PhoneLabel
from kefu.tickets import timeline as ticket_timeline
from kefu.tickets.models import Ticket, TicketEvent

PROBLEM_FIELDS = ("title", "description", "corrective_action", "owner", "status")
TITLE_MAX = 200
OPEN_CHOICES = (ProblemStatus.OPEN, ProblemStatus.IN_PROGRESS)


class ProblemClosed(Conflict):
    code = "problem_closed"
    default_message = _("This problem is closed and takes no more changes.")


def _lock(problem: Problem, version: int | None = None) -> Problem:
    try:
        return lock_for_update(Problem.objects, problem.pk, version)
    except Problem.DoesNotExist:
        raise NotFound() from None


def _text(errors: FieldErrors, field: str, value, limit: int, *, required: bool = False) -> str:
    if value is not None and not isinstance(value, str):
        errors.add(field, _("Enter text."))
        return ""
    text = (value or "").strip()
    if required and not text:
        errors.add(field, _("This field is required."))
    errors.length(field, text, limit)
    return text


def _check_owner(errors: FieldErrors, owner) -> None:
    if owner is None or not getattr(owner, "is_active", False) or is_system_account(owner):
        errors.add("owner", _("Choose an active member of staff to own the problem."))


def _check(errors: FieldErrors, values: dict) -> None:
    for field, limit, required in (
        ("title", TITLE_MAX, True),
        ("description", TEXT_MAX, False),
        ("corrective_action", TEXT_MAX, False),
    ):
        if field in values:
            values[field] = _text(errors, field, values[field], limit, required=required)
    if "owner" in values:
        _check_owner(errors, values["owner"])
    if "status" in values and values["status"] not in OPEN_CHOICES:
        errors.add("status", _("A problem is open or being corrected; close it with its corrective action."))


@transaction.atomic
def create_problem(*, by, title: str, owner, description: str = "", corrective_action: str = "") -> Problem:
    """Open a problem with its owner (who answers for correcting it)."""
    errors = FieldErrors()
    values = {
        "title": title,
        "description": description,
        "corrective_action": corrective_action,
        "owner": owner,
    }
    _check(errors, values)
    creator = audit.acting_user(by)
    if creator is None:
        errors.add("created_by", _("Sign in to open a problem."))
    errors.raise_if_any()
    problem = Problem.objects.create(created_by=creator, **values)
    audit.record_create(actor=by, obj=problem, fields=PROBLEM_FIELDS)
    return problem


@transaction.atomic
def update_problem(*, problem: Problem, by, version: int | None, **changes) -> Problem:
    """Change the given fields of an open problem (title, description, corrective action, owner,
    status open / in progress). A stale version is a 409; a change that changes nothing writes
    nothing."""
    unknown = set(changes) - {"title", "description", "corrective_action", "owner", "status"}
    if unknown:
        raise ValidationError({name: [_("This field cannot be changed.")] for name in sorted(unknown)})
    problem = _lock(problem, version)
    if problem.status == ProblemStatus.CLOSED:
        raise ProblemClosed()
    errors = FieldErrors()
    _check(errors, changes)
    errors.raise_if_any()
    before = audit.snapshot(problem, PROBLEM_FIELDS)
    for field, value in changes.items():
        setattr(problem, field, value)
    if not audit.diff(before, audit.snapshot(problem, PROBLEM_FIELDS)):
        return problem
    bump_version(problem)
    problem.save()
    audit.record_update(actor=by, obj=problem, before=before)
    return problem


def _event(ticket: Ticket, kind: str, *, by, at: datetime.datetime, data: dict) -> TicketEvent:
    return ticket_timeline.new_event(ticket, kind, by=by, at=at, data=data)


@transaction.atomic
def link_ticket(*, problem: Problem, ticket: Ticket, by) -> tuple[ProblemTicket, bool]:
    """Link `ticket` (which the caller may see: the caller checks) to an open problem; linking it
    again changes nothing. (the link, whether it is new)"""
    problem = _lock(problem)
    if problem.status == ProblemStatus.CLOSED:
        raise ProblemClosed()
    existing = ProblemTicket.objects.filter(problem=problem, ticket=ticket).first()
    if existing is not None:
        return existing, False
    linker = audit.acting_user(by)
    if linker is None:
        raise ValidationError({"linked_by": [_("Sign in to link a ticket.")]})
    now = timezone.now()
    link = ProblemTicket.objects.create(problem=problem, ticket=ticket, linked_at=now, linked_by=linker)
    audit.record(actor=by, action="update", obj=problem, changes={"tickets": {"added": [ticket.number]}})
    _event(
        ticket, timeline.PROBLEM_LINKED, by=by, at=now, data={"problem": problem.pk, "title": problem.title}
    ).save()
    return link, True


def _contact(customer: Customer, phones: dict[int, str]) -> tuple[str, str]:
    return phones.get(customer.pk, ""), customer.email or ""


@transaction.atomic
def close_problem(
    *, problem: Problem, by, version: int | None = None, corrective_action: str | None = None
) -> tuple[Problem, int]:
    """Close the problem with its corrective action (given here or already recorded) and tell
    each customer of its linked tickets once, by text message to their mobile or by e-mail
    (customers with neither are skipped). (the problem, how many customers were told). Closing a
    closed problem again: (the problem, 0), nothing written."""
    problem = _lock(problem, version)
    if problem.status == ProblemStatus.CLOSED:
        return problem, 0
    errors = FieldErrors()
    action = problem.corrective_action
    if corrective_action is not None:
        action = _text(errors, "corrective_action", corrective_action, TEXT_MAX)
    if not errors.by_field and not action:
        errors.add("corrective_action", _("Say what was done to correct the problem before closing it."))
    errors.raise_if_any()
    before = audit.snapshot(problem, (*PROBLEM_FIELDS, "closed_at", "closed_by"))
    now = timezone.now()
    problem.corrective_action = action
    problem.status = ProblemStatus.CLOSED
    problem.closed_at = now
    problem.closed_by = audit.acting_user(by)
    bump_version(problem)
    problem.save()
    audit.record_update(actor=by, obj=problem, before=before)
    tickets = list(
        Ticket.objects.filter(pk__in=ProblemTicket.objects.filter(problem=problem).values("ticket_id"))
    )
    data = {"problem": problem.pk, "title": problem.title, "corrective_action": action}
    TicketEvent.objects.bulk_create(
        [_event(ticket, timeline.PROBLEM_CLOSED, by=by, at=now, data=data) for ticket in tickets]
    )
    return problem, _tell_customers(problem, {ticket.customer_id for ticket in tickets})


def _tell_customers(problem: Problem, customer_ids: set[int]) -> int:
    """One message per customer: their primary mobile (else any mobile), else their e-mail."""
    if not customer_ids:
        return 0
    customers = list(Customer.objects.filter(pk__in=customer_ids).order_by("id"))
    phones: dict[int, str] = {}
    for customer_id, number in (
        CustomerPhone.objects.filter(customer_id__in=customer_ids, label=PhoneLabel.MOBILE)
        .order_by("customer_id", "-is_primary", "id")
        .values_list("customer_id", "number")
    ):
        phones.setdefault(customer_id, number)
    told = 0
    for customer in customers:
        phone, email = _contact(customer, phones)
        if phone or email:
            notices.problem_closed(problem, customer, phone=phone, email=email)
            told += 1
    return told
