"""Staff pages of surveys: the recovery queue (supervisors, managers, administrators), one survey,
and recording an answer heard during a call (the form on the ticket's page and the survey's page).
Thin: a permission-checked read or a service call, then a page or a redirect."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from kefu.core.errors import InvalidRequest, PermissionDenied
from kefu.core.pagination import MAX_CURSOR_LENGTH
from kefu.core.web import domain_errors
from kefu.feedback import selectors, services
from kefu.feedback.models import AnsweredVia
from kefu.tickets import page_parts

PAGE_SIZE = 25


class Row(dict):
    """A queue row as tickets.page_parts' cells read it: its case's ticket id as `row.id` and
    `row["id"]`, the survey beside it."""

    __slots__ = ()

    def __getattr__(self, name: str):
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None


@login_required
@require_GET
@domain_errors
def recovery_queue(request: HttpRequest) -> HttpResponse:
    """Open recovery cases, newest first: the customer's words, the promise clock, the original."""
    cursor = request.GET.get("cursor") or None
    if cursor is not None and len(cursor) > MAX_CURSOR_LENGTH:
        raise InvalidRequest({"cursor": [_("This page link is not valid.")]})
    mine = request.GET.get("mine") == "1"
    page = selectors.recovery_queue(user=request.user, mine=mine, cursor=cursor, limit=PAGE_SIZE)
    rows = [Row(id=survey.recovery_ticket_id, survey=survey) for survey in page.items]
    # The promise clocks of the page's cases, from the apps that keep them (one query a page).
    headers = page_parts.row_cells(request.user, rows)
    return render(
        request,
        "feedback/recovery_queue.html",
        {
            "section": "recovery",
            "rows": rows,
            "cell_headers": headers,
            "next_cursor": page.next_cursor,
            "mine": mine,
        },
    )


@login_required
@require_GET
@domain_errors
def survey_detail(request: HttpRequest, survey_id: int) -> HttpResponse:
    survey = selectors.survey_detail(user=request.user, survey_id=survey_id)
    return render(
        request,
        "feedback/survey_detail.html",
        {
            "survey": survey,
            "part": {
                "survey": survey,
                "recovery": None,
                "expired": survey.expires_at <= timezone.now(),
                "can_record": survey.answered_at is None and selectors.may_record_answers(request.user),
                "reasons": selectors.offered_reasons() if survey.answered_at is None else [],
            },
        },
    )


@login_required
@require_POST
@domain_errors
def record_answer(request: HttpRequest, survey_id: int) -> HttpResponse:
    """An answer heard in a call: satisfied yes/no, a reason, the customer's words."""
    survey = selectors.survey_detail(user=request.user, survey_id=survey_id)
    if not selectors.may_record_answers(request.user):
        raise PermissionDenied()
    choice = request.POST.get("satisfied")
    if choice not in ("yes", "no"):
        raise InvalidRequest({"satisfied": [_("Say whether the customer is satisfied.")]})
    satisfied = choice == "yes"
    try:
        services.record_survey_answer(
            survey=survey,
            satisfied=satisfied,
            reason=None if satisfied else (request.POST.get("reason") or None),
            comment=request.POST.get("comment", ""),
            via=AnsweredVia.CALL,
            by=request.user,
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("The customer's answer was recorded."))
    if survey.ticket_id is not None:
        return redirect("tickets:detail", survey.ticket.number)
    return redirect("feedback:survey", survey.pk)
