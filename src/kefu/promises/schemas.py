"""The API's shapes for promise policies and business-calendar days (API.md "promises")."""

import datetime
from typing import Annotated

from ninja import Field, Schema

from kefu.core.api.helpers import LocalDateTime
from kefu.core.api.schema import InputDate, Page, RecordId, StrictSchema, Version
from kefu.core.models import BusinessDay, DayKind
from kefu.customers.models import Tier
from kefu.promises.models import PromisePolicy
from kefu.promises.policies import policy_reasons
from kefu.promises.services_policies import MAX_ESCALATION_MINUTES, MAX_MINUTES, PAUSABLE
from kefu.tickets.models import Priority, Status, TicketType

NAME_MAX = 80
DESCRIPTION_MAX = 300
DAY_NAME_MAX = 50
CATEGORY_CODE = r"^[a-z0-9_]{1,32}$"
SEASON_DAY = r"^[0-9]{2}-[0-9]{2}$"

Minutes = Annotated[int, Field(ge=1, le=MAX_MINUTES, description="Minutes on the policy's calendar.")]
PastDue = Annotated[int, Field(ge=0, le=MAX_ESCALATION_MINUTES, description="Minutes past due.")]
SeasonDay = Annotated[
    str, Field(min_length=5, max_length=5, pattern=SEASON_DAY, description="MM-DD, e.g. 06-01.")
]
CategoryCode = Annotated[str, Field(max_length=32, pattern=CATEGORY_CODE, description="A category code.")]


class TargetsIn(StrictSchema):
    """Minutes per kind of promise; on a change, null removes that kind's target."""

    first_response: Minutes | None = None
    arrival: Minutes | None = None
    resolution: Minutes | None = None


class TargetsOut(Schema):
    first_response: int | None
    arrival: int | None
    resolution: int | None


class PolicyIn(StrictSchema):
    name: str = Field(min_length=1, max_length=NAME_MAX)
    description: str = Field("", max_length=DESCRIPTION_MAX, description="Why: shown on the ticket.")
    active: bool = True
    product_category: CategoryCode | None = Field(None, description="Null: any category.")
    ticket_type: TicketType | None = Field(None, description="Null: any type.")
    priority: Priority | None = Field(None, description="Null: any priority.")
    customer_tier: Tier | None = Field(None, description="Null: any tier.")
    season_start: SeasonDay | None = Field(None, description="First day of the season; null: all year.")
    season_end: SeasonDay | None = Field(None, description="Last day of the season (may wrap the new year).")
    calendar: RecordId = Field(description="The work calendar's id.")
    targets: TargetsIn
    pause_statuses: list[Status] = Field(
        default_factory=lambda: [Status.PENDING_CUSTOMER],
        max_length=len(PAUSABLE),
        description="Statuses in which the clock stands still.",
    )
    escalate_supervisor_after: PastDue = 0
    escalate_director_after: PastDue = 240
    escalate_hq_after: PastDue = 1440


class PolicyPatch(StrictSchema):
    """The fields to change, each optional; a criterion set to null matches anything."""

    version: Version | None = Field(None, description="The version you edited (or the If-Match header).")
    name: str | None = Field(None, min_length=1, max_length=NAME_MAX)
    description: str | None = Field(None, max_length=DESCRIPTION_MAX)
    active: bool | None = None
    product_category: CategoryCode | None = None
    ticket_type: TicketType | None = None
    priority: Priority | None = None
    customer_tier: Tier | None = None
    season_start: SeasonDay | None = None
    season_end: SeasonDay | None = None
    calendar: RecordId | None = None
    targets: TargetsIn | None = None
    pause_statuses: list[Status] | None = Field(None, max_length=len(PAUSABLE))
    escalate_supervisor_after: PastDue | None = None
    escalate_director_after: PastDue | None = None
    escalate_hq_after: PastDue | None = None


class PolicyOut(Schema):
    id: int
    code: str | None = Field(description="Set on the policies Kefu ships with.")
    name: str
    description: str
    active: bool
    product_category: str | None
    ticket_type: str | None
    priority: str | None
    customer_tier: str | None
    season_start: str | None
    season_end: str | None
    calendar: int
    calendar_name: str
    targets: TargetsOut
    pause_statuses: list[str]
    escalate_supervisor_after: int
    escalate_director_after: int
    escalate_hq_after: int
    specificity: int = Field(description="How many criteria are set; the most specific match wins.")
    reasons: list[str] = Field(description="What it matches, in the reader's language.")
    version: int
    created_at: LocalDateTime
    updated_at: LocalDateTime


class PolicyList(Page[PolicyOut]):
    pass


def policy_data(policy: PromisePolicy) -> dict:
    """A policy fetched with its category and calendar and its targets prefetched: no query more."""
    targets = {target.kind: target.minutes for target in policy.targets.all()}
    category = policy.product_category
    return {
        "id": policy.pk,
        "code": policy.code,
        "name": policy.name,
        "description": policy.description,
        "active": policy.active,
        "product_category": category.code if category is not None else None,
        "ticket_type": policy.ticket_type or None,
        "priority": policy.priority or None,
        "customer_tier": policy.customer_tier or None,
        "season_start": policy.season_start or None,
        "season_end": policy.season_end or None,
        "calendar": policy.calendar_id,
        "calendar_name": policy.calendar.name,
        "targets": {
            "first_response": targets.get("first_response"),
            "arrival": targets.get("arrival"),
            "resolution": targets.get("resolution"),
        },
        "pause_statuses": list(policy.pause_statuses or []),
        "escalate_supervisor_after": policy.escalate_supervisor_after,
        "escalate_director_after": policy.escalate_director_after,
        "escalate_hq_after": policy.escalate_hq_after,
        "specificity": policy.specificity,
        "reasons": policy_reasons(policy),
        "version": policy.version,
        "created_at": policy.created_at,
        "updated_at": policy.updated_at,
    }


# --- Business calendar -------------------------------------------------------------------------------


class BusinessDayIn(StrictSchema):
    date: InputDate
    kind: DayKind = Field(
        description="holiday (off, even on a weekday) or workday (调休: on, even on a weekend)."
    )
    name: str = Field("", max_length=DAY_NAME_MAX, description="The holiday's name, e.g. 国庆节.")


class BusinessDayOut(Schema):
    id: int
    date: datetime.date
    kind: str
    kind_label: str
    name: str
    provisional: bool = Field(description="An estimate an administrator has not confirmed yet.")


class BusinessDayList(Page[BusinessDayOut]):
    pass


def business_day_data(day: BusinessDay) -> dict:
    return {
        "id": day.pk,
        "date": day.date,
        "kind": day.kind,
        "kind_label": str(day.get_kind_display()),
        "name": day.name,
        "provisional": day.provisional,
    }
