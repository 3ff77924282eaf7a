"""The admin of follow-up rules and accounts' reps: every add and change through
feedback.services_followup_rules (ServiceModelAdmin). Follow-ups themselves are done from the
queue page, not here. Registered from wiring_followups.register()."""

from django import forms
from django.contrib import admin

from kefu.core.admin import ServiceModelAdmin
from kefu.feedback import services_followup_rules as services
from kefu.feedback.models import AccountRep, FollowUpRule


class RuleForm(forms.ModelForm):
    class Meta:
        model = FollowUpRule
        fields = (*services.RULE_FIELDS, "version")
        widgets = {"version": forms.HiddenInput}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "version" in self.fields:  # a read-only view has no fields
            self.fields["version"].required = False


class FollowUpRuleAdmin(ServiceModelAdmin):
    form = RuleForm
    list_display = ("kind", "ticket_type", "tier", "days", "method", "is_active")
    list_filter = ("kind", "is_active")

    def save_through_service(self, request, form, formsets, change):
        values = {name: form.cleaned_data[name] for name in services.RULE_FIELDS}
        if change:
            return services.save_rule(
                by=request.user,
                rule=form.instance,
                version=form.cleaned_data.get("version") or form.instance.version,
                **values,
            )
        return services.save_rule(by=request.user, **values)


class AccountRepAdmin(ServiceModelAdmin):
    list_display = ("customer", "sales_rep", "next_revisit_on")
    raw_id_fields = ("customer", "sales_rep")
    fields = ("customer", "sales_rep", "next_revisit_on")

    def save_through_service(self, request, form, formsets, change):
        return services.assign_account_rep(
            by=request.user,
            customer=form.cleaned_data["customer"],
            sales_rep=form.cleaned_data["sales_rep"],
            next_revisit_on=form.cleaned_data["next_revisit_on"],
        )


def register() -> None:
    for model, model_admin in ((FollowUpRule, FollowUpRuleAdmin), (AccountRep, AccountRepAdmin)):
        if not admin.site.is_registered(model):
            admin.site.register(model, model_admin)
