"""The surveys' part of the API (API.md "satisfaction"): staff read surveys and record an answer
heard in a call; the customer reads and answers their survey through the signed token in the
path (`public/surveys/{token}`, no credentials). Thin: parse, check, call a selector or
feedback.services, answer with the record.

Refusals (each writes nothing): a second answer 409 (`already_answered`); a tampered token 404
(`link_not_found`, worded like the portal's); an expired link 410 (`link_expired`, decision
0030); an unknown or inactive reason 422 naming `reason`.
"""

from typing import Annotated

from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Path, Query, Router

from kefu.core.api.errors import errors
from kefu.core.api.helpers import Cursor, Id, Limit
from kefu.core.errors import PermissionDenied
from kefu.feedback import links, selectors, services, subjects
from kefu.feedback.models import AnsweredVia
from kefu.feedback.schemas import (
    AnswerIn,
    PublicAnswerOut,
    PublicSurveyOut,
    SurveyList,
    SurveyOut,
    public_survey_data,
    survey_data,
)
from kefu.tickets import portal

router = Router(tags=["satisfaction"])

Token = Annotated[
    str,
    Path(
        max_length=links.TOKEN_MAX,
        pattern=links.TOKEN_PATTERN,
        description="The signed token of the customer's survey link (its last path part).",
    ),
]
MAX_ID = 2**63 - 1


@router.get(
    "/surveys",
    response={200: SurveyList, **errors(400, 403, 422)},
    operation_id="list_surveys",
    summary="Satisfaction surveys, newest first",
    description="Filter by `ticket`, `customer`, `subject` (a kind: ticket …) and `subject_id`, `answered`.",
)
def list_surveys(
    request: HttpRequest,
    ticket: Annotated[int | None, Query(ge=1, le=MAX_ID, description="A ticket's id.")] = None,
    customer: Annotated[int | None, Query(ge=1, le=MAX_ID, description="A customer's id.")] = None,
    subject: Annotated[str | None, Query(max_length=subjects.CODE_MAX, description="A subject kind.")] = None,
    subject_id: Annotated[int | None, Query(ge=1, le=MAX_ID, description="The subject's id.")] = None,
    answered: Annotated[bool | None, Query(description="Only answered (true) or unanswered surveys.")] = None,
    cursor: Cursor = None,
    limit: Limit = None,
):
    page = selectors.survey_page(
        user=request.auth,
        ticket_id=ticket,
        customer_id=customer,
        subject_kind=subject,
        subject_id=subject_id,
        answered=answered,
        cursor=cursor,
        limit=limit,
    )
    return {"items": [survey_data(survey, request) for survey in page.items], "next_cursor": page.next_cursor}


@router.get(
    "/surveys/{survey}",
    response={200: SurveyOut, **errors(403, 404)},
    operation_id="get_survey",
    summary="A satisfaction survey, with its answer and recovery case",
)
def get_survey(request: HttpRequest, survey: Id):
    return survey_data(selectors.survey_detail(user=request.auth, survey_id=survey), request)


@router.post(
    "/surveys/{survey}/answer",
    response={200: SurveyOut, **errors(400, 403, 404, 409, 422)},
    operation_id="record_survey_answer",
    summary="Record the customer's answer heard during a call",
    description=(
        "`satisfied`, and with false an optional `reason` code and the customer's words. A survey "
        "answers once: a second answer is a 409 and changes nothing. A “not satisfied” opens the "
        "recovery case (its id in `recovery_ticket`). The link's expiry does not apply to a call."
    ),
)
def record_answer(request: HttpRequest, survey: Id, payload: AnswerIn):
    found = selectors.survey_detail(user=request.auth, survey_id=survey)
    if not selectors.may_record_answers(request.auth):
        raise PermissionDenied()
    services.record_survey_answer(
        survey=found,
        satisfied=payload.satisfied,
        reason=payload.reason,
        comment=payload.comment,
        via=AnsweredVia.CALL,
        by=request.auth,
    )
    return survey_data(selectors.survey_detail(user=request.auth, survey_id=survey), request)


@router.get(
    "/public/surveys/{survey_token}",
    auth=None,
    response={200: PublicSurveyOut, **errors(400, 404, 410, 429)},
    operation_id="get_public_survey",
    summary="The survey a customer's link opens",
    description=(
        "What the question is about, whether it was answered, and the reasons a customer may pick "
        "when not satisfied. A tampered token is a 404; an expired, unanswered one a 410. Limited "
        "per client address with every request on a customer's link (PUBLIC_LINK_REQUESTS_PER_MINUTE, "
        "PUBLIC_LINK_REQUESTS_PER_HOUR): beyond, 429 with Retry-After."
    ),
)
def get_public_survey(request: HttpRequest, survey_token: Token):
    portal.refuse_link_request_over_limit(request)
    survey = links.open_link(survey_token)
    if survey.answered_at is None and survey.expires_at <= timezone.now():
        raise links.SurveyLinkExpired()
    return public_survey_data(survey, selectors.offered_reasons())


@router.post(
    "/public/surveys/{survey_token}",
    auth=None,
    response={200: PublicAnswerOut, **errors(400, 404, 409, 410, 422, 429)},
    operation_id="answer_public_survey",
    summary="The customer answers: satisfied or not",
    description=(
        '`{"satisfied": bool, "reason"?: code, "comment"?: text}`. Once: a second answer is a '
        "409 and changes nothing. A tampered token is a 404, an expired link a 410, an unknown or "
        "inactive reason a 422 naming `reason`. Limited per client address like the GET: beyond, "
        "429 with Retry-After, nothing written."
    ),
)
def answer_public_survey(request: HttpRequest, survey_token: Token, payload: AnswerIn):
    portal.refuse_link_request_over_limit(request)
    survey = links.open_link(survey_token)
    services.record_survey_answer(
        survey=survey,
        satisfied=payload.satisfied,
        reason=payload.reason,
        comment=payload.comment,
        via=AnsweredVia.LINK,
    )
    message = (
        _("Thank you! We are glad you were satisfied.")
        if payload.satisfied
        else _("Thank you for telling us. We are sorry: a supervisor will contact you soon to put it right.")
    )
    return {"answered": True, "satisfied": payload.satisfied, "message": message}
