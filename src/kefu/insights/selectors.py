"""The satisfaction and complaint figures (SPEC §5, §12), read from the rollups their apps keep:
feedback.SatisfactionTally, complaints.ComplaintTally and feedback.CustomerMood — never a scan of
tickets or surveys (DESIGN.md: headline figures over 10M tickets < 100 ms; decision 0034).

The tallies count per week (its Monday, Asia/Shanghai), so a figure covers whole weeks: the
weeks that the days `date_from`..`date_to` fall in. Each figure is two or three queries whatever
the volume: a GROUP BY over the tally's rows in the range, and the labels of the keys found.

Consistency: a value (an agent's, a region's, a week's dissatisfied per hundred) counts in the
spread only with at least `min_answers` answers (MIN_ANSWERS, 30 by default): with fewer, one
unhappy customer moves it by several points and the spread would measure luck. The standard
deviation is the population's (every agent or region that counts is the whole population, not a
sample of it: divide by n).
"""

import datetime
import math
from dataclasses import dataclass, replace

from django.conf import settings
from django.db import connection
from django.db.models import F, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kefu.accounts.models import Team, User
from kefu.complaints.models import ComplaintCause, ComplaintTally
from kefu.core.errors import InvalidRequest
from kefu.core.pagination import Page, keyset_page
from kefu.customers.catalogue import category_label
from kefu.customers.models import ProductCategory
from kefu.feedback.models import CustomerMood, Dimension, SatisfactionTally
from kefu.feedback.tallies import week_of
from kefu.tickets.models import Channel

DEFAULT_DAYS = 84  # twelve weeks
MAX_DAYS = 3660
MIN_ANSWERS = 30
AT_RISK_DAYS = 90
AT_RISK_MAX_DAYS = 3660
DEFAULT_COMPLAINT_SHARE = 0.04
# The smallest share the iceberg divides by: one in a thousand (a smaller one is no estimate, and
# one near zero would make it infinite).
MIN_COMPLAINT_SHARE = 0.001

# What `by=` accepts: the dimensions of the tally, and the week (the ALL rows over time).
BY_CHOICES = ("agent", "technician", "team", "region", "category", "channel", "week")
SPREAD_DIMENSIONS = ("agent", "region", "week")

BY_LABELS = {
    "agent": gettext_lazy("Agent"),
    "technician": gettext_lazy("Technician"),
    "team": gettext_lazy("Team"),
    "region": gettext_lazy("Region"),
    "category": gettext_lazy("Product category"),
    "channel": gettext_lazy("Channel"),
    "week": gettext_lazy("Week"),
}


# --- The range ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Weeks:
    """The weeks a figure covers: the Mondays of `date_from` and `date_to`, and the days asked."""

    date_from: datetime.date
    date_to: datetime.date

    @property
    def first_week(self) -> datetime.date:
        return week_of(self.date_from)

    @property
    def last_week(self) -> datetime.date:
        return week_of(self.date_to)

    def moments(self) -> tuple[datetime.datetime, datetime.datetime]:
        """[start, end) in the site's time zone: the first week's Monday to the Monday after the
        last week (what the tallies counted, for the click-through lists)."""
        zone = timezone.get_current_timezone()
        start = datetime.datetime.combine(self.first_week, datetime.time.min, tzinfo=zone)
        end = datetime.datetime.combine(
            self.last_week + datetime.timedelta(days=7), datetime.time.min, tzinfo=zone
        )
        return start, end


def figure_range(
    date_from: datetime.date | None, date_to: datetime.date | None, *, today: datetime.date
) -> Weeks:
    """The last twelve weeks to today by default; InvalidRequest (400) when the range ends before
    it starts or spans more than MAX_DAYS."""
    date_to = date_to or today
    date_from = date_from or date_to - datetime.timedelta(days=DEFAULT_DAYS - 1)
    if date_from > date_to:
        raise InvalidRequest({"from": [_("The range must start on or before its end.")]})
    if (date_to - date_from).days + 1 > MAX_DAYS:
        raise InvalidRequest({"from": [_("The range may span at most %(days)d days.") % {"days": MAX_DAYS}]})
    return Weeks(date_from, date_to)


def check_by(by: str | None) -> str:
    if by not in BY_CHOICES:
        raise InvalidRequest({"by": [_("Choose one of: %(choices)s.") % {"choices": ", ".join(BY_CHOICES)}]})
    return by


def check_min_answers(value: int | None) -> int:
    if value is None:
        return int(getattr(settings, "KEFU_FIGURES_MIN_ANSWERS", MIN_ANSWERS))
    if not 1 <= value <= 1_000_000:
        raise InvalidRequest({"min_answers": [_("Give a whole number from 1 to 1000000.")]})
    return value


def complaint_share(value: float | None) -> float:
    """The share of the dissatisfied who complain: the query's, else settings.KEFU_COMPLAINT_SHARE
    (0.04: about 4 in 100 complain, SPEC §4). From MIN_COMPLAINT_SHARE (0.001) to 1."""
    if value is None:
        value = float(getattr(settings, "KEFU_COMPLAINT_SHARE", DEFAULT_COMPLAINT_SHARE))
    if not (isinstance(value, int | float) and math.isfinite(value) and MIN_COMPLAINT_SHARE <= value <= 1):
        raise InvalidRequest({"share": [_("The complaint share must be from 0.001 to 1.")]})
    return float(value)


# --- Dissatisfied per hundred ---------------------------------------------------------------


def per_hundred(dissatisfied: int, answered: int) -> float | None:
    return 100.0 * dissatisfied / answered if answered else None


@dataclass(frozen=True)
class Cell:
    """One value of a dimension (an agent, a region, a week …) over the range."""

    key: str  # the tally's key: a user or team id, a province, a code; a week's Monday (ISO)
    label: str
    answered: int
    dissatisfied: int

    @property
    def per_hundred(self) -> float | None:
        return per_hundred(self.dissatisfied, self.answered)


@dataclass(frozen=True)
class PerHundred:
    weeks: Weeks
    by: str
    total: Cell  # every answer in the range
    rows: list[Cell]  # most dissatisfied per hundred first; by week: in time order


def _by_ids(model, ids: list[int], columns: tuple[str, ...]) -> list[tuple]:
    """Rows of `model` by id: one array parameter on PostgreSQL (thousands of agents' names
    without thousands of placeholders), an IN list elsewhere."""
    if not ids:
        return []
    if connection.vendor != "postgresql":
        return list(model.objects.filter(pk__in=ids).values_list(*columns))
    table = connection.ops.quote_name(model._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {', '.join(columns)} FROM {table} WHERE id = ANY(%s)", [ids])
        return cursor.fetchall()


def _labels(by: str, keys: set[str]) -> dict[str, str]:
    """The reader's word for each key (one query for users, teams and categories)."""
    unknown = str(_("Not recorded"))
    labels = {"": unknown}
    keys = {key for key in keys if key}
    if by in ("agent", "technician"):
        ids = [int(key) for key in keys if key.isdigit()]
        for pk, display, username in _by_ids(User, ids, ("id", "display_name", "username")):
            labels[str(pk)] = display or username
    elif by == "team":
        ids = [int(key) for key in keys if key.isdigit()]
        labels.update((str(pk), name) for pk, name in _by_ids(Team, ids, ("id", "name")))
    elif by == "category":
        names = dict(ProductCategory.objects.filter(code__in=keys).values_list("code", "name"))
        labels.update((code, category_label(code, names.get(code, code))) for code in keys)
    elif by == "channel":
        choices = dict(Channel.choices)
        labels.update((code, str(choices.get(code, code))) for code in keys)
    for key in keys:
        labels.setdefault(key, key)
    return labels


def _sums(weeks: Weeks, by: str) -> tuple[Cell, list[tuple[str, int, int]]]:
    """One GROUP BY over the tally's rows of `by` (and ALL, for the total) in the range: the total
    and (key, answered, not satisfied) per value — a week's Monday (ISO) by week."""
    dimension = Dimension.ALL if by == "week" else by
    group = "week" if by == "week" else "key"
    sums = (
        SatisfactionTally.objects.filter(
            week__gte=weeks.first_week, week__lte=weeks.last_week, dimension__in={dimension, Dimension.ALL}
        )
        .order_by()
        .values_list("dimension", group)
        .annotate(answered_sum=Sum("answered"), dissatisfied_sum=Sum("dissatisfied"))
    )
    answered = unhappy = 0
    found = []
    for row_dimension, key, row_answered, row_unhappy in sums:
        if row_dimension == Dimension.ALL:
            answered += row_answered
            unhappy += row_unhappy
        if row_dimension == dimension:
            found.append((key.isoformat() if by == "week" else key, row_answered, row_unhappy))
    return Cell("", str(_("Every answer")), answered, unhappy), found


def dissatisfied_per_hundred(*, weeks: Weeks, by: str) -> PerHundred:
    """Answers and "not satisfied" per value of `by` over the range, and in total; the rows most
    dissatisfied per hundred first (more answers first among equals), by week in time order.
    Two queries: the sums, and the values' names (none by week, region or channel)."""
    by = check_by(by)
    total, found = _sums(weeks, by)
    if by == "week":
        rows = [Cell(key, key, answered, unhappy) for key, answered, unhappy in sorted(found)]
        return PerHundred(weeks, by, total, rows)
    labels = _labels(by, {key for key, _answered, _unhappy in found})
    rows = [Cell(key, labels.get(key, key), answered, unhappy) for key, answered, unhappy in found]
    rows.sort(key=lambda cell: (-(cell.per_hundred or 0.0), -cell.answered, cell.key))
    return PerHundred(weeks, by, total, rows)


# --- Consistency ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Spread:
    """The spread of dissatisfied per hundred across the values of one dimension that have at
    least `min_answers` answers: highest − lowest, and the population standard deviation."""

    dimension: str
    counted: int  # values with enough answers
    left_out: int  # values with fewer answers (shown in the per-hundred figure, not counted here)
    highest: Cell | None
    lowest: Cell | None
    range: float | None  # highest − lowest, in dissatisfied per hundred
    stdev: float | None  # population standard deviation (÷ n)
    mean: float | None  # the plain mean of the values counted (each value weighs one)


@dataclass(frozen=True)
class Consistency:
    weeks: Weeks
    min_answers: int
    spreads: list[Spread]


def spread_of(dimension: str, cells: list[Cell], *, min_answers: int) -> Spread:
    counted = [cell for cell in cells if cell.answered >= min_answers]
    left_out = len(cells) - len(counted)
    if not counted:
        return Spread(dimension, 0, left_out, None, None, None, None, None)
    values = [cell.per_hundred or 0.0 for cell in counted]
    mean = sum(values) / len(values)
    variance = sum((value - mean) ** 2 for value in values) / len(values)
    highest = max(counted, key=lambda cell: (cell.per_hundred or 0.0, cell.answered))
    lowest = min(counted, key=lambda cell: (cell.per_hundred or 0.0, -cell.answered))
    return Spread(
        dimension,
        len(counted),
        left_out,
        highest,
        lowest,
        (highest.per_hundred or 0.0) - (lowest.per_hundred or 0.0),
        math.sqrt(variance),
        mean,
    )


def consistency(*, weeks: Weeks, min_answers: int) -> Consistency:
    """The spread across agents, across regions and across weeks (SPEC §5: consistent across
    people, places and time). One GROUP BY per dimension, and the names of the two agents at the
    ends (the names of every agent are not needed)."""
    spreads = []
    for dimension in SPREAD_DIMENSIONS:
        _total, found = _sums(weeks, dimension)
        cells = [Cell(key, key, answered, unhappy) for key, answered, unhappy in found]
        if dimension == "agent":  # answers with no agent recorded are nobody's to compare
            cells = [cell for cell in cells if cell.key]
        spread = spread_of(dimension, cells, min_answers=min_answers)
        if dimension == "agent" and spread.highest and spread.lowest:
            labels = _labels("agent", {spread.highest.key, spread.lowest.key})
            spread = replace(
                spread,
                highest=replace(spread.highest, label=labels[spread.highest.key]),
                lowest=replace(spread.lowest, label=labels[spread.lowest.key]),
            )
        spreads.append(spread)
    return Consistency(weeks, min_answers, spreads)


# --- Complaints by cause (the Pareto) -------------------------------------------------------


@dataclass(frozen=True)
class CauseRow:
    cause: str  # the cause's code; "" while unclassified
    label: str
    complaints: int
    resolved_not_our_fault: int
    share: float  # of every complaint in the range, 0..1
    cumulative_share: float  # this cause's and every larger one's, 0..1


@dataclass(frozen=True)
class CauseFigure:
    weeks: Weeks
    complaints: int
    resolved_not_our_fault: int
    rows: list[CauseRow]  # most complaints first (the Pareto order)


def complaint_causes(*, weeks: Weeks) -> CauseFigure:
    """Complaints per cause over the weeks they were opened in, most first, each with its share
    and the cumulative share (the Pareto line), and how many were resolved although not our
    fault. Ties keep the causes' own order (the taxonomy's), then their codes."""
    sums = list(
        ComplaintTally.objects.filter(week__gte=weeks.first_week, week__lte=weeks.last_week)
        .order_by()
        .values("cause")
        .annotate(complaints_sum=Sum("complaints"), nof_sum=Sum("resolved_not_our_fault"))
    )
    sums = [row for row in sums if row["complaints_sum"]]
    causes = {
        code: (name, order)
        for code, name, order in ComplaintCause.objects.filter(
            code__in=[row["cause"] for row in sums]
        ).values_list("code", "name", "sort_order")
    }
    total = sum(row["complaints_sum"] for row in sums)
    not_ours = sum(row["nof_sum"] for row in sums)
    unclassified = str(_("Not classified yet"))

    def order(row):
        name_order = causes.get(row["cause"], ("", 9999))[1] if row["cause"] else 10000
        return (-row["complaints_sum"], name_order, row["cause"])

    rows = []
    running = 0
    for row in sorted(sums, key=order):
        running += row["complaints_sum"]
        rows.append(
            CauseRow(
                cause=row["cause"],
                label=causes.get(row["cause"], (row["cause"], 0))[0] if row["cause"] else unclassified,
                complaints=row["complaints_sum"],
                resolved_not_our_fault=row["nof_sum"],
                share=row["complaints_sum"] / total,
                cumulative_share=running / total,
            )
        )
    return CauseFigure(weeks, total, not_ours, rows)


def cause_label(code: str) -> str:
    """A cause's name (its code when the taxonomy no longer has it)."""
    name = ComplaintCause.objects.filter(code=code).values_list("name", flat=True).first()
    return name or code


# --- The iceberg ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Iceberg:
    weeks: Weeks
    share: float
    complaints: int
    estimated_dissatisfied: float  # complaints ÷ share: the dissatisfied the complaints stand for
    surveyed_dissatisfied: int  # "not satisfied" answers in the range
    answered: int

    @property
    def silent(self) -> float:
        """The estimate beyond the complaints: those who were unhappy and said nothing."""
        return self.estimated_dissatisfied - self.complaints


def iceberg(*, weeks: Weeks, share: float) -> Iceberg:
    """Complaints ÷ the complaint share beside the dissatisfied the surveys counted (two queries)."""
    share = complaint_share(share)
    complaints = (
        ComplaintTally.objects.filter(week__gte=weeks.first_week, week__lte=weeks.last_week).aggregate(
            total=Sum("complaints")
        )["total"]
        or 0
    )
    surveyed = SatisfactionTally.objects.filter(
        dimension=Dimension.ALL, key="", week__gte=weeks.first_week, week__lte=weeks.last_week
    ).aggregate(answered=Sum("answered"), unhappy=Sum("dissatisfied"))
    return Iceberg(
        weeks=weeks,
        share=share,
        complaints=complaints,
        estimated_dissatisfied=complaints / share,
        surveyed_dissatisfied=surveyed["unhappy"] or 0,
        answered=surveyed["answered"] or 0,
    )


# --- Customers at risk ----------------------------------------------------------------------


def check_at_risk_days(days: int | None) -> int:
    if days is None:
        return AT_RISK_DAYS
    if not 1 <= days <= AT_RISK_MAX_DAYS:
        raise InvalidRequest(
            {"days": [_("Give a number of days from 1 to %(max)d.") % {"max": AT_RISK_MAX_DAYS}]}
        )
    return days


AT_RISK_ORDER = ("-last_unhappy_at", "-customer_id")


def at_risk_customers(
    *, days: int, now: datetime.datetime, cursor: str | None, limit: int | None, cap: int | None = None
) -> Page:
    """Customers whose last "not satisfied" or complaint came within `days` days with no
    "satisfied" after it, the most recent first: one keyset page read on CustomerMood's partial
    index of last_unhappy_at, with the customer and the ticket of the page's rows in the same
    query. `cap`: the first `cap` rows in one list instead of a page (the CSV)."""
    since = now - datetime.timedelta(days=check_at_risk_days(days))
    moods = (
        CustomerMood.objects.filter(last_unhappy_at__gte=since)
        .filter(Q(last_happy_at__isnull=True) | Q(last_happy_at__lt=F("last_unhappy_at")))
        # A record merged into another answers with that one (decision 0014): not listed twice.
        .filter(customer__merged_into__isnull=True)
        .select_related("customer", "unhappy_ticket")
        .only(
            "customer_id",
            "last_unhappy_at",
            "last_happy_at",
            "unhappy_ticket_id",
            "customer__name",
            "customer__tier",
            "unhappy_ticket__number",
        )
    )
    if cap is not None:
        return Page(items=list(moods.order_by(*AT_RISK_ORDER)[:cap]), next_cursor=None)
    return keyset_page(moods, order=AT_RISK_ORDER, cursor=cursor, limit=limit)


# --- The click-through: what is behind a number ---------------------------------------------

ANSWERS_ORDER = ("-answered_at", "-id")
COMPLAINTS_ORDER = ("-week", "-ticket")
_USER_DIMENSIONS = {"agent": "agent_id", "technician": "technician_id", "team": "team_id"}


def check_key(dimension: str, key: str) -> str:
    """A key as the tally writes it: a positive id for agents, technicians and teams; a date
    (a Monday) for a week; a short text otherwise. InvalidRequest (400) for anything else."""
    if len(key) > 64 or "\x00" in key:
        raise InvalidRequest({"key": [_("This value is not one of the figure's.")]})
    if dimension in _USER_DIMENSIONS and key and not (key.isdigit() and 0 < int(key) < 2**63):
        raise InvalidRequest({"key": [_("This value is not one of the figure's.")]})
    if dimension == "week":
        try:
            datetime.date.fromisoformat(key)
        except ValueError:
            raise InvalidRequest({"key": [_("Enter a real date (YYYY-MM-DD).")]}) from None
    return key


def answers_behind(
    *,
    weeks: Weeks,
    dimension: str,
    key: str,
    unhappy_only: bool,
    cursor: str | None,
    limit: int | None,
) -> Page:
    """The answered surveys a figure's cell counts, newest first (keyset-paged): answered in the
    range's weeks, with `dimension` = `key` as frozen on the survey ("all": every answer; "week":
    the week starting on `key`). Read on feedback.Survey's partial indexes of answered_at (per
    agent, team or technician; the unhappy ones; every answer)."""
    from kefu.feedback.models import Survey

    if dimension != "all":
        check_by(dimension)
        check_key(dimension, key)
    start, end = weeks.moments()
    if dimension == "week":
        monday = week_of(datetime.date.fromisoformat(key))
        start, end = Weeks(monday, monday).moments()
    surveys = Survey.objects.filter(answered_at__gte=start, answered_at__lt=end)
    if dimension in _USER_DIMENSIONS:
        column = _USER_DIMENSIONS[dimension]
        surveys = surveys.filter(**({column: int(key)} if key else {f"{column}__isnull": True}))
    elif dimension in ("region", "category", "channel"):
        surveys = surveys.filter(**{dimension: key})
    if unhappy_only:
        surveys = surveys.filter(is_satisfied=False)
    surveys = surveys.select_related("ticket", "customer", "reason", "agent").only(
        "id",
        "answered_at",
        "is_satisfied",
        "comment",
        "region",
        "category",
        "channel",
        "ticket__number",
        "customer__name",
        "reason__name",
        "agent__display_name",
        "agent__username",
        "recovery_ticket_id",
    )
    return keyset_page(surveys, order=ANSWERS_ORDER, cursor=cursor, limit=limit)


def complaints_behind(
    *, weeks: Weeks, cause: str | None, cursor: str | None, limit: int | None, not_our_fault: bool = False
) -> Page:
    """The complaints a Pareto bar counts, latest week first (keyset-paged): opened in the range's
    weeks, of the cause with code `cause` ("" for unclassified, None for every cause); with
    `not_our_fault`, only those resolved although not our fault."""
    from kefu.complaints.models import Complaint, Outcome

    complaints = Complaint.objects.filter(week__gte=weeks.first_week, week__lte=weeks.last_week)
    if cause == "":
        complaints = complaints.filter(cause__isnull=True)
    elif cause is not None:
        if len(cause) > 32:
            raise InvalidRequest({"cause": [_("This value is not one of the figure's.")]})
        complaints = complaints.filter(cause__code=cause)
    if not_our_fault:
        complaints = complaints.filter(outcome=Outcome.RESOLVED_NOT_OUR_FAULT)
    complaints = complaints.select_related("ticket", "ticket__customer", "cause").only(
        "ticket_id",
        "week",
        "severity",
        "fault_party",
        "outcome",
        "ticket__number",
        "ticket__subject",
        "ticket__customer__name",
        "cause__name",
    )
    return keyset_page(complaints, order=COMPLAINTS_ORDER, cursor=cursor, limit=limit)


def dissatisfied_label(dimension: str, key: str) -> str:
    """The reader's word for one value of a dimension (the click-through's heading)."""
    return _labels(check_by(dimension), {check_key(dimension, key)}).get(key, key)
