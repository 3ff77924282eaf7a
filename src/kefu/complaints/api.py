"""The complaints' part of the API (API.md "complaints"): a ticket's complaint, its compensation and
its escalation to HQ; problems and their tickets.

Thin endpoints: the permission-checked fetch (403 without the permission, 404 for a ticket the
caller may not see), a service, the record as answer. A ticket that is no complaint: GET is a 404,
a write is a 409 `not_a_complaint`.
"""

from typing import Annotated

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from ninja import Query, Router
from ninja.responses import Status as HttpStatus

from kefu.complaints import selectors, services, services_problems
from kefu.complaints.models import ComplaintCause, Problem, ProblemStatus
from kefu.complaints.schemas import (
    CloseIn,
    CompensationIn,
    CompensationList,
    CompensationOut,
    ComplaintIn,
    ComplaintOut,
    EscalationIn,
    LinkTicketIn,
    ProblemClosedOut,
    ProblemDetailOut,
    ProblemIn,
    ProblemList,
    ProblemPatch,
    compensation_data,
    complaint_data,
    linked_ticket_data,
    problem_data,
)
from kefu.core.api.errors import errors
from kefu.core.api.helpers import Cursor, Id, IfMatch, Limit, changes_from, expected_version, require
from kefu.core.api.idempotency import IdempotencyKeyHeader, create_once
from kefu.core.pagination import Page
from kefu.tickets.api import TicketPath
from kefu.tickets.selectors import access_ticket

router = Router(tags=["complaints"])
User = get_user_model()


def _user(user_id: int, field: str):
    user = User.objects.filter(pk=user_id).first()
    if user is None:
        raise ValidationError({field: [_("There is no staff user with id %(id)s.") % {"id": user_id}]})
    return user


def _cause(code: str | None) -> ComplaintCause | None:
    if code is None:
        return None
    cause = ComplaintCause.objects.filter(code=code).first()
    if cause is None:
        raise ValidationError({"cause": [_("There is no cause “%(code)s”.") % {"code": code}]})
    return cause


def _complaint_answer(ticket) -> dict:
    complaint = selectors.complaint_of(ticket)
    return complaint_data(complaint, selectors.apologies(complaint))


# --- A ticket's complaint ------------------------------------------------------------------------


@router.get(
    "/tickets/{ticket}/complaint",
    response={200: ComplaintOut, **errors(400, 403, 404)},
    operation_id="get_complaint",
    summary="A complaint ticket's cause, severity, fault party, outcome, apologies and escalation",
    description="404 for a ticket that is no complaint, as for one the caller may not see.",
)
def get_complaint(request: HttpRequest, ticket: TicketPath):
    found = selectors.complaint_ticket(request.auth, ticket)
    return _complaint_answer(found)


@router.put(
    "/tickets/{ticket}/complaint",
    response={200: ComplaintOut, **errors(400, 403, 404, 409, 422)},
    operation_id="update_complaint",
    summary="Classify a complaint: cause, severity, fault party, outcome",
    description=(
        "Send every field with the version you edited (a stale one is a 409 carrying the current "
        "version). A ticket that is no complaint is a 409 `not_a_complaint`; an unknown or hidden "
        "cause, or `resolved_not_our_fault` with the fault ours or unknown, is a 422. The complaints' "
        "tallies follow the cause and the outcome."
    ),
)
def update_complaint(request: HttpRequest, ticket: TicketPath, payload: ComplaintIn):
    found = selectors.complaint_ticket(request.auth, ticket, perm=selectors.CHANGE_COMPLAINT)
    services.update_complaint(
        ticket=found,
        by=request.auth,
        version=payload.version,
        cause=_cause(payload.cause),
        severity=payload.severity,
        fault_party=payload.fault_party,
        outcome=payload.outcome,
    )
    return _complaint_answer(found)


@router.get(
    "/tickets/{ticket}/compensations",
    response={200: CompensationList, **errors(400, 403, 404, 422)},
    operation_id="list_compensations",
    summary="What a complaint's customer was given, oldest first",
    description="404 for a ticket that is no complaint, as for one the caller may not see.",
)
def list_compensations(request: HttpRequest, ticket: TicketPath, cursor: Cursor = None, limit: Limit = None):
    found = selectors.complaint_ticket(request.auth, ticket)
    require(request.auth, "complaints.view_compensation")
    page = selectors.compensation_page(selectors.complaint_of(found), cursor=cursor, limit=limit)
    return {"items": [compensation_data(item) for item in page.items], "next_cursor": page.next_cursor}


@router.post(
    "/tickets/{ticket}/compensations",
    response={201: CompensationOut, **errors(400, 403, 404, 409, 422)},
    operation_id="add_compensation",
    summary="Record a compensation: a gift, a refund, a free replacement or a free service",
    description=(
        "`value` in yuan (0 to 100000, to the fen). `approved_by` must be a supervisor or a manager "
        "(who may be someone other than the caller), else a 422. A ticket that is no complaint is a "
        "409 `not_a_complaint`."
    ),
)
def add_compensation(
    request: HttpRequest,
    ticket: TicketPath,
    payload: CompensationIn,
    idempotency_key: IdempotencyKeyHeader = None,
):
    found = selectors.complaint_ticket(request.auth, ticket, perm="complaints.add_compensation")

    def create():
        compensation = services.add_compensation(
            ticket=found,
            by=request.auth,
            kind=payload.kind,
            value=payload.value,
            approved_by=_user(payload.approved_by, "approved_by"),
            description=payload.description,
        )
        return compensation_data(compensation)

    return create_once(request, idempotency_key, CompensationOut, create)


@router.post(
    "/tickets/{ticket}/escalate-to-hq",
    response={200: ComplaintOut, **errors(400, 403, 404, 409, 422)},
    operation_id="escalate_complaint_to_hq",
    summary="Escalate a complaint to HQ, with the apology visit if planned",
    description=(
        "Every active manager is told. A complaint already escalated is a 409 `already_escalated`; "
        "a ticket that is no complaint a 409 `not_a_complaint`."
    ),
)
def escalate_to_hq(request: HttpRequest, ticket: TicketPath, payload: EscalationIn):
    found = selectors.complaint_ticket(request.auth, ticket, perm="complaints.escalate_complaint")
    services.escalate_to_hq(
        ticket=found,
        by=request.auth,
        reason=payload.reason,
        apology_visit_on=payload.apology_visit_on,
        apology_visit_by=payload.apology_visit_by,
    )
    return _complaint_answer(found)


# --- Problems ------------------------------------------------------------------------------------


def _problem_answer(request: HttpRequest, problem_id: int, schema=ProblemDetailOut, **extra) -> dict:
    problem = selectors.problem_detail(user=request.auth, problem_id=problem_id)
    data = problem_data(problem)
    if schema is ProblemDetailOut:
        data["tickets"] = [
            linked_ticket_data(ticket) for ticket in selectors.problem_tickets(problem, user=request.auth)
        ]
    return {**data, **extra}


@router.get(
    "/problems",
    response={200: ProblemList, **errors(400, 403, 422)},
    operation_id="list_problems",
    summary="Problems (root causes), newest first",
)
def list_problems(
    request: HttpRequest,
    status: Annotated[ProblemStatus | None, Query(description="Only problems in this status.")] = None,
    owner: Annotated[int | None, Query(ge=1, le=2**63 - 1, description="Only this owner's problems.")] = None,
    cursor: Cursor = None,
    limit: Limit = None,
):
    page: Page = selectors.problem_page(
        user=request.auth, status=status, owner=owner, cursor=cursor, limit=limit
    )
    return {"items": [problem_data(problem) for problem in page.items], "next_cursor": page.next_cursor}


@router.post(
    "/problems",
    response={201: ProblemDetailOut, **errors(400, 403, 422)},
    operation_id="create_problem",
    summary="Open a problem: a root cause behind many tickets",
    description="The owner answers for correcting it: an active member of staff (else a 422).",
)
def create_problem(request: HttpRequest, payload: ProblemIn, idempotency_key: IdempotencyKeyHeader = None):
    require(request.auth, "complaints.add_problem")

    def create():
        problem = services_problems.create_problem(
            by=request.auth,
            title=payload.title,
            description=payload.description,
            corrective_action=payload.corrective_action,
            owner=_user(payload.owner, "owner") if payload.owner is not None else request.auth,
        )
        return _problem_answer(request, problem.pk)

    return create_once(request, idempotency_key, ProblemDetailOut, create)


@router.get(
    "/problems/{problem}",
    response={200: ProblemDetailOut, **errors(400, 403, 404)},
    operation_id="get_problem",
    summary="A problem with the linked tickets the caller may see",
)
def get_problem(request: HttpRequest, problem: Id):
    return _problem_answer(request, problem)


def _problem(request: HttpRequest, problem_id: int) -> Problem:
    return selectors.problem_detail(user=request.auth, problem_id=problem_id)


@router.patch(
    "/problems/{problem}",
    response={200: ProblemDetailOut, **errors(400, 403, 404, 409, 422)},
    operation_id="update_problem",
    summary="Change a problem",
    description=(
        "Send only what changes, with the version you edited; a stale version is a 409. A closed "
        "problem is a 409 `problem_closed`. `status` is open or in_progress: close with problems/{id}/close."
    ),
)
def update_problem(request: HttpRequest, problem: Id, payload: ProblemPatch, if_match: IfMatch = None):
    require(request.auth, "complaints.change_problem")
    found = _problem(request, problem)
    version = expected_version(payload.version, if_match)
    changes = changes_from(payload)
    if "owner" in changes:
        changes["owner"] = _user(changes["owner"], "owner")
    services_problems.update_problem(problem=found, by=request.auth, version=version, **changes)
    return _problem_answer(request, found.pk)


@router.post(
    "/problems/{problem}/tickets",
    response={200: ProblemDetailOut, 201: ProblemDetailOut, **errors(400, 403, 404, 409, 422)},
    operation_id="link_problem_ticket",
    summary="Link a ticket to a problem",
    description=(
        "201 when linked, 200 when it was linked already. A ticket the caller may not see is a 404; "
        "a closed problem a 409 `problem_closed`."
    ),
)
def link_ticket(request: HttpRequest, problem: Id, payload: LinkTicketIn):
    require(request.auth, "complaints.add_problemticket")
    found = _problem(request, problem)
    ticket = access_ticket(request.auth, payload.ticket)
    _link, created = services_problems.link_ticket(problem=found, ticket=ticket, by=request.auth)
    return HttpStatus(201 if created else 200, _problem_answer(request, found.pk))


@router.post(
    "/problems/{problem}/close",
    response={200: ProblemClosedOut, **errors(400, 403, 404, 409, 422)},
    operation_id="close_problem",
    summary="Close a problem and tell the customers of its tickets what was corrected",
    description=(
        "Needs a corrective action (recorded already or sent here), else a 422. Each customer of the "
        "linked tickets gets one text message (or e-mail), sent after the commit. Closing a closed "
        "problem again answers 200 and tells nobody."
    ),
)
def close_problem(request: HttpRequest, problem: Id, payload: CloseIn):
    require(request.auth, "complaints.close_problem")
    found = _problem(request, problem)
    closed, told = services_problems.close_problem(
        problem=found, by=request.auth, version=payload.version, corrective_action=payload.corrective_action
    )
    return _problem_answer(request, closed.pk, schema=ProblemClosedOut, customers_told=told)
