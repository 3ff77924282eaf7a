"""The promises' part of the API (API.md "promises"): promise policies and the business calendar.

Thin endpoints: parse, check the permission, call a service (promises.services_policies,
core.calendar) or a selector (promises.selectors_policies), answer with the record.
"""

from typing import Annotated

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from ninja import Query, Router

from kefu.core import calendar as business_calendar
from kefu.core.api.errors import errors
from kefu.core.api.helpers import Cursor, Id, IfMatch, Limit, expected_version, require
from kefu.core.api.idempotency import IdempotencyKeyHeader, create_once
from kefu.customers.models import ProductCategory
from kefu.promises import selectors_policies as selectors
from kefu.promises import services_policies as services
from kefu.promises.models import WorkCalendar
from kefu.promises.schemas import (
    BusinessDayIn,
    BusinessDayList,
    BusinessDayOut,
    PolicyIn,
    PolicyList,
    PolicyOut,
    PolicyPatch,
    business_day_data,
    policy_data,
)

router = Router(tags=["promises"])

# Criteria whose API value null means "any" (stored as "").
_BLANK_ANY = ("ticket_type", "priority", "customer_tier", "season_start", "season_end")


def _category(code: str | None) -> ProductCategory | None:
    if code is None:
        return None
    category = ProductCategory.objects.filter(code=code).first()
    if category is None:
        raise ValidationError(
            {"product_category": [_("There is no product category “%(code)s”.") % {"code": code}]}
        )
    return category


def _calendar(calendar_id: int) -> WorkCalendar:
    calendar = WorkCalendar.objects.filter(pk=calendar_id).first()
    if calendar is None:
        raise ValidationError(
            {"calendar": [_("There is no work calendar with id %(id)s.") % {"id": calendar_id}]}
        )
    return calendar


def _policy_answer(request: HttpRequest, policy_id: int) -> dict:
    return policy_data(selectors.policy_detail(user=request.auth, policy_id=policy_id))


# --- Policies -----------------------------------------------------------------------------------


@router.get(
    "/promise-policies",
    response={200: PolicyList, **errors(400, 403, 422)},
    operation_id="list_promise_policies",
    summary="Promise policies: what is promised to which tickets",
    description="Every policy by id; `active` filters. Each names its criteria, calendar and targets.",
)
def list_policies(
    request: HttpRequest,
    active: Annotated[
        bool | None, Query(description="Only active (true) or inactive (false) policies.")
    ] = None,
    cursor: Cursor = None,
    limit: Limit = None,
):
    page = selectors.policy_page(user=request.auth, active=active, cursor=cursor, limit=limit)
    return {"items": [policy_data(policy) for policy in page.items], "next_cursor": page.next_cursor}


@router.post(
    "/promise-policies",
    response={201: PolicyOut, **errors(400, 403, 422)},
    operation_id="create_promise_policy",
    summary="Add a promise policy",
    description=(
        "Targets are minutes on the policy's calendar, each > 0, at least one. A policy with the same "
        "criteria as an active one of the same specificity and an overlapping season is a 422 naming "
        "the other policy: the match would be a coin toss."
    ),
)
def create_policy(request: HttpRequest, payload: PolicyIn, idempotency_key: IdempotencyKeyHeader = None):
    require(request.auth, "promises.add_promisepolicy")

    def create():
        values = payload.model_dump(exclude={"targets", "product_category", "calendar"})
        for field in _BLANK_ANY:
            values[field] = values[field] or ""
        policy = services.create_policy(
            by=request.auth,
            product_category=_category(payload.product_category),
            calendar=_calendar(payload.calendar),
            targets={
                kind: minutes for kind, minutes in payload.targets.model_dump().items() if minutes is not None
            },
            **values,
        )
        return _policy_answer(request, policy.pk)

    return create_once(request, idempotency_key, PolicyOut, create)


@router.get(
    "/promise-policies/{policy}",
    response={200: PolicyOut, **errors(403, 404)},
    operation_id="get_promise_policy",
    summary="A promise policy",
)
def get_policy(request: HttpRequest, policy: Id):
    return _policy_answer(request, policy)


@router.patch(
    "/promise-policies/{policy}",
    response={200: PolicyOut, **errors(400, 403, 404, 409, 422)},
    operation_id="update_promise_policy",
    summary="Change a promise policy",
    description=(
        "Send only what changes, with the version you edited; a stale version is a 409. A criterion "
        "set to null matches anything; in `targets`, null removes that kind. Promises already made "
        "keep their due times."
    ),
)
def update_policy(request: HttpRequest, policy: Id, payload: PolicyPatch, if_match: IfMatch = None):
    require(request.auth, "promises.change_promisepolicy")
    found = selectors.policy_detail(user=request.auth, policy_id=policy)
    version = expected_version(payload.version, if_match)
    # Unset fields (also inside `targets`) are left alone; null is "any" for a criterion.
    given = payload.model_dump(exclude_unset=True, exclude={"version"})
    targets = given.pop("targets", services.UNSET)
    if targets is None:
        targets = services.UNSET
    changes: dict = {}
    for field, value in given.items():
        if value is None and field not in (*_BLANK_ANY, "product_category"):
            raise ValidationError({field: [_("This field cannot be null.")]})
        if field == "product_category":
            changes[field] = _category(value)
        elif field == "calendar":
            changes[field] = _calendar(value)
        elif field in _BLANK_ANY:
            changes[field] = value or ""
        else:
            changes[field] = value
    services.update_policy(policy=found, by=request.auth, version=version, targets=targets, **changes)
    return _policy_answer(request, found.pk)


# --- Business calendar --------------------------------------------------------------------------


@router.get(
    "/business-calendar/days",
    response={200: BusinessDayList, **errors(400, 403, 422)},
    operation_id="list_business_days",
    summary="Public holidays and adjusted working days, by date",
    description=(
        "One year's days (this year unless `year` says), by date. Monday to Friday are working days "
        "except the holidays listed; a listed `workday` is a working weekend day (调休). `provisional` "
        "days are an estimate for a year not yet confirmed."
    ),
)
def list_business_days(
    request: HttpRequest,
    year: Annotated[
        int | None, Query(ge=1900, le=2199, description="The year whose days to list; default: this year.")
    ] = None,
    provisional: Annotated[
        bool | None, Query(description="Only provisional (true) or confirmed days.")
    ] = None,
    cursor: Cursor = None,
    limit: Limit = None,
):
    page = selectors.business_day_page(
        user=request.auth,
        year=year if year is not None else timezone.localdate().year,
        provisional=provisional,
        cursor=cursor,
        limit=limit,
    )
    return {"items": [business_day_data(day) for day in page.items], "next_cursor": page.next_cursor}


@router.post(
    "/business-calendar/days",
    response={201: BusinessDayOut, **errors(400, 403, 409, 422)},
    operation_id="create_business_day",
    summary="Add a public holiday or an adjusted working day",
    description=(
        "A date already in the calendar is a 409 `date_taken` (nothing written): change that day instead."
    ),
)
def create_business_day(
    request: HttpRequest, payload: BusinessDayIn, idempotency_key: IdempotencyKeyHeader = None
):
    require(request.auth, "core.add_businessday")

    def create():
        day = business_calendar.add_business_day(
            by=request.auth, date=payload.date, kind=payload.kind, name=payload.name
        )
        return business_day_data(day)

    return create_once(request, idempotency_key, BusinessDayOut, create)
