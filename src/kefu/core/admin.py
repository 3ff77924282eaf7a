"""The admin site: its header, the audited base every model admin builds on, and the audit
trail and business calendar pages.

Every change made in the admin lands in the audit trail in the same transaction as the change
(AuditedModelAdmin), including the rows of inline formsets. Admins for records that services
write (customers, products) call those services instead, which audit themselves.
"""

import json
from collections.abc import Sequence
from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.forms.models import BaseInlineFormSet
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from kefu.core import audit
from kefu.core.calendar import calendar_warnings, known_years
from kefu.core.models import AuditEvent, BusinessDay

admin.site.site_header = _("Kefu 客服")
admin.site.site_title = _("Kefu 客服 administration")
admin.site.index_title = _("Administration")

# Bookkeeping that changes on every save or must never be copied into the trail.
NEVER_AUDITED = frozenset({"created_at", "updated_at", "version", "password", "digest", "last_login"})


def audit_fields(model: type[models.Model], exclude: Sequence[str] = ()) -> list[str]:
    """The fields of `model` whose changes the audit trail records."""
    return [
        field.name
        for field in model._meta.concrete_fields
        if not field.primary_key and field.name not in NEVER_AUDITED and field.name not in exclude
    ]


class AuditedModelAdmin(admin.ModelAdmin):
    """A model admin whose every add, change and delete writes an AuditEvent.

    The state before a change is read from the database (the form has already changed the
    object in memory by the time save_model runs). Many-to-many fields (a user's groups) are
    compared after save_related, when they are saved. Rows of inline formsets are audited
    one by one, each under its own record.
    """

    audit_exclude: Sequence[str] = ()
    # save_model sets this on the request when a service made (and audited) the change itself.
    AUDITED_BY_SERVICE = "audited by service"

    def get_audit_fields(self, model: type[models.Model] | None = None) -> list[str]:
        return audit_fields(model or self.model, self.audit_exclude)

    def _m2m_state(self, obj: models.Model) -> dict[str, list]:
        return {
            field.name: sorted(getattr(obj, field.name).values_list("pk", flat=True))
            for field in obj._meta.many_to_many
            if field.name not in self.audit_exclude
        }

    def save_model(self, request, obj, form, change):
        before = None
        if change:
            stored = type(obj)._default_manager.get(pk=obj.pk)
            before = (audit.snapshot(stored, self.get_audit_fields()), self._m2m_state(stored))
        super().save_model(request, obj, form, change)
        request._kefu_audit_before = before

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        obj = form.instance
        before = getattr(request, "_kefu_audit_before", None)
        if before == self.AUDITED_BY_SERVICE:
            return
        if before is None:
            audit.record_create(
                actor=request.user, obj=obj, fields=self.get_audit_fields(), extra=self._m2m_state(obj)
            )
        else:
            fields_before, m2m_before = before
            audit.record_update(
                actor=request.user,
                obj=obj,
                before=fields_before,
                extra=audit.diff(m2m_before, self._m2m_state(obj)),
            )

    def save_formset(self, request, form, formset, change):
        """Save an inline formset and audit each row it added, changed or deleted."""
        fields = audit_fields(formset.model)
        manager = formset.model._default_manager
        initial_pks = [f.instance.pk for f in formset.initial_forms if f.instance.pk is not None]
        before = {obj.pk: audit.snapshot(obj, fields) for obj in manager.filter(pk__in=initial_pks)}
        for deleted in formset.deleted_forms:
            if deleted.instance.pk is not None:
                audit.record_delete(actor=request.user, obj=deleted.instance, fields=fields)
        prepare = getattr(formset, "prepare_save", None)
        if prepare is not None:
            prepare()
        formset.save()
        for obj in formset.new_objects:
            audit.record_create(actor=request.user, obj=obj, fields=fields)
        # Read every existing row again: a row may change without its form changing (a primary
        # flag cleared by prepare_save), and the trail must say so.
        for obj in manager.filter(pk__in=before.keys()):
            audit.record_update(actor=request.user, obj=obj, before=before[obj.pk])

    def delete_model(self, request, obj):
        audit.record_delete(actor=request.user, obj=obj, fields=self.get_audit_fields())
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        with transaction.atomic():
            for obj in queryset:
                audit.record_delete(actor=request.user, obj=obj, fields=self.get_audit_fields())
            super().delete_queryset(request, queryset)


class OneFlaggedFormSet(BaseInlineFormSet):
    """An inline formset where exactly one kept row carries `flag` (a primary phone, a default
    address) whenever any row is kept; the database allows at most one.

    Moving the flag from one row to another in one save would break the constraint halfway,
    so prepare_save clears the old flag first (AuditedModelAdmin calls it before saving).
    """

    flag = "is_primary"
    flag_message = _("Mark exactly one row as primary.")

    def _kept_forms(self):
        return [
            form
            for form in self.forms
            if form.has_changed() or form.instance.pk is not None
            if not (self.can_delete and self._should_delete_form(form))
            if form.is_valid() and form.cleaned_data
        ]

    def clean(self):
        super().clean()
        if any(self.errors):
            return
        kept = self._kept_forms()
        flagged = [form for form in kept if form.cleaned_data.get(self.flag)]
        if kept and len(flagged) != 1:
            raise ValidationError(self.flag_message)

    def prepare_save(self):
        if self.instance.pk is None:
            return
        flagged = [form.instance.pk for form in self._kept_forms() if form.cleaned_data.get(self.flag)]
        self.model._default_manager.filter(**{self.fk.name: self.instance, self.flag: True}).exclude(
            pk__in=[pk for pk in flagged if pk is not None]
        ).update(**{self.flag: False})


class ReadOnlyAdminMixin:
    """Records written only by the system: shown, never added, changed or deleted here."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("at", "actor", "action", "target_type", "target_repr", "target_id")
    list_filter = ("action", "target_type")
    search_fields = ("target_repr", "=target_id")
    date_hierarchy = "at"
    list_select_related = ("actor", "target_type")
    show_full_result_count = False
    list_per_page = 50
    fields = ("at", "actor", "action", "target_type", "target_id", "target_repr", "reason", "changes_text")
    readonly_fields = fields

    @admin.display(description=_("changes"))
    def changes_text(self, event: AuditEvent) -> Any:
        text = json.dumps(event.changes, ensure_ascii=False, indent=2, sort_keys=True)
        return format_html("<pre>{}</pre>", text)


class YearListFilter(admin.SimpleListFilter):
    title = _("year")
    parameter_name = "year"

    def lookups(self, request, model_admin):
        today = timezone.localdate()
        years = sorted({*known_years(), today.year, today.year + 1}, reverse=True)
        return [(str(year), str(year)) for year in years]

    def queryset(self, request, queryset):
        if self.value() and self.value().isdigit():
            return queryset.filter(date__year=int(self.value()))
        return queryset


@admin.register(BusinessDay)
class BusinessDayAdmin(AuditedModelAdmin):
    list_display = ("date", "kind", "name")
    list_filter = (YearListFilter, "kind")
    date_hierarchy = "date"
    search_fields = ("name",)
    ordering = ("-date",)

    def changelist_view(self, request, extra_context=None):
        if request.method == "GET":
            for warning in calendar_warnings():
                messages.warning(request, warning)
        return super().changelist_view(request, extra_context)
