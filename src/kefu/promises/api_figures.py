"""`GET /api/v1/figures/promise-kept` (API.md "figures"): the promise-kept rate per policy and kind
over a range of days, beside each policy's advertised target, read from the PromiseTally rollup
(promises.selectors.promise_kept: two queries whatever the number of tickets)."""

import datetime
from typing import Annotated

from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema

from kefu.core.api.errors import errors
from kefu.core.api.helpers import require
from kefu.core.errors import InvalidRequest
from kefu.promises import selectors
from kefu.promises.models import PromiseKind

router = Router(tags=["figures"])
# A day as the query string gives it: strictly YYYY-MM-DD in the years core.api.schema accepts
# (a bare number is no date, though pydantic would read it as one).
DayText = Annotated[
    str, Field(min_length=10, max_length=10, pattern=r"^(19|2[01])[0-9]{2}-[0-9]{2}-[0-9]{2}$")
]


def _day(text: str | None, name: str) -> datetime.date | None:
    if text is None:
        return None
    try:
        return datetime.date.fromisoformat(text)
    except ValueError:
        raise InvalidRequest({name: [_("Enter a real date (YYYY-MM-DD).")]}) from None


class KeptRowOut(Schema):
    policy: int | None
    policy_name: str
    kind: str
    kind_label: str
    target_minutes: int | None
    kept: int
    missed: int
    kept_rate: float | None


class KeptFigureOut(Schema):
    date_from: datetime.date = Field(alias="from")
    to: datetime.date
    rows: list[KeptRowOut]
    kinds: list[KeptRowOut]


def _row(row: selectors.KeptRow) -> dict:
    return {
        "policy": row.policy_id,
        "policy_name": row.policy_name,
        "kind": row.kind,
        "kind_label": row.kind_label,
        "target_minutes": row.target_minutes,
        "kept": row.kept,
        "missed": row.missed,
        "kept_rate": None if row.kept_rate is None else round(row.kept_rate, 4),
    }


@router.get(
    "/figures/promise-kept",
    response={200: KeptFigureOut, **errors(400, 403)},
    by_alias=True,
    operation_id="figure_promise_kept",
    summary="Promise-kept rate per policy and kind, beside the advertised target",
    description=(
        "Kept and missed promises, counted on the day each was met or breached, per policy and "
        "promise kind (`rows`) and per kind over every policy shown (`kinds`); `kept_rate` is kept "
        "over kept + missed (0..1, null when none), `target_minutes` the policy's advertised target. "
        f"Default range: the last {selectors.FIGURE_DEFAULT_DAYS} days to today; at most "
        f"{selectors.FIGURE_MAX_DAYS} days. Supervisors, managers and administrators."
    ),
)
def promise_kept(
    request: HttpRequest,
    from_: Annotated[DayText | None, Query(alias="from", description="First day (YYYY-MM-DD).")] = None,
    to: Annotated[DayText | None, Query(description="Last day (YYYY-MM-DD), inclusive.")] = None,
    policy: Annotated[int | None, Query(ge=1, le=2**63 - 1, description="Only this policy's id.")] = None,
    kind: Annotated[PromiseKind | None, Query(description="Only this kind of promise.")] = None,
):
    require(request.auth, "promises.view_promisetally")
    date_from, date_to = selectors.figure_range(
        _day(from_, "from"), _day(to, "to"), today=timezone.localdate()
    )
    figure = selectors.promise_kept(date_from=date_from, date_to=date_to, policy=policy, kind=kind)
    return {
        "from": figure.date_from.isoformat(),
        "to": figure.date_to.isoformat(),
        "rows": [_row(row) for row in figure.rows],
        "kinds": [_row(row) for row in figure.kinds],
    }
