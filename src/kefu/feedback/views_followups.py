"""Staff pages of follow-ups (回访): each person's queue by due date with the call script (tabs:
to do, overdue, done), one follow-up with the outcome form. Thin: a permission-checked read or a
service call, then a page or a redirect."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from kefu.core.errors import InvalidRequest
from kefu.core.pagination import MAX_CURSOR_LENGTH
from kefu.core.web import domain_errors
from kefu.feedback import selectors_followups as selectors
from kefu.feedback import services_followups as services
from kefu.feedback.models import FollowUpOutcome, FollowUpStatus, SurveyReason
from kefu.tickets.models import TicketType

PAGE_SIZE = 25
TABS = ("todo", "overdue", "done")


def _int(value: str | None, field: str) -> int | None:
    if not value:
        return None
    if not value.isdigit() or len(value) > 18:
        raise InvalidRequest({field: [_("This page link is not valid.")]})
    return int(value)


@login_required
@require_GET
@domain_errors
def follow_up_queue(request: HttpRequest) -> HttpResponse:
    tab = request.GET.get("tab") or "todo"
    if tab not in TABS:
        tab = "todo"
    cursor = request.GET.get("cursor") or None
    if cursor is not None and len(cursor) > MAX_CURSOR_LENGTH:
        raise InvalidRequest({"cursor": [_("This page link is not valid.")]})
    assignee = _int(request.GET.get("assignee"), "assignee")
    page = selectors.follow_up_page(
        user=request.user,
        assignee_id=assignee,
        overdue=True if tab == "overdue" else None,
        status=FollowUpStatus.DONE if tab == "done" else FollowUpStatus.PENDING,
        cursor=cursor,
        limit=PAGE_SIZE,
    )
    return render(
        request,
        "feedback/followup_queue.html",
        {
            "section": "follow_ups",
            "tab": tab,
            "assignee": assignee,
            "rows": selectors.rows(user=request.user, follow_ups=page.items),
            "next_cursor": page.next_cursor,
            "overdue_count": selectors.overdue_count(user=request.user)
            if assignee in (None, request.user.pk)
            else None,
        },
    )


def _detail(request: HttpRequest, follow_up_id: int, *, errors: dict | None = None, status: int = 200):
    follow_up = selectors.access_follow_up(user=request.user, follow_up_id=follow_up_id)
    row = selectors.rows(user=request.user, follow_ups=[follow_up])[0]
    return render(
        request,
        "feedback/followup_detail.html",
        {
            "section": "follow_ups",
            "row": row,
            "can_record": follow_up.status == FollowUpStatus.PENDING
            and services.may_record(request.user, follow_up),
            "reasons": SurveyReason.objects.filter(is_active=True),
            "ticket_types": TicketType.choices,
            "errors": errors or {},
            "posted": request.POST if errors else {},
        },
        status=status,
    )


@login_required
@require_GET
@domain_errors
def follow_up_detail(request: HttpRequest, follow_up_id: int) -> HttpResponse:
    return _detail(request, follow_up_id)


@login_required
@require_POST
@domain_errors
def record_outcome(request: HttpRequest, follow_up_id: int) -> HttpResponse:
    """The outcome form: reached or not, the survey's answer heard on the call, a new problem."""
    follow_up = selectors.access_follow_up(user=request.user, follow_up_id=follow_up_id)
    answer = request.POST.get("satisfied") or ""
    if answer not in ("", "yes", "no"):
        raise InvalidRequest({"satisfied": [_("Say whether the customer is satisfied.")]})
    version = _int(request.POST.get("version"), "version")
    try:
        services.record_follow_up_outcome(
            follow_up=follow_up,
            by=request.user,
            outcome=request.POST.get("outcome", ""),
            notes=request.POST.get("notes", ""),
            satisfied=None if not answer else answer == "yes",
            reason=(request.POST.get("reason") or None) if answer == "no" else None,
            comment=request.POST.get("comment", ""),
            new_problem=request.POST.get("new_problem", ""),
            new_ticket_type=request.POST.get("new_ticket_type") or TicketType.REPAIR,
            version=version,
        )
    except ValidationError as error:
        return _detail(request, follow_up_id, errors=error.message_dict, status=422)
    if request.POST.get("outcome") == FollowUpOutcome.NOT_REACHED:
        messages.success(request, _("The attempt was recorded."))
    else:
        messages.success(request, _("The follow-up was recorded."))
    return redirect("feedback:follow_ups")
