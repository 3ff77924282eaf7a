"""The admin of service promises. A policy is added and changed through
promises.services_policies (ServiceModelAdmin: checked, versioned, audited; decision 0012), with
its three targets as fields of its own form. Work calendars and their hours, and the escalation
contacts, are plain audited tables. What the clocks and the sweep write (promises made to
tickets, escalations, tallies) is only shown.
"""

from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from kefu.core.admin import AuditedModelAdmin, ReadOnlyAdminMixin, ServiceModelAdmin
from kefu.promises import services_policies as services
from kefu.promises.models import (
    Escalation,
    EscalationContact,
    PromiseKind,
    PromisePolicy,
    PromiseTally,
    TicketPromise,
    WorkCalendar,
    WorkingHours,
)
from kefu.promises.policies import policy_reasons, reasons_text
from kefu.tickets.models import Status

TARGET_FIELDS = {
    "target_first_response": PromiseKind.FIRST_RESPONSE,
    "target_arrival": PromiseKind.ARRIVAL,
    "target_resolution": PromiseKind.RESOLUTION,
}
BLANK_ANY = ("ticket_type", "priority", "customer_tier", "season_start", "season_end", "description")
# The policy's own fields as the service knows them, with the targets after the calendar.
_AFTER_CALENDAR = services.POLICY_FIELDS.index("calendar") + 1
FORM_FIELDS = (
    *services.POLICY_FIELDS[:_AFTER_CALENDAR],
    *TARGET_FIELDS,
    *services.POLICY_FIELDS[_AFTER_CALENDAR:],
    "version",
)


class PolicyForm(forms.ModelForm):
    target_first_response = forms.IntegerField(
        label=_("first response (minutes)"), required=False, min_value=1, max_value=services.MAX_MINUTES
    )
    target_arrival = forms.IntegerField(
        label=_("on-site arrival (minutes)"), required=False, min_value=1, max_value=services.MAX_MINUTES
    )
    target_resolution = forms.IntegerField(
        label=_("resolution (minutes)"), required=False, min_value=1, max_value=services.MAX_MINUTES
    )
    pause_statuses = forms.MultipleChoiceField(
        label=_("statuses that pause the clock"),
        required=False,
        choices=[(status.value, status.label) for status in services.PAUSABLE],
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = PromisePolicy
        fields = tuple(name for name in FORM_FIELDS if name not in TARGET_FIELDS and name != "pause_statuses")
        widgets = {"version": forms.HiddenInput}
        help_texts = {
            "season_start": _("MM-DD, e.g. 06-01; empty for all year."),
            "season_end": _("MM-DD, e.g. 08-31; a season may wrap the new year (11-15 to 02-28)."),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk is not None:
            for name, kind in TARGET_FIELDS.items():
                target = self.instance.targets.filter(kind=kind).first()
                self.fields[name].initial = target.minutes if target else None
            self.fields["pause_statuses"].initial = list(self.instance.pause_statuses or [])
        else:
            self.fields["pause_statuses"].initial = [Status.PENDING_CUSTOMER.value]
        if "version" in self.fields:
            self.fields["version"].required = False

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        # The service's own checks, shown beside the fields before anything is saved.
        values = {field: cleaned.get(field) for field in services.POLICY_FIELDS}
        values["pause_statuses"] = list(cleaned.get("pause_statuses") or [])
        for field in BLANK_ANY:
            values[field] = values.get(field) or ""
        values["active"] = bool(values.get("active"))
        problems = services.policy_errors(values=values, targets=self.targets(), pk=self.instance.pk)
        for field, messages_ in problems.by_field.items():
            target = "target_first_response" if field == "targets" else field
            self.add_error(target if target in self.fields else None, messages_)
        return cleaned

    def targets(self) -> dict[str, int | None]:
        return {kind.value: self.cleaned_data.get(name) for name, kind in TARGET_FIELDS.items()}

    def validate_unique(self):
        """The name's uniqueness is the service's (and the database's) to check."""


@admin.register(PromisePolicy)
class PromisePolicyAdmin(ServiceModelAdmin):
    form = PolicyForm
    list_display = ("name", "active", "specificity", "why", "calendar", "code")
    list_filter = ("active", "ticket_type", "priority", "customer_tier", "product_category")
    list_select_related = ("product_category", "calendar")
    search_fields = ("name", "code")
    ordering = ("-active", "-specificity", "name")
    readonly_fields = ("specificity", "code")

    @admin.display(description=_("applies to"))
    def why(self, policy: PromisePolicy) -> str:
        return reasons_text(policy_reasons(policy))

    def get_fields(self, request, obj=None):
        fields = [name for name in FORM_FIELDS if obj is not None or name != "version"]
        return [*fields, "specificity", "code"] if obj is not None else fields

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("targets")

    def save_through_service(self, request, form, formsets, change):
        data = form.cleaned_data
        values = {
            field: data.get(field)
            for field in services.POLICY_FIELDS
            if field in form.fields and field not in ("pause_statuses",)
        }
        values["pause_statuses"] = list(data.get("pause_statuses") or [])
        for field in (
            "ticket_type",
            "priority",
            "customer_tier",
            "season_start",
            "season_end",
            "description",
        ):
            values[field] = values.get(field) or ""
        targets = form.targets()
        if not change:
            return services.create_policy(
                by=request.user, targets={kind: m for kind, m in targets.items() if m}, **values
            )
        changes = {field: value for field, value in values.items() if field in form.changed_data}
        changed_targets = {
            kind.value: data.get(name) for name, kind in TARGET_FIELDS.items() if name in form.changed_data
        }
        return services.update_policy(
            policy=form.instance,
            by=request.user,
            version=data.get("version"),
            targets=changed_targets if changed_targets else services.UNSET,
            **changes,
        )


class WorkingHoursInline(admin.TabularInline):
    model = WorkingHours
    extra = 0
    max_num = 7


@admin.register(WorkCalendar)
class WorkCalendarAdmin(AuditedModelAdmin):
    """A calendar's kind and hours. A working-hours calendar that uses the business calendar is
    closed on public holidays and open on adjusted working days with its first weekday's hours."""

    list_display = ("name", "kind", "uses_business_days", "code")
    readonly_fields = ("code",)
    inlines = [WorkingHoursInline]

    def has_delete_permission(self, request, obj=None):
        return False  # policies name their calendar


@admin.register(EscalationContact)
class EscalationContactAdmin(AuditedModelAdmin):
    list_display = ("level", "team", "user")
    list_filter = ("level",)
    list_select_related = ("team", "user")
    raw_id_fields = ("user",)


@admin.register(TicketPromise)
class TicketPromiseAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("ticket", "kind", "policy", "due_at", "met_at", "breached_at", "escalation_level")
    list_filter = ("kind", "escalation_level")
    list_select_related = ("ticket", "policy")
    raw_id_fields = ("ticket",)
    show_full_result_count = False
    ordering = ("-id",)


@admin.register(Escalation)
class EscalationAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("promise", "level", "notified_user", "created_at")
    list_filter = ("level",)
    list_select_related = ("promise", "notified_user")
    show_full_result_count = False
    ordering = ("-id",)


@admin.register(PromiseTally)
class PromiseTallyAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("day", "policy", "kind", "kept", "missed")
    list_filter = ("kind",)
    list_select_related = ("policy",)
    show_full_result_count = False
    ordering = ("-day", "policy", "kind")
