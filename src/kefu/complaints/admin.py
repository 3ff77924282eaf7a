"""The admin of complaints. The causes' list is edited through complaints.services (create_cause,
update_cause: checked and audited; the code, the tallies' key, is fixed once created). Complaints,
their apologies and compensation, problems and the tallies are only shown here: they are written
from the ticket page and the API, through the services."""

from django.contrib import admin

from kefu.complaints import services
from kefu.complaints.models import (
    Apology,
    Compensation,
    Complaint,
    ComplaintCause,
    ComplaintTally,
    Problem,
    ProblemTicket,
)
from kefu.core.admin import ReadOnlyAdminMixin, ServiceModelAdmin


@admin.register(ComplaintCause)
class ComplaintCauseAdmin(ServiceModelAdmin):
    list_display = ("name", "code", "is_active", "sort_order")
    list_editable = ()
    ordering = ("sort_order", "id")
    fields = ("code", "name", "is_active", "sort_order")

    def get_readonly_fields(self, request, obj=None):
        return ("code",) if obj is not None else ()

    def save_through_service(self, request, form, formsets, change):
        data = form.cleaned_data
        if change:
            return services.update_cause(
                cause=form.instance,
                by=request.user,
                name=data["name"],
                is_active=data["is_active"],
                sort_order=data["sort_order"],
            )
        return services.create_cause(
            by=request.user,
            code=data["code"],
            name=data["name"],
            is_active=data["is_active"],
            sort_order=data["sort_order"],
        )


@admin.register(Complaint)
class ComplaintAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("ticket", "cause", "severity", "fault_party", "outcome", "week", "escalated_to_hq_at")
    list_filter = ("outcome", "severity", "fault_party", "cause")
    list_select_related = ("ticket", "cause")
    search_fields = ("=ticket__number",)
    show_full_result_count = False


@admin.register(Compensation)
class CompensationAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("complaint", "kind", "value", "approved_by", "recorded_by", "created_at")
    list_filter = ("kind",)
    list_select_related = ("approved_by", "recorded_by")
    show_full_result_count = False


@admin.register(Apology)
class ApologyAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("complaint", "method", "made_by", "made_on")
    list_select_related = ("made_by",)
    show_full_result_count = False


@admin.register(Problem)
class ProblemAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("title", "owner", "status", "created_at", "closed_at")
    list_filter = ("status",)
    list_select_related = ("owner",)
    search_fields = ("title",)


@admin.register(ProblemTicket)
class ProblemTicketAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("problem", "ticket", "linked_at", "linked_by")
    list_select_related = ("problem", "ticket", "linked_by")


@admin.register(ComplaintTally)
class ComplaintTallyAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("week", "cause", "complaints", "resolved_not_our_fault")
    list_filter = ("cause",)
    ordering = ("-week", "cause")
