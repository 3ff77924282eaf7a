"""The complaints' pages: the forms of a complaint's card on the ticket page (classify, apology,
compensation, escalation to HQ: each a POST that goes back to the ticket), the list of complaints
with their achievement badge, and the problems' list and page (open, change, link a ticket, close).

Form → service → redirect. A form that does not parse, or a service's refusal, is the refusal page
with its status and words (core.web.domain_errors): nothing is written.
"""

from django import forms
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from kefu.complaints import selectors, services, services_problems
from kefu.complaints.forms import (
    ApologyForm,
    ClassifyForm,
    CloseForm,
    CompensationForm,
    ComplaintFilter,
    EscalationForm,
    LinkForm,
    ProblemEditForm,
    ProblemFilter,
    ProblemForm,
)
from kefu.complaints.models import Complaint, ProblemStatus
from kefu.core.errors import PermissionDenied
from kefu.core.pagination import keyset_page
from kefu.core.web import domain_errors
from kefu.tickets.models import Ticket
from kefu.tickets.selectors import access_ticket

User = get_user_model()


def _parsed(form: forms.Form) -> dict:
    """The form's values, or its errors as the service would refuse them (a 422 page)."""
    if not form.is_valid():
        raise ValidationError({name: list(problems) for name, problems in form.errors.items()})
    return form.cleaned_data


def _back(ticket):
    return redirect(reverse("tickets:detail", args=[ticket.number]) + "#complaint-card")


# --- A complaint's card ------------------------------------------------------------------------


@login_required
@require_POST
@domain_errors
def classify(request, ref):
    ticket = selectors.complaint_ticket(request.user, ref, perm=selectors.CHANGE_COMPLAINT)
    data = _parsed(ClassifyForm(request.POST))
    services.update_complaint(
        ticket=ticket,
        by=request.user,
        version=data["version"],
        cause=data["cause"],
        severity=data["severity"],
        fault_party=data["fault_party"],
        outcome=data["outcome"],
    )
    messages.success(request, _("The complaint's classification was saved."))
    return _back(ticket)


@login_required
@require_POST
@domain_errors
def apology(request, ref):
    ticket = selectors.complaint_ticket(request.user, ref, perm="complaints.add_apology")
    data = _parsed(ApologyForm(request.POST))
    services.record_apology(
        ticket=ticket, by=request.user, method=data["method"], made_on=data["made_on"], notes=data["notes"]
    )
    messages.success(request, _("The apology was recorded."))
    return _back(ticket)


@login_required
@require_POST
@domain_errors
def compensation(request, ref):
    ticket = selectors.complaint_ticket(request.user, ref, perm="complaints.add_compensation")
    form = CompensationForm(request.POST)
    # An approver who may not approve is the service's refusal, in its words, not "not a choice".
    form.fields["approved_by"].queryset = User.objects.filter(is_active=True)
    data = _parsed(form)
    services.add_compensation(
        ticket=ticket,
        by=request.user,
        kind=data["kind"],
        value=data["value"],
        approved_by=data["approved_by"],
        description=data["description"],
    )
    messages.success(request, _("The compensation was recorded."))
    return _back(ticket)


@login_required
@require_POST
@domain_errors
def escalate(request, ref):
    ticket = selectors.complaint_ticket(request.user, ref, perm="complaints.escalate_complaint")
    data = _parsed(EscalationForm(request.POST))
    services.escalate_to_hq(
        ticket=ticket,
        by=request.user,
        version=data["version"],
        reason=data["reason"],
        apology_visit_on=data["apology_visit_on"],
        apology_visit_by=data["apology_visit_by"],
    )
    messages.success(request, _("The complaint was escalated to HQ; the managers were told."))
    return _back(ticket)


# --- The complaints' list ----------------------------------------------------------------------


@login_required
@require_GET
@domain_errors
def complaints(request):
    if not selectors.may_see_complaints(request.user):
        raise PermissionDenied()
    form = ComplaintFilter(request.GET or None)
    outcome = cursor = ""
    if form.is_bound and form.is_valid():
        outcome, cursor = form.cleaned_data["outcome"], form.cleaned_data["cursor"]
    queryset = Complaint.objects.select_related("ticket", "cause").filter(
        ticket__in=Ticket.objects.visible_to(request.user).values("id")
    )
    if outcome:
        queryset = queryset.filter(outcome=outcome)
    page = keyset_page(queryset, order=("-ticket",), cursor=cursor or None, limit=50)
    return render(
        request,
        "complaints/complaints.html",
        {"section": "problems", "form": form, "page": page, "outcome": outcome},
    )


# --- Problems ----------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
@domain_errors
def problems(request):
    user = request.user
    if not selectors.may_see_problems(user):
        raise PermissionDenied()
    may_open = user.has_perm("complaints.add_problem")
    if request.method == "POST":
        if not may_open:
            raise PermissionDenied()
        data = _parsed(ProblemForm(request.POST))
        problem = services_problems.create_problem(by=user, **data)
        messages.success(request, _("The problem was opened."))
        return redirect("complaints:problem", problem.pk)
    form = ProblemFilter(request.GET or None)
    status = cursor = ""
    if form.is_bound and form.is_valid():
        status, cursor = form.cleaned_data["status"], form.cleaned_data["cursor"]
    page = selectors.problem_page(user=user, status=status or None, cursor=cursor or None, limit=50)
    return render(
        request,
        "complaints/problems.html",
        {
            "section": "problems",
            "form": form,
            "page": page,
            "status": status,
            "new_form": ProblemForm(initial={"owner": user.pk}) if may_open else None,
        },
    )


@login_required
@require_GET
@domain_errors
def problem(request, problem_id):
    user = request.user
    found = selectors.problem_detail(user=user, problem_id=problem_id)
    is_open = found.status != ProblemStatus.CLOSED
    context = {
        "section": "problems",
        "problem": found,
        "tickets": selectors.problem_tickets(found, user=user),
        "edit_form": None,
        "link_form": LinkForm() if is_open and user.has_perm("complaints.add_problemticket") else None,
        "close_form": None,
    }
    if is_open and user.has_perm("complaints.change_problem"):
        context["edit_form"] = ProblemEditForm(
            initial={
                "title": found.title,
                "description": found.description,
                "corrective_action": found.corrective_action,
                "owner": found.owner_id,
                "status": found.status,
                "version": found.version,
            }
        )
    if is_open and user.has_perm("complaints.close_problem"):
        context["close_form"] = CloseForm(
            initial={"corrective_action": found.corrective_action, "version": found.version}
        )
    return render(request, "complaints/problem.html", context)


def _problem_for(request, problem_id, perm: str):
    if not request.user.has_perm(perm):
        raise PermissionDenied()
    return selectors.problem_detail(user=request.user, problem_id=problem_id)


@login_required
@require_POST
@domain_errors
def edit_problem(request, problem_id):
    found = _problem_for(request, problem_id, "complaints.change_problem")
    data = _parsed(ProblemEditForm(request.POST))
    version = data.pop("version")
    services_problems.update_problem(problem=found, by=request.user, version=version, **data)
    messages.success(request, _("The problem was saved."))
    return redirect("complaints:problem", found.pk)


@login_required
@require_POST
@domain_errors
def link_ticket(request, problem_id):
    found = _problem_for(request, problem_id, "complaints.add_problemticket")
    data = _parsed(LinkForm(request.POST))
    ticket = access_ticket(request.user, data["ticket"])
    _link, created = services_problems.link_ticket(problem=found, ticket=ticket, by=request.user)
    if created:
        messages.success(request, _("Ticket %(number)s was linked.") % {"number": ticket.number})
    else:
        messages.info(request, _("Ticket %(number)s was linked already.") % {"number": ticket.number})
    return redirect("complaints:problem", found.pk)


@login_required
@require_POST
@domain_errors
def close_problem(request, problem_id):
    found = _problem_for(request, problem_id, "complaints.close_problem")
    data = _parsed(CloseForm(request.POST))
    _closed, told = services_problems.close_problem(
        problem=found,
        by=request.user,
        version=data["version"],
        corrective_action=data["corrective_action"] or None,
    )
    messages.success(
        request,
        ngettext(
            "The problem was closed; %(count)d customer was told.",
            "The problem was closed; %(count)d customers were told.",
            told,
        )
        % {"count": told},
    )
    return redirect("complaints:problem", found.pk)
