"""The customer's survey page (`/s/<token>/`, no login): one question, two large buttons.

Phone first and plain HTML (works without JavaScript): 满意 answers at once (a POST); 不满意 opens
the same page with the reasons and a comment box (a GET: nothing is written until the customer
sends it). CSRF-protected like the portal's reply form: the token's cookie is set when the page is
shown. A tampered link is a 404 worded like the portal's; an expired one a 410 that says so; a
second answer a 409 that thanks the customer and changes nothing (decision 0030). Limited per
client address with the portal's pages (tickets.portal, decision 0037): beyond, a plain 429 page.
"""

from django import forms
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from kefu.core.forms import StyledForm, show_service_errors
from kefu.core.validation import TEXT_MAX
from kefu.feedback import links, services, subjects
from kefu.feedback.models import AnsweredVia, Survey, SurveyReason
from kefu.tickets.views_portal import limit_link_requests

PAGE = "feedback/survey_page.html"
GONE = "feedback/survey_gone.html"


class SurveyAnswerForm(StyledForm):
    satisfied = forms.ChoiceField(choices=(("yes", "yes"), ("no", "no")), widget=forms.HiddenInput)
    reason = forms.ModelChoiceField(
        label=gettext_lazy("What was not good? (optional)"),
        queryset=SurveyReason.objects.filter(is_active=True).order_by("sort_order", "id"),
        to_field_name="code",
        required=False,
        widget=forms.RadioSelect,
        empty_label=None,
    )
    comment = forms.CharField(
        label=gettext_lazy("Anything you want to tell us (optional)"),
        max_length=TEXT_MAX,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reason"].widget.attrs["class"] = "form-check-input"


def _gone(request: HttpRequest, message, status: int) -> HttpResponse:
    return render(request, GONE, {"message": message, "status": status}, status=status)


def _context(survey: Survey, token: str, **more) -> dict:
    return {
        "survey": survey,
        "token": token,
        "subject_label": subjects.label(survey.subject_kind),
        "number": survey.ticket.number if survey.ticket_id else "",
        "summary": survey.ticket.subject if survey.ticket_id else "",
        **more,
    }


@require_http_methods(["GET", "POST"])
@limit_link_requests
def survey_page(request: HttpRequest, token: str) -> HttpResponse:
    try:
        survey = links.open_link(token)
    except links.SurveyLinkNotFound as error:
        return _gone(request, error.message, 404)
    if survey.answered_at is not None:
        status = 409 if request.method == "POST" else 200
        return render(
            request,
            PAGE,
            _context(survey, token, answered=True, repeat=request.method == "POST"),
            status=status,
        )
    if survey.expires_at <= timezone.now():
        return _gone(request, links.SurveyLinkExpired.default_message, 410)
    if request.method == "GET":
        unhappy = request.GET.get("answer") == "no"
        form = SurveyAnswerForm(initial={"satisfied": "no" if unhappy else "yes"})
        return render(request, PAGE, _context(survey, token, form=form, unhappy=unhappy))
    form = SurveyAnswerForm(request.POST)
    if form.is_valid():
        satisfied = form.cleaned_data["satisfied"] == "yes"
        try:
            services.record_survey_answer(
                survey=survey,
                satisfied=satisfied,
                reason=None if satisfied else form.cleaned_data["reason"],
                comment=form.cleaned_data["comment"],
                via=AnsweredVia.LINK,
            )
        except ValidationError as error:
            show_service_errors(error, form)
        except services.AlreadyAnswered:
            survey.refresh_from_db()
            return render(request, PAGE, _context(survey, token, answered=True, repeat=True), status=409)
        except links.SurveyLinkExpired as error:
            return _gone(request, error.message, 410)
        else:
            return redirect("survey:page", token=token)
    unhappy = request.POST.get("satisfied") == "no"
    return render(request, PAGE, _context(survey, token, form=form, unhappy=unhappy), status=422)
