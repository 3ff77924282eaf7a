"""The admin of surveys: the reasons a customer may pick are an editable, audited list (switched
off, never deleted: old answers keep theirs); surveys are only shown — they are written by
feedback.services alone (created when a ticket is resolved, answered once)."""

from django.contrib import admin

from kefu.core.admin import AuditedModelAdmin, ReadOnlyAdminMixin
from kefu.feedback.models import Survey, SurveyReason


@admin.register(SurveyReason)
class SurveyReasonAdmin(AuditedModelAdmin):
    list_display = ("name", "code", "is_active", "sort_order")
    list_editable = ("is_active", "sort_order")
    fields = ("code", "name", "is_active", "sort_order")

    def has_delete_permission(self, request, obj=None):
        return False

    def get_readonly_fields(self, request, obj=None):
        # A reason's code is what answers and the API store: fixed once made.
        return ("code",) if obj is not None else ()


@admin.register(Survey)
class SurveyAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = (
        "id",
        "subject_kind",
        "subject_id",
        "created_at",
        "sent_via",
        "answered_at",
        "is_satisfied",
    )
    list_filter = ("subject_kind", "sent_via", "answered_via", "is_satisfied")
    list_select_related = ()
    raw_id_fields = ("ticket", "customer", "agent", "technician", "team", "recorded_by", "recovery_ticket")
    ordering = ("-id",)
    show_full_result_count = False
