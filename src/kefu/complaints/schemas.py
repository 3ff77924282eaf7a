"""The API's shapes for complaints, compensation and problems (API.md "complaints")."""

import datetime

from ninja import Field, Schema

from kefu.complaints.models import (
    ApologyMethod,
    Compensation,
    CompensationKind,
    Complaint,
    FaultParty,
    Outcome,
    Problem,
    ProblemStatus,
    Severity,
)
from kefu.complaints.services import DESCRIPTION_MAX, REASON_MAX, VISIT_BY_MAX
from kefu.complaints.services_problems import TITLE_MAX
from kefu.core.api.helpers import LocalDateTime
from kefu.core.api.schema import TEXT_MAX, InputDate, Page, RecordId, StrictSchema, Version
from kefu.tickets.models import Ticket

CAUSE_CODE = r"^[a-z0-9_]{1,32}$"
# Yuan, to the fen, as a decimal string (API.md "money"); the service refuses more than 100 000.
MONEY = r"^[0-9]{1,8}(\.[0-9]{1,2})?$"


# --- Complaints ----------------------------------------------------------------------------------


class ComplaintIn(StrictSchema):
    """The whole classification (PUT): every field, with the version you edited."""

    version: Version = Field(description="The complaint's version you edited; a stale one is a 409.")
    cause: str | None = Field(
        max_length=32,
        pattern=CAUSE_CODE,
        description="A cause's code (complaint causes); null: not classified.",
    )
    severity: Severity
    fault_party: FaultParty
    outcome: Outcome = Field(
        description="resolved_not_our_fault needs fault_party third_party or customer (else a 422)."
    )


class EscalationIn(StrictSchema):
    reason: str = Field(min_length=1, max_length=REASON_MAX, description="Why HQ must take it up.")
    apology_visit_on: InputDate | None = Field(None, description="The day of the apology visit, if planned.")
    apology_visit_by: str = Field("", max_length=VISIT_BY_MAX, description="Who goes to apologise.")


class ApologyOut(Schema):
    id: int
    method: str
    method_label: str
    made_by: int
    made_by_name: str
    made_on: datetime.date
    notes: str


class ComplaintOut(Schema):
    ticket: int
    number: str
    cause: str | None = Field(description="The cause's code; null while not classified.")
    cause_name: str | None
    severity: str
    severity_label: str
    fault_party: str
    fault_party_label: str
    outcome: str
    outcome_label: str
    resolved_not_our_fault: bool = Field(description="The achievement: resolved although not our fault.")
    week: datetime.date = Field(description="The week (its Monday) the complaint counts in.")
    escalated_to_hq_at: LocalDateTime | None
    escalated_by: int | None
    escalation_reason: str
    apology_visit_on: datetime.date | None
    apology_visit_by: str
    apologies: list[ApologyOut]
    version: int


def complaint_data(complaint: Complaint, apologies: list) -> dict:
    cause = complaint.cause
    return {
        "ticket": complaint.ticket_id,
        "number": complaint.ticket.number,
        "cause": cause.code if cause else None,
        "cause_name": cause.name if cause else None,
        "severity": complaint.severity,
        "severity_label": str(complaint.get_severity_display()),
        "fault_party": complaint.fault_party,
        "fault_party_label": str(complaint.get_fault_party_display()),
        "outcome": complaint.outcome,
        "outcome_label": str(complaint.get_outcome_display()),
        "resolved_not_our_fault": complaint.outcome == Outcome.RESOLVED_NOT_OUR_FAULT,
        "week": complaint.week,
        "escalated_to_hq_at": complaint.escalated_to_hq_at,
        "escalated_by": complaint.escalated_by_id,
        "escalation_reason": complaint.escalation_reason,
        "apology_visit_on": complaint.apology_visit_on,
        "apology_visit_by": complaint.apology_visit_by,
        "apologies": [
            {
                "id": apology.pk,
                "method": apology.method,
                "method_label": str(ApologyMethod(apology.method).label),
                "made_by": apology.made_by_id,
                "made_by_name": str(apology.made_by),
                "made_on": apology.made_on,
                "notes": apology.notes,
            }
            for apology in apologies
        ],
        "version": complaint.version,
    }


# --- Compensation --------------------------------------------------------------------------------


class CompensationIn(StrictSchema):
    kind: CompensationKind
    value: str = Field(max_length=11, pattern=MONEY, description='Yuan as a decimal string, e.g. "199.00".')
    approved_by: RecordId = Field(description="The approver: a supervisor's or a manager's user id.")
    description: str = Field("", max_length=DESCRIPTION_MAX)


class CompensationOut(Schema):
    id: int
    ticket: int
    kind: str
    kind_label: str
    value: str = Field(description='Yuan as a decimal string, e.g. "199.00".')
    description: str
    approved_by: int
    approved_by_name: str
    recorded_by: int
    recorded_by_name: str
    created_at: LocalDateTime


class CompensationList(Page[CompensationOut]):
    pass


def compensation_data(compensation: Compensation) -> dict:
    return {
        "id": compensation.pk,
        "ticket": compensation.complaint_id,
        "kind": compensation.kind,
        "kind_label": str(CompensationKind(compensation.kind).label),
        "value": f"{compensation.value:.2f}",
        "description": compensation.description,
        "approved_by": compensation.approved_by_id,
        "approved_by_name": str(compensation.approved_by),
        "recorded_by": compensation.recorded_by_id,
        "recorded_by_name": str(compensation.recorded_by),
        "created_at": compensation.created_at,
    }


# --- Problems ------------------------------------------------------------------------------------


class ProblemIn(StrictSchema):
    title: str = Field(min_length=1, max_length=TITLE_MAX)
    description: str = Field("", max_length=TEXT_MAX)
    corrective_action: str = Field("", max_length=TEXT_MAX, description="What corrects it (may come later).")
    owner: RecordId | None = Field(None, description="Who answers for correcting it; not given: the caller.")


class ProblemPatch(StrictSchema):
    version: Version | None = Field(None, description="The version you edited (or the If-Match header).")
    title: str | None = Field(None, min_length=1, max_length=TITLE_MAX)
    description: str | None = Field(None, max_length=TEXT_MAX)
    corrective_action: str | None = Field(None, max_length=TEXT_MAX)
    owner: RecordId | None = None
    status: ProblemStatus | None = Field(
        None, description="open or in_progress; closing is problems/{id}/close."
    )


class LinkTicketIn(StrictSchema):
    ticket: str = Field(min_length=1, max_length=20, description="The ticket's id or number.")


class CloseIn(StrictSchema):
    version: Version | None = Field(None, description="The version you saw; a stale one is a 409.")
    corrective_action: str | None = Field(
        None, max_length=TEXT_MAX, description="What was done, if not recorded yet (required by then)."
    )


class LinkedTicketOut(Schema):
    id: int
    number: str
    subject: str
    status: str


class ProblemOut(Schema):
    id: int
    title: str
    description: str
    corrective_action: str
    owner: int
    owner_name: str
    status: str
    status_label: str
    ticket_count: int = Field(description="How many tickets are linked (all of them).")
    created_at: LocalDateTime
    closed_at: LocalDateTime | None
    closed_by: int | None
    version: int


class ProblemDetailOut(ProblemOut):
    tickets: list[LinkedTicketOut] = Field(
        description="The linked tickets the caller may see, newest first (at most 100)."
    )


class ProblemClosedOut(ProblemOut):
    customers_told: int = Field(description="Customers told by this call (0 when it was closed already).")


class ProblemList(Page[ProblemOut]):
    pass


def problem_data(problem: Problem) -> dict:
    return {
        "id": problem.pk,
        "title": problem.title,
        "description": problem.description,
        "corrective_action": problem.corrective_action,
        "owner": problem.owner_id,
        "owner_name": str(problem.owner),
        "status": problem.status,
        "status_label": str(problem.get_status_display()),
        "ticket_count": getattr(problem, "ticket_count", 0),
        "created_at": problem.created_at,
        "closed_at": problem.closed_at,
        "closed_by": problem.closed_by_id,
        "version": problem.version,
    }


def linked_ticket_data(ticket: Ticket) -> dict:
    return {"id": ticket.pk, "number": ticket.number, "subject": ticket.subject, "status": ticket.status}
