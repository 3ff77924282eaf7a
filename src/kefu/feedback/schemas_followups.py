"""The API's shapes for follow-ups (回访): a queue row carries what the caller needs on the phone."""

import datetime
from typing import Literal

from ninja import Field, Schema

from kefu.core.api.helpers import LocalDateTime
from kefu.core.api.schema import Page, StrictSchema, Version
from kefu.core.validation import TEXT_MAX
from kefu.feedback.models import FollowUpKind, FollowUpMethod, FollowUpOutcome, FollowUpStatus
from kefu.feedback.selectors_followups import FollowUpRow
from kefu.feedback.services_followups import NOTES_MAX
from kefu.tickets.models import TicketType


class FollowUpCustomer(Schema):
    id: int
    name: str
    phone: str = Field(description="The primary number, masked unless your role sees numbers in full.")


class FollowUpTicket(Schema):
    id: int
    number: str
    subject: str


class FollowUpOut(Schema):
    id: int
    version: int
    kind: str = Field(description="after_ticket or account_revisit.")
    kind_label: str
    status: str = Field(description="pending, done or cancelled.")
    status_label: str
    method: str = Field(description="phone, message or visit.")
    method_label: str
    due_on: datetime.date
    is_overdue: bool
    attempts: int
    outcome: str = Field(description="reached, not_reached, or empty while pending.")
    outcome_label: str
    notes: str
    customer: FollowUpCustomer
    ticket: FollowUpTicket | None
    assignee: int
    assignee_name: str
    script: str = Field(
        description="The rule's call script with the customer's name and the ticket filled in."
    )
    survey: int | None
    satisfied: bool | None = Field(description="The survey's answer given during this follow-up, if any.")
    new_ticket: FollowUpTicket | None
    done_at: LocalDateTime | None
    escalated_at: LocalDateTime | None


FollowUpList = Page[FollowUpOut]


class OutcomeIn(StrictSchema):
    outcome: Literal["reached", "not_reached"]
    notes: str = Field("", max_length=NOTES_MAX)
    satisfied: bool | None = Field(None, description="The survey's answer the customer gave on the call.")
    reason: str | None = Field(None, max_length=32, description="A survey reason's code (not satisfied).")
    comment: str = Field("", max_length=TEXT_MAX, description="The customer's words for the survey.")
    new_problem: str = Field(
        "", max_length=200, description="A new problem the customer told: opens a ticket."
    )
    new_ticket_type: Literal[tuple(TicketType.values)] = TicketType.REPAIR  # type: ignore[valid-type]
    version: Version | None = None


def _ticket(ticket) -> dict | None:
    if ticket is None:
        return None
    return {"id": ticket.pk, "number": ticket.number, "subject": ticket.subject}


def follow_up_data(row: FollowUpRow) -> dict:
    follow_up = row.follow_up
    return {
        "id": follow_up.pk,
        "version": follow_up.version,
        "kind": follow_up.kind,
        "kind_label": str(FollowUpKind(follow_up.kind).label),
        "status": follow_up.status,
        "status_label": str(FollowUpStatus(follow_up.status).label),
        "method": follow_up.method,
        "method_label": str(FollowUpMethod(follow_up.method).label),
        "due_on": follow_up.due_on,
        "is_overdue": row.is_overdue,
        "attempts": follow_up.attempts,
        "outcome": follow_up.outcome,
        "outcome_label": str(FollowUpOutcome(follow_up.outcome).label) if follow_up.outcome else "",
        "notes": follow_up.notes,
        "customer": {"id": follow_up.customer_id, "name": follow_up.customer.name, "phone": row.phone},
        "ticket": _ticket(follow_up.ticket),
        "assignee": follow_up.assignee_id,
        "assignee_name": str(follow_up.assignee),
        "script": row.script,
        "survey": follow_up.survey_id,
        "satisfied": follow_up.survey.is_satisfied if follow_up.survey_id else None,
        "new_ticket": _ticket(follow_up.new_ticket),
        "done_at": follow_up.done_at,
        "escalated_at": follow_up.escalated_at,
    }
