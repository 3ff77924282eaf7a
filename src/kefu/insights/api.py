"""`GET /api/v1/figures/…` for satisfaction and complaints (API.md "figures", SPEC §5, §12) and
`GET /api/v1/exports/{figure}?format=csv`: read from the rollups (insights.selectors), a few queries
whatever the number of tickets or answers. Supervisors, managers and administrators
(insights.permissions). Ranges are whole weeks: the weeks the days `from`..`to` fall in."""

import datetime
from enum import Enum, StrEnum
from typing import Annotated

from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema

from kefu.core.api import answer
from kefu.core.api.errors import errors
from kefu.core.api.helpers import require
from kefu.core.errors import InvalidRequest
from kefu.insights import exports, selectors
from kefu.insights.permissions import AT_RISK, COMPLAINTS, SATISFACTION

router = Router(tags=["figures"])
DayText = Annotated[
    str, Field(min_length=10, max_length=10, pattern=r"^(19|2[01])[0-9]{2}-[0-9]{2}-[0-9]{2}$")
]
By = Enum("By", {name.upper(): name for name in selectors.BY_CHOICES}, type=str)  # type: ignore[misc]
FigureName = Enum("FigureName", {name.upper().replace("-", "_"): name for name in exports.FIGURES}, type=str)  # type: ignore[misc]

FROM_DOC = "First day (YYYY-MM-DD); its week counts whole. Default: twelve weeks before `to`."
TO_DOC = "Last day (YYYY-MM-DD), inclusive; its week counts whole. Default: today."
RANGE_DOC = f"A range spans at most {selectors.MAX_DAYS} days; one that ends before it starts is a 400."


def _day(text: str | None, name: str) -> datetime.date | None:
    if text is None:
        return None
    try:
        return datetime.date.fromisoformat(text)
    except ValueError:
        raise InvalidRequest({name: [_("Enter a real date (YYYY-MM-DD).")]}) from None


def _weeks(from_: str | None, to: str | None) -> selectors.Weeks:
    return selectors.figure_range(_day(from_, "from"), _day(to, "to"), today=timezone.localdate())


def _round(value: float | None, digits: int = 2) -> float | None:
    return None if value is None else round(value, digits)


class RangeOut(Schema):
    date_from: datetime.date = Field(alias="from")
    to: datetime.date
    first_week: datetime.date
    last_week: datetime.date


def _range(weeks: selectors.Weeks) -> dict:
    return {
        "from": weeks.date_from,
        "to": weeks.date_to,
        "first_week": weeks.first_week,
        "last_week": weeks.last_week,
    }


class CellOut(Schema):
    key: str
    label: str
    answered: int
    dissatisfied: int
    per_hundred: float | None


def _cell(cell: selectors.Cell | None) -> dict | None:
    if cell is None:
        return None
    return {
        "key": cell.key,
        "label": cell.label,
        "answered": cell.answered,
        "dissatisfied": cell.dissatisfied,
        "per_hundred": _round(cell.per_hundred),
    }


class PerHundredOut(RangeOut):
    by: str
    total: CellOut
    rows: list[CellOut]


@router.get(
    "/figures/dissatisfied-per-hundred",
    response={200: PerHundredOut, **errors(400, 403)},
    by_alias=True,
    operation_id="figure_dissatisfied_per_hundred",
    summary="Dissatisfied per hundred answers, by a dimension or by week",
    description=(
        'Survey answers and "not satisfied" answers per value of `by` (the agent, technician or '
        "team of the ticket, the customer's region, the product category or the channel as they "
        "were when the survey was created; or the week the answer came in), and over every "
        "answer (`total`). `per_hundred` is not satisfied ÷ answers × 100 (null with no answer); "
        'rows most dissatisfied first, by week in time order; `key` "" is a value not recorded. '
        f"{RANGE_DOC} Supervisors, managers and administrators."
    ),
)
def dissatisfied_per_hundred(
    request: HttpRequest,
    by: Annotated[By | None, Query(description="The dimension (default week).")] = None,  # type: ignore[valid-type]
    from_: Annotated[DayText | None, Query(alias="from", description=FROM_DOC)] = None,
    to: Annotated[DayText | None, Query(description=TO_DOC)] = None,
):
    require(request.auth, SATISFACTION)
    figure = selectors.dissatisfied_per_hundred(weeks=_weeks(from_, to), by=by.value if by else "week")
    # Written by hand (PerHundredOut documents it; tests/insights/test_api.py holds the two
    # together): validating thousands of agents' rows through the schema cost more than the
    # figure itself (bench/satisfaction_figures.py).
    return answer(
        request,
        {
            **_range(figure.weeks),
            "by": figure.by,
            "total": _cell(figure.total),
            "rows": [_cell(cell) for cell in figure.rows],
        },
    )


class SpreadOut(Schema):
    dimension: str
    counted: int
    left_out: int
    highest: CellOut | None
    lowest: CellOut | None
    range: float | None
    stdev: float | None
    mean: float | None


class ConsistencyOut(RangeOut):
    min_answers: int
    spreads: list[SpreadOut]


MinAnswers = Annotated[
    int | None,
    Query(
        ge=1,
        le=1_000_000,
        description=f"Fewest answers for a value to count in the spread (default {selectors.MIN_ANSWERS}).",
    ),
]


@router.get(
    "/figures/consistency",
    response={200: ConsistencyOut, **errors(400, 403)},
    by_alias=True,
    operation_id="figure_consistency",
    summary="The spread of dissatisfied per hundred across agents, regions and weeks",
    description=(
        "For agents, regions and weeks: among the values with at least `min_answers` answers "
        "(the others are `left_out`), the highest and lowest dissatisfied per hundred, their "
        "difference (`range`, in points per hundred), the population standard deviation "
        "(`stdev`, dividing by the number of values) and their plain mean. "
        f"{RANGE_DOC} Supervisors, managers and administrators."
    ),
)
def consistency(
    request: HttpRequest,
    from_: Annotated[DayText | None, Query(alias="from", description=FROM_DOC)] = None,
    to: Annotated[DayText | None, Query(description=TO_DOC)] = None,
    min_answers: MinAnswers = None,
):
    require(request.auth, SATISFACTION)
    figure = selectors.consistency(
        weeks=_weeks(from_, to), min_answers=selectors.check_min_answers(min_answers)
    )
    return {
        **_range(figure.weeks),
        "min_answers": figure.min_answers,
        "spreads": [
            {
                "dimension": spread.dimension,
                "counted": spread.counted,
                "left_out": spread.left_out,
                "highest": _cell(spread.highest),
                "lowest": _cell(spread.lowest),
                "range": _round(spread.range),
                "stdev": _round(spread.stdev, 4),
                "mean": _round(spread.mean, 4),
            }
            for spread in figure.spreads
        ],
    }


class CauseOut(Schema):
    cause: str
    label: str
    complaints: int
    resolved_not_our_fault: int
    share: float
    cumulative_share: float


class CausesOut(RangeOut):
    complaints: int
    resolved_not_our_fault: int
    rows: list[CauseOut]


@router.get(
    "/figures/complaint-causes",
    response={200: CausesOut, **errors(400, 403)},
    by_alias=True,
    operation_id="figure_complaint_causes",
    summary="Complaints by cause (the Pareto), and those resolved although not our fault",
    description=(
        "Complaints opened in the range per cause, most first, each with its `share` of every "
        'complaint and the `cumulative_share` (0..1, the Pareto line); `cause` "" holds those '
        "not classified yet. `resolved_not_our_fault` counts the complaints resolved although "
        f"the fault was not ours. {RANGE_DOC} Supervisors, managers and administrators."
    ),
)
def complaint_causes(
    request: HttpRequest,
    from_: Annotated[DayText | None, Query(alias="from", description=FROM_DOC)] = None,
    to: Annotated[DayText | None, Query(description=TO_DOC)] = None,
):
    require(request.auth, COMPLAINTS)
    figure = selectors.complaint_causes(weeks=_weeks(from_, to))
    return {
        **_range(figure.weeks),
        "complaints": figure.complaints,
        "resolved_not_our_fault": figure.resolved_not_our_fault,
        "rows": [
            {
                "cause": row.cause,
                "label": row.label,
                "complaints": row.complaints,
                "resolved_not_our_fault": row.resolved_not_our_fault,
                "share": round(row.share, 4),
                "cumulative_share": round(row.cumulative_share, 4),
            }
            for row in figure.rows
        ],
    }


class IcebergOut(RangeOut):
    share: float
    complaints: int
    estimated_dissatisfied: float
    silent: float
    surveyed_dissatisfied: int
    answered: int


Share = Annotated[
    float | None,
    Query(
        ge=selectors.MIN_COMPLAINT_SHARE,
        le=1,
        allow_inf_nan=False,
        description="The share of dissatisfied customers who complain, from 0.001 to 1 "
        "(default: the site's KEFU_COMPLAINT_SHARE, 0.04).",
    ),
]


@router.get(
    "/figures/iceberg",
    response={200: IcebergOut, **errors(400, 403)},
    by_alias=True,
    operation_id="figure_iceberg",
    summary="The iceberg: complaints ÷ the complaint share, beside the dissatisfied surveys counted",
    description=(
        "`estimated_dissatisfied` is the complaints opened in the range divided by `share` (only "
        "about 4 in 100 dissatisfied customers complain); `silent` is the estimate less the "
        'complaints; beside them the "not satisfied" answers (`surveyed_dissatisfied`) of the '
        f"`answered` surveys. {RANGE_DOC} Supervisors, managers and administrators."
    ),
)
def iceberg(
    request: HttpRequest,
    from_: Annotated[DayText | None, Query(alias="from", description=FROM_DOC)] = None,
    to: Annotated[DayText | None, Query(description=TO_DOC)] = None,
    share: Share = None,
):
    require(request.auth, SATISFACTION, COMPLAINTS)
    figure = selectors.iceberg(weeks=_weeks(from_, to), share=selectors.complaint_share(share))
    return {
        **_range(figure.weeks),
        "share": figure.share,
        "complaints": figure.complaints,
        "estimated_dissatisfied": round(figure.estimated_dissatisfied, 1),
        "silent": round(figure.silent, 1),
        "surveyed_dissatisfied": figure.surveyed_dissatisfied,
        "answered": figure.answered,
    }


class AtRiskOut(Schema):
    customer: int
    customer_name: str
    tier: str
    last_unhappy_at: datetime.datetime
    ticket: int | None
    ticket_number: str | None
    last_happy_at: datetime.datetime | None


class AtRiskPage(Schema):
    items: list[AtRiskOut]
    next_cursor: str | None


Days = Annotated[
    int | None,
    Query(
        ge=1,
        le=selectors.AT_RISK_MAX_DAYS,
        description=f"How recent the unhappy moment must be, in days (default {selectors.AT_RISK_DAYS}).",
    ),
]


@router.get(
    "/figures/at-risk-customers",
    response={200: AtRiskPage, **errors(400, 403)},
    operation_id="figure_at_risk_customers",
    summary='Customers at risk: a recent "not satisfied" or complaint, no "satisfied" since',
    description=(
        'Customers whose last "not satisfied" answer or complaint came within `days` days and '
        'who said "satisfied" to no survey after it, the most recent first, with the ticket of '
        "that moment. A keyset-paged list (`cursor`, `limit` ≤ 200). Supervisors, managers and "
        "administrators."
    ),
)
def at_risk_customers(
    request: HttpRequest,
    days: Days = None,
    cursor: Annotated[str | None, Query(max_length=500, description="From the previous page.")] = None,
    limit: Annotated[int | None, Query(ge=1, le=200, description="Items per page (default 50).")] = None,
):
    require(request.auth, AT_RISK)
    page = selectors.at_risk_customers(
        days=selectors.check_at_risk_days(days), now=timezone.now(), cursor=cursor, limit=limit
    )
    return {
        "items": [
            {
                "customer": mood.customer_id,
                "customer_name": mood.customer.name,
                "tier": mood.customer.tier,
                "last_unhappy_at": mood.last_unhappy_at,
                "ticket": mood.unhappy_ticket_id,
                "ticket_number": mood.unhappy_ticket.number if mood.unhappy_ticket else None,
                "last_happy_at": mood.last_happy_at,
            }
            for mood in page.items
        ],
        "next_cursor": page.next_cursor,
    }


class ExportFormat(StrEnum):
    CSV = "csv"


@router.get(
    "/exports/{figure}",
    response={200: None, **errors(400, 403, 404)},
    operation_id="export_figure",
    url_name="export_figure",
    summary="A figure's table as a file",
    description=(
        "The table of `figure` in the `format` asked for (today `csv`, the default: UTF-8 with a "
        "byte-order mark; a spreadsheet format may follow under the same path), taking the same "
        "query parameters as the figure (`by` for dissatisfied-per-hundred, `min_answers`, "
        "`share`, `days`); at-risk-customers holds the most recent "
        f"{exports.AT_RISK_ROWS} customers. A cell starting with = + - or @ is written with a "
        "leading apostrophe, so a spreadsheet never reads it as a formula. Same rights as the figure."
    ),
)
def export_figure(
    request: HttpRequest,
    figure: FigureName,  # type: ignore[valid-type]
    format: Annotated[ExportFormat, Query(description="The file's format.")] = ExportFormat.CSV,
    by: Annotated[By | None, Query(description="For dissatisfied-per-hundred (default week).")] = None,  # type: ignore[valid-type]
    from_: Annotated[DayText | None, Query(alias="from", description=FROM_DOC)] = None,
    to: Annotated[DayText | None, Query(description=TO_DOC)] = None,
    min_answers: MinAnswers = None,
    share: Share = None,
    days: Days = None,
):
    name = figure.value
    needs = {
        "dissatisfied-per-hundred": (SATISFACTION,),
        "consistency": (SATISFACTION,),
        "complaint-causes": (COMPLAINTS,),
        "iceberg": (SATISFACTION, COMPLAINTS),
        "at-risk-customers": (AT_RISK,),
    }
    require(request.auth, *needs[name])
    if name == "at-risk-customers":
        return exports.at_risk_csv(days=selectors.check_at_risk_days(days))
    weeks = _weeks(from_, to)
    if name == "dissatisfied-per-hundred":
        return exports.per_hundred_csv(
            selectors.dissatisfied_per_hundred(weeks=weeks, by=by.value if by else "week")
        )
    if name == "consistency":
        return exports.consistency_csv(
            selectors.consistency(weeks=weeks, min_answers=selectors.check_min_answers(min_answers))
        )
    if name == "complaint-causes":
        return exports.causes_csv(selectors.complaint_causes(weeks=weeks))
    return exports.iceberg_csv(selectors.iceberg(weeks=weeks, share=selectors.complaint_share(share)))
