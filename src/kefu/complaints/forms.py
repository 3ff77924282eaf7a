"""The complaints' forms: what a person types on a complaint's card and on the problems' pages.
They parse; the services (complaints.services, complaints.services_problems) decide."""

from django import forms
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from kefu.accounts.system import system_usernames
from kefu.complaints import selectors
from kefu.complaints.models import (
    ApologyMethod,
    CompensationKind,
    FaultParty,
    Outcome,
    ProblemStatus,
    Severity,
)
from kefu.complaints.services import APPROVE_PERMISSION
from kefu.core.forms import DateInput, StyledForm

User = get_user_model()


class ClassifyForm(StyledForm):
    cause = forms.ModelChoiceField(
        label=_("Cause"), queryset=selectors.offered_causes(), required=False, empty_label=_("Not classified")
    )
    severity = forms.ChoiceField(label=_("Severity"), choices=Severity.choices)
    fault_party = forms.ChoiceField(label=_("Fault party"), choices=FaultParty.choices)
    outcome = forms.ChoiceField(label=_("Outcome"), choices=Outcome.choices)
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


class ApologyForm(StyledForm):
    method = forms.ChoiceField(label=_("How"), choices=ApologyMethod.choices)
    made_on = forms.DateField(label=_("On"), widget=DateInput())
    notes = forms.CharField(
        label=_("Notes"), required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 2})
    )


def approvers():
    """Active users who may approve a compensation (supervisors and managers)."""
    app, codename = APPROVE_PERMISSION.split(".")
    held = Q(groups__permissions__codename=codename, groups__permissions__content_type__app_label=app)
    direct = Q(user_permissions__codename=codename, user_permissions__content_type__app_label=app)
    return User.objects.filter(Q(is_active=True) & (held | direct)).distinct().order_by("username")


class CompensationForm(StyledForm):
    kind = forms.ChoiceField(label=_("Kind"), choices=CompensationKind.choices)
    value = forms.DecimalField(label=_("Value (yuan)"), max_digits=10, decimal_places=2)
    approved_by = forms.ModelChoiceField(label=_("Approved by"), queryset=User.objects.none())
    description = forms.CharField(label=_("Description"), required=False, max_length=200)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["approved_by"].queryset = approvers()


class EscalationForm(StyledForm):
    reason = forms.CharField(label=_("Reason for HQ"), max_length=200)
    apology_visit_on = forms.DateField(label=_("Apology visit on"), required=False, widget=DateInput())
    apology_visit_by = forms.CharField(label=_("Apology visit by"), required=False, max_length=100)
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


class ComplaintFilter(StyledForm):
    outcome = forms.ChoiceField(
        label=_("Outcome"),
        choices=[("", _("Every outcome")), *Outcome.choices],
        required=False,
    )
    cursor = forms.CharField(required=False, max_length=200, widget=forms.HiddenInput)


def _owners():
    return (
        User.objects.filter(is_active=True)
        .exclude(username__in=list(system_usernames()))
        .order_by("username")
    )


class ProblemForm(StyledForm):
    title = forms.CharField(label=_("Title"), max_length=200)
    description = forms.CharField(
        label=_("Description"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    corrective_action = forms.CharField(
        label=_("Corrective action"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    owner = forms.ModelChoiceField(label=_("Owner"), queryset=User.objects.none())

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = _owners()


class ProblemEditForm(ProblemForm):
    status = forms.ChoiceField(
        label=_("Status"),
        choices=[
            (ProblemStatus.OPEN, ProblemStatus.OPEN.label),
            (ProblemStatus.IN_PROGRESS, ProblemStatus.IN_PROGRESS.label),
        ],
    )
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


class LinkForm(StyledForm):
    ticket = forms.CharField(label=_("Ticket number"), max_length=20)


class CloseForm(StyledForm):
    corrective_action = forms.CharField(
        label=_("Corrective action"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


class ProblemFilter(StyledForm):
    status = forms.ChoiceField(
        label=_("Status"),
        choices=[("", _("Every status")), *ProblemStatus.choices],
        required=False,
    )
    cursor = forms.CharField(required=False, max_length=200, widget=forms.HiddenInput)
