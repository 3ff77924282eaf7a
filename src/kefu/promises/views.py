"""The promise-kept figure's page (/promises/figures/): a bar chart of the kept rate per policy and
kind beside each policy's advertised target, the table beneath it, and the table as CSV.

Read from the PromiseTally rollup (promises.selectors.promise_kept): two queries whatever the
number of tickets. For supervisors, managers and administrators (promises.view_promisetally).
"""

import csv

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from kefu.core.forms import StyledForm
from kefu.core.web import domain_errors, require_perm
from kefu.promises import selectors
from kefu.promises.display import target_text
from kefu.promises.models import PromiseKind, PromisePolicy

FIGURE_PERMISSION = "promises.view_promisetally"


class FigureFilterForm(StyledForm):
    date_from = forms.DateField(
        label=gettext_lazy("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label=gettext_lazy("To"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    policy = forms.ModelChoiceField(
        label=gettext_lazy("Policy"),
        queryset=PromisePolicy.objects.order_by("name"),
        required=False,
        empty_label=gettext_lazy("Every policy"),
    )
    kind = forms.ChoiceField(
        label=gettext_lazy("Promise"),
        choices=[("", gettext_lazy("Every promise")), *list(PromiseKind.choices)],
        required=False,
    )

    # The addresses speak the API's names (from, to): one link works for both.
    NAMES = {"date_from": "from", "date_to": "to"}

    def add_prefix(self, field_name):
        return self.NAMES.get(field_name, field_name)

    def clean(self):
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            self.add_error("date_from", _("The range must start on or before its end."))
        elif start and end and (end - start).days + 1 > selectors.FIGURE_MAX_DAYS:
            self.add_error(
                "date_from",
                _("The range may span at most %(days)d days.") % {"days": selectors.FIGURE_MAX_DAYS},
            )
        return data


def _rate(rate) -> str:
    return "" if rate is None else f"{rate * 100:.1f}%"


def _csv(figure) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    name = f"promise-kept-{figure.date_from:%Y%m%d}-{figure.date_to:%Y%m%d}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response.write("\ufeff")  # Excel opens UTF-8 Chinese only with the mark
    writer = csv.writer(response)
    writer.writerow(
        [_("Policy"), _("Promise"), _("Advertised target (minutes)"), _("Kept"), _("Missed"), _("Kept rate")]
    )
    for row in figure.rows:
        writer.writerow(
            [
                row.policy_name,
                row.kind_label,
                row.target_minutes or "",
                row.kept,
                row.missed,
                _rate(row.kept_rate),
            ]
        )
    for row in figure.kinds:
        writer.writerow([_("Every policy"), row.kind_label, "", row.kept, row.missed, _rate(row.kept_rate)])
    return response


def chart_data(figure) -> dict:
    """What the chart draws (static/promises/figures.js): one bar per policy and kind."""
    return {
        "labels": [f"{row.policy_name} · {row.kind_label}" for row in figure.rows],
        "rates": [None if row.kept_rate is None else round(row.kept_rate * 100, 1) for row in figure.rows],
        "targets": [target_text(row.target_minutes) for row in figure.rows],
        "series": _("Kept rate (%)"),
    }


@require_GET
@login_required
@domain_errors
def figures(request):
    require_perm(request.user, FIGURE_PERMISSION)
    form = FigureFilterForm(request.GET)
    figure = None
    if form.is_valid():
        data = form.cleaned_data
        date_from, date_to = selectors.figure_range(
            data["date_from"], data["date_to"], today=timezone.localdate()
        )
        figure = selectors.promise_kept(
            date_from=date_from,
            date_to=date_to,
            policy=data["policy"].pk if data["policy"] else None,
            kind=data["kind"] or None,
        )
        if request.GET.get("format") == "csv":
            return _csv(figure)
    rows = []
    if figure is not None:
        rows = [(row, _rate(row.kept_rate), target_text(row.target_minutes)) for row in figure.rows]
    return render(
        request,
        "promises/figures.html",
        {
            "form": form,
            "figure": figure,
            "rows": rows,
            "kinds": [(row, _rate(row.kept_rate)) for row in figure.kinds] if figure else [],
            "chart": chart_data(figure) if figure and figure.rows else None,
            "query": request.GET.urlencode(),
        },
    )
