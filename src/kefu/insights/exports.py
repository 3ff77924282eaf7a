"""Each figure's table as CSV, for the dashboard's links and `GET /api/v1/exports/{figure}?format=csv`.

A cell that a spreadsheet would read as a formula (it starts with = + - @, a tab or a carriage
return: a customer's name, a team's name typed by someone) is written with a leading apostrophe,
so opening the file never runs anything (OWASP "CSV injection"). Numbers are written as numbers.
The file starts with a byte-order mark: Excel opens UTF-8 Chinese only with it.
"""

import csv
import datetime
from collections.abc import Iterable

from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _

from kefu.insights import selectors

FIGURES = ("dissatisfied-per-hundred", "consistency", "complaint-causes", "iceberg", "at-risk-customers")
# The customers at risk in a file: the most recent this many (the page and the API page on).
AT_RISK_ROWS = 10_000
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value) -> str | int | float:
    """The cell as written: numbers as they are, texts that could start a formula escaped."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int | float):
        return value
    text = str(value)
    if text.startswith(_FORMULA_STARTS):
        return "'" + text
    return text


def _number(value: float | None, digits: int = 2) -> str | float:
    return "" if value is None else round(value, digits)


def _response(name: str, header: list[str], rows: Iterable[list]) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response.write("\ufeff")
    writer = csv.writer(response)
    writer.writerow([safe_cell(cell) for cell in header])
    for row in rows:
        writer.writerow([safe_cell(cell) for cell in row])
    return response


def _span(weeks: selectors.Weeks) -> str:
    return f"{weeks.first_week:%Y%m%d}-{weeks.last_week + datetime.timedelta(days=6):%Y%m%d}"


def per_hundred_csv(figure: selectors.PerHundred) -> HttpResponse:
    header = [
        str(selectors.BY_LABELS[figure.by]),
        _("Key"),
        _("Answers"),
        _("Not satisfied"),
        _("Per hundred"),
    ]
    rows = [
        [cell.label, cell.key, cell.answered, cell.dissatisfied, _number(cell.per_hundred)]
        for cell in figure.rows
    ]
    rows.append(
        [
            _("Every answer"),
            "",
            figure.total.answered,
            figure.total.dissatisfied,
            _number(figure.total.per_hundred),
        ]
    )
    return _response(f"dissatisfied-per-hundred-{figure.by}-{_span(figure.weeks)}.csv", header, rows)


def consistency_csv(figure: selectors.Consistency) -> HttpResponse:
    header = [
        _("Across"),
        _("Values counted"),
        _("Values left out"),
        _("Minimum answers"),
        _("Highest"),
        _("Highest per hundred"),
        _("Lowest"),
        _("Lowest per hundred"),
        _("Highest − lowest"),
        _("Standard deviation (population)"),
    ]
    rows = []
    for spread in figure.spreads:
        rows.append(
            [
                str(selectors.BY_LABELS[spread.dimension]),
                spread.counted,
                spread.left_out,
                figure.min_answers,
                spread.highest.label if spread.highest else "",
                _number(spread.highest.per_hundred if spread.highest else None),
                spread.lowest.label if spread.lowest else "",
                _number(spread.lowest.per_hundred if spread.lowest else None),
                _number(spread.range),
                _number(spread.stdev),
            ]
        )
    return _response(f"consistency-{_span(figure.weeks)}.csv", header, rows)


def causes_csv(figure: selectors.CauseFigure) -> HttpResponse:
    header = [
        _("Cause"),
        _("Code"),
        _("Complaints"),
        _("Share (%)"),
        _("Cumulative share (%)"),
        _("Resolved although not our fault"),
    ]
    rows = [
        [
            row.label,
            row.cause,
            row.complaints,
            _number(row.share * 100),
            _number(row.cumulative_share * 100),
            row.resolved_not_our_fault,
        ]
        for row in figure.rows
    ]
    rows.append(
        [
            _("Every cause"),
            "",
            figure.complaints,
            100 if figure.complaints else "",
            "",
            figure.resolved_not_our_fault,
        ]
    )
    return _response(f"complaint-causes-{_span(figure.weeks)}.csv", header, rows)


def iceberg_csv(figure: selectors.Iceberg) -> HttpResponse:
    header = [
        _("Complaints"),
        _("Complaint share"),
        _("Estimated dissatisfied"),
        _("Silent dissatisfied"),
        _("Not satisfied in surveys"),
        _("Answers"),
    ]
    rows = [
        [
            figure.complaints,
            figure.share,
            _number(figure.estimated_dissatisfied, 1),
            _number(figure.silent, 1),
            figure.surveyed_dissatisfied,
            figure.answered,
        ]
    ]
    return _response(f"iceberg-{_span(figure.weeks)}.csv", header, rows)


def at_risk_csv(*, days: int) -> HttpResponse:
    page = selectors.at_risk_customers(
        days=days, now=timezone.now(), cursor=None, limit=None, cap=AT_RISK_ROWS
    )
    header = [
        _("Customer"),
        _("Name"),
        _("Last not satisfied or complaint"),
        _("Ticket"),
        _("Last satisfied"),
    ]

    def moment(value) -> str:
        return "" if value is None else timezone.localtime(value).isoformat(timespec="minutes")

    rows = [
        [
            mood.customer_id,
            mood.customer.name,
            moment(mood.last_unhappy_at),
            mood.unhappy_ticket.number if mood.unhappy_ticket else "",
            moment(mood.last_happy_at),
        ]
        for mood in page.items
    ]
    return _response(f"at-risk-customers-{timezone.localdate():%Y%m%d}.csv", header, rows)
