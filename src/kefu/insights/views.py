"""The figures' dashboard (/figures/, the 报表 menu item) and the lists behind its numbers.

The dashboard leads with dissatisfied per hundred (SPEC §5: the headline figure), then the figure
by week and by a chosen dimension, consistency, the Pareto of complaint causes, the iceberg and
the first customers at risk; a link to the promise-kept page beside them. Every number links to
what it counts: the answers (answers/), the complaints (complaints/), the customers at risk
(at-risk/), each a keyset-paged list. Every table links to its CSV (the API's exports/{figure}?format=csv).
Read from the rollups (insights.selectors): a dozen queries whatever the volume.
"""

from urllib.parse import urlencode

from django import forms
from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from kefu.core.errors import InvalidRequest
from kefu.core.forms import StyledForm
from kefu.core.web import domain_errors, require_perm
from kefu.insights import selectors
from kefu.insights.permissions import AT_RISK, COMPLAINTS, SATISFACTION

DASHBOARD_AT_RISK = 10


class RangeForm(StyledForm):
    date_from = forms.DateField(
        label=gettext_lazy("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label=gettext_lazy("To"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    # The addresses speak the API's names (from, to): one link works for both.
    NAMES = {"date_from": "from", "date_to": "to"}

    def add_prefix(self, field_name):
        return self.NAMES.get(field_name, field_name)

    def clean(self):
        data = super().clean() or {}
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            self.add_error("date_from", _("The range must start on or before its end."))
        elif start and end and (end - start).days + 1 > selectors.MAX_DAYS:
            self.add_error(
                "date_from", _("The range may span at most %(days)d days.") % {"days": selectors.MAX_DAYS}
            )
        return data

    def weeks(self) -> selectors.Weeks:
        data = self.cleaned_data
        return selectors.figure_range(data["date_from"], data["date_to"], today=timezone.localdate())


class DashboardForm(RangeForm):
    by = forms.ChoiceField(
        label=gettext_lazy("By"),
        choices=[(name, label) for name, label in selectors.BY_LABELS.items() if name != "week"],
        required=False,
    )
    share = forms.FloatField(
        label=gettext_lazy("Complaint share"),
        required=False,
        min_value=selectors.MIN_COMPLAINT_SHARE,
        max_value=1,
        help_text=gettext_lazy("The share of dissatisfied customers who complain (0.04: 4 in 100)."),
    )


def _range_query(weeks: selectors.Weeks) -> dict:
    return {"from": weeks.date_from.isoformat(), "to": weeks.date_to.isoformat()}


def _answers_url(weeks, dimension: str, key: str = "", *, unhappy: bool = True) -> str:
    query = {**_range_query(weeks), "dimension": dimension, "key": key}
    if unhappy:
        query["unhappy"] = "1"
    return f"{reverse('insights:answers')}?{urlencode(query)}"


def _complaints_url(weeks, cause: str | None, *, not_our_fault: bool = False) -> str:
    query = _range_query(weeks)
    if cause is not None:
        query["cause"] = cause or "-"
    if not_our_fault:
        query["not_our_fault"] = "1"
    return f"{reverse('insights:complaints')}?{urlencode(query)}"


def _export_url(figure: str, query: dict) -> str:
    return (
        f"{reverse('api:export_figure', kwargs={'figure': figure})}?{urlencode({**query, 'format': 'csv'})}"
    )


def _per_hundred(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}"


@require_GET
@login_required
@domain_errors
def dashboard(request):
    require_perm(request.user, SATISFACTION)
    form = DashboardForm(request.GET)
    context: dict = {"form": form, "section": "insights"}
    if not form.is_valid():
        return render(request, "insights/dashboard.html", context)
    weeks = form.weeks()
    by = form.cleaned_data["by"] or "agent"
    share = selectors.complaint_share(form.cleaned_data["share"])
    range_query = _range_query(weeks)
    by_week = selectors.dissatisfied_per_hundred(weeks=weeks, by="week")
    by_dimension = selectors.dissatisfied_per_hundred(weeks=weeks, by=by)
    spread = selectors.consistency(weeks=weeks, min_answers=selectors.check_min_answers(None))
    may_complaints = request.user.has_perm(COMPLAINTS)
    causes = selectors.complaint_causes(weeks=weeks) if may_complaints else None
    iceberg = selectors.iceberg(weeks=weeks, share=share) if may_complaints else None
    at_risk = None
    if request.user.has_perm(AT_RISK):
        at_risk = selectors.at_risk_customers(
            days=selectors.AT_RISK_DAYS, now=timezone.now(), cursor=None, limit=DASHBOARD_AT_RISK
        )
    context.update(
        {
            "weeks": weeks,
            "by": by,
            "by_label": selectors.BY_LABELS[by],
            "headline": by_week.total,
            "headline_text": _per_hundred(by_week.total.per_hundred),
            "headline_url": _answers_url(weeks, "all"),
            "week_rows": [
                (
                    cell,
                    _per_hundred(cell.per_hundred),
                    _answers_url(weeks, "week", cell.key),
                    _answers_url(weeks, "week", cell.key, unhappy=False),
                )
                for cell in by_week.rows
            ],
            "dimension_rows": [
                (
                    cell,
                    _per_hundred(cell.per_hundred),
                    _answers_url(weeks, by, cell.key),
                    _answers_url(weeks, by, cell.key, unhappy=False),
                )
                for cell in by_dimension.rows
            ],
            "spreads": spread.spreads,
            "min_answers": spread.min_answers,
            "causes": causes,
            "cause_rows": [(row, _complaints_url(weeks, row.cause)) for row in causes.rows] if causes else [],
            "causes_url": _complaints_url(weeks, None),
            "not_our_fault_url": _complaints_url(weeks, None, not_our_fault=True),
            "iceberg": iceberg,
            "at_risk": at_risk,
            "at_risk_url": reverse("insights:at_risk"),
            "chart": {
                "weeks": [cell.key for cell in by_week.rows],
                "week_values": [_round(cell.per_hundred) for cell in by_week.rows],
                "dimension_labels": [cell.label for cell in by_dimension.rows[:30]],
                "dimension_values": [_round(cell.per_hundred) for cell in by_dimension.rows[:30]],
                "causes": [row.label for row in causes.rows] if causes else [],
                "cause_counts": [row.complaints for row in causes.rows] if causes else [],
                "cause_cumulative": [round(row.cumulative_share * 100, 1) for row in causes.rows]
                if causes
                else [],
                "per_hundred": _("Dissatisfied per hundred"),
                "complaints": _("Complaints"),
                "cumulative": _("Cumulative share (%)"),
            },
            "exports": {
                "weeks": _export_url("dissatisfied-per-hundred", {**range_query, "by": "week"}),
                "dimension": _export_url("dissatisfied-per-hundred", {**range_query, "by": by}),
                "consistency": _export_url("consistency", range_query),
                "causes": _export_url("complaint-causes", range_query),
                "iceberg": _export_url("iceberg", {**range_query, "share": share}),
                "at_risk": _export_url("at-risk-customers", {}),
            },
        }
    )
    return render(request, "insights/dashboard.html", context)


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


def _weeks_from(request) -> selectors.Weeks:
    form = RangeForm(request.GET)
    if not form.is_valid():
        raise InvalidRequest({name: list(errors) for name, errors in form.errors.items()})
    return form.weeks()


def _next_url(request, cursor: str | None) -> str | None:
    if not cursor:
        return None
    query = request.GET.copy()
    query["cursor"] = cursor
    return f"?{query.urlencode()}"


@require_GET
@login_required
@domain_errors
def answers(request):
    """The answers behind a per-hundred number: `dimension` and `key` as the figure's cell names
    them, `unhappy=1` for the "not satisfied" only."""
    require_perm(request.user, SATISFACTION)
    weeks = _weeks_from(request)
    dimension = request.GET.get("dimension", "all")
    key = request.GET.get("key", "")
    unhappy = request.GET.get("unhappy") == "1"
    page = selectors.answers_behind(
        weeks=weeks,
        dimension=dimension,
        key=key,
        unhappy_only=unhappy,
        cursor=request.GET.get("cursor") or None,
        limit=None,
    )
    label = ""
    if dimension not in ("all", "week"):
        label = selectors.dissatisfied_label(dimension, key)
    return render(
        request,
        "insights/answers.html",
        {
            "section": "insights",
            "weeks": weeks,
            "dimension_label": selectors.BY_LABELS.get(dimension, _("Every answer")),
            "value_label": key if dimension == "week" else label,
            "unhappy": unhappy,
            "page": page,
            "next_url": _next_url(request, page.next_cursor),
            "dashboard_url": f"{reverse('insights:dashboard')}?{urlencode(_range_query(weeks))}",
        },
    )


@require_GET
@login_required
@domain_errors
def complaints(request):
    """The complaints behind a Pareto bar: `cause` (a code; "-" for not classified yet; absent for
    every cause), `not_our_fault=1` for those resolved although not our fault."""
    require_perm(request.user, COMPLAINTS)
    weeks = _weeks_from(request)
    cause = request.GET.get("cause")
    if cause == "-":
        cause = ""
    page = selectors.complaints_behind(
        weeks=weeks,
        cause=cause,
        not_our_fault=request.GET.get("not_our_fault") == "1",
        cursor=request.GET.get("cursor") or None,
        limit=None,
    )
    return render(
        request,
        "insights/complaints.html",
        {
            "section": "insights",
            "weeks": weeks,
            "cause": cause,
            "cause_label": selectors.cause_label(cause) if cause else "",
            "not_our_fault": request.GET.get("not_our_fault") == "1",
            "page": page,
            "next_url": _next_url(request, page.next_cursor),
            "dashboard_url": f"{reverse('insights:dashboard')}?{urlencode(_range_query(weeks))}",
        },
    )


@require_GET
@login_required
@domain_errors
def at_risk(request):
    require_perm(request.user, AT_RISK)
    days_text = request.GET.get("days") or ""
    days = None
    if days_text:
        if not days_text.isdigit() or len(days_text) > 5:
            raise InvalidRequest(
                {
                    "days": [
                        _("Give a number of days from 1 to %(max)d.") % {"max": selectors.AT_RISK_MAX_DAYS}
                    ]
                }
            )
        days = int(days_text)
    days = selectors.check_at_risk_days(days)
    page = selectors.at_risk_customers(
        days=days, now=timezone.now(), cursor=request.GET.get("cursor") or None, limit=None
    )
    return render(
        request,
        "insights/at_risk.html",
        {
            "section": "insights",
            "days": days,
            "page": page,
            "next_url": _next_url(request, page.next_cursor),
            "export_url": _export_url("at-risk-customers", {"days": days}),
        },
    )
