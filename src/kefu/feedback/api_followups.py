"""The follow-ups' part of the API (API.md "feedback"): each person's queue, one follow-up, and
its outcome. Thin endpoints: parse, the permission-checked fetch, the service, the answer."""

from typing import Annotated, Literal

from django.http import HttpRequest
from ninja import Query, Router

from kefu.core.api.errors import errors
from kefu.core.api.helpers import Cursor, Id, Limit
from kefu.core.api.idempotency import IdempotencyKeyHeader, create_once
from kefu.core.api.parser import MAX_INTEGER
from kefu.feedback import selectors_followups as selectors
from kefu.feedback import services_followups as services
from kefu.feedback.schemas_followups import FollowUpList, FollowUpOut, OutcomeIn, follow_up_data

router = Router(tags=["follow-ups"])


def _answer(request: HttpRequest, follow_up_id: int) -> dict:
    follow_up = selectors.access_follow_up(user=request.auth, follow_up_id=follow_up_id)
    return follow_up_data(selectors.rows(user=request.auth, follow_ups=[follow_up])[0])


@router.get(
    "/follow-ups",
    response={200: FollowUpList, **errors(400, 403, 422)},
    operation_id="list_follow_ups",
    summary="A person's follow-ups (回访) by due date",
    description=(
        "Your own follow-ups unless `assignee` names another person (that needs the right to see "
        "everyone's: supervisors, managers, administrators; else 403). `status` pending (default), "
        "done or cancelled; `overdue` true lists only those past their due date. Each row has the "
        "customer (phone masked unless your role sees numbers in full), the ticket, the method and "
        "the call script."
    ),
)
def list_follow_ups(
    request: HttpRequest,
    assignee: Annotated[int | None, Query(ge=1, le=MAX_INTEGER, description="A staff user's id.")] = None,
    overdue: Annotated[bool | None, Query(description="Only past due (true) or not yet due (false).")] = None,
    status: Annotated[
        Literal["pending", "done", "cancelled"], Query(description="The follow-ups' status.")
    ] = "pending",
    cursor: Cursor = None,
    limit: Limit = None,
):
    page = selectors.follow_up_page(
        user=request.auth, assignee_id=assignee, overdue=overdue, status=status, cursor=cursor, limit=limit
    )
    return {
        "items": [follow_up_data(row) for row in selectors.rows(user=request.auth, follow_ups=page.items)],
        "next_cursor": page.next_cursor,
    }


@router.get(
    "/follow-ups/{follow_up}",
    response={200: FollowUpOut, **errors(403, 404)},
    operation_id="get_follow_up",
    summary="A follow-up, with its call script",
)
def get_follow_up(request: HttpRequest, follow_up: Id):
    return _answer(request, follow_up)


@router.post(
    "/follow-ups/{follow_up}/outcome",
    response={200: FollowUpOut, **errors(400, 403, 404, 409, 422)},
    operation_id="record_follow_up_outcome",
    summary="Record how a follow-up went",
    description=(
        "`reached` closes it; `not_reached` counts an attempt and closes it as not reached at the "
        "third. With `satisfied` (reached only) the ticket's survey is answered as the customer "
        'said on the call (a "not satisfied" opens the recovery case, `reason` a survey reason\'s '
        "code); with `new_problem` a new ticket is opened for the customer, linked to the ticket "
        "followed up. 409 when the follow-up is done or cancelled, or the `version` is stale; 422 "
        "for an answer with nobody reached, no survey, or a survey already answered."
    ),
)
def record_outcome(
    request: HttpRequest, follow_up: Id, payload: OutcomeIn, idempotency_key: IdempotencyKeyHeader = None
):
    found = selectors.access_follow_up(user=request.auth, follow_up_id=follow_up)

    def record() -> dict:
        services.record_follow_up_outcome(
            follow_up=found,
            by=request.auth,
            outcome=payload.outcome,
            notes=payload.notes,
            satisfied=payload.satisfied,
            reason=payload.reason,
            comment=payload.comment,
            new_problem=payload.new_problem,
            new_ticket_type=payload.new_ticket_type,
            version=payload.version,
        )
        return _answer(request, follow_up)

    # A retry with the same key answers the first outcome again, never a second attempt counted;
    # only the id is kept with the key (the answer holds the customer's name).
    return create_once(
        request, idempotency_key, FollowUpOut, record, status=200, replay=lambda pk: _answer(request, pk)
    )
