"""The admin site: its header, the audited base every model admin builds on, and the audit
trail and business calendar pages.

Every change made in the admin lands in the audit trail in the same transaction as the change.
Admins of records that services write (customers, products, the catalogue) are
ServiceModelAdmins: every add and change calls the service, which audits it. The others
(staff accounts, roles, the business calendar) are AuditedModelAdmins, which audit each save.
"""

import json
from collections.abc import Sequence
from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db import models, transaction
from django.forms.models import BaseInlineFormSet
from django.http import HttpResponseRedirect
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from kefu.core import audit
from kefu.core.calendar import calendar_warnings, confirm_year, known_years
from kefu.core.errors import DomainError
from kefu.core.models import AuditAction, AuditEvent, BusinessDay

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
    """A model admin whose every add, change and delete writes an AuditEvent: for records that
    no service writes (staff accounts, roles, the business calendar).

    The record is saved in save_related, together with its many-to-many fields (a user's
    groups), so that one audit row says what changed in both; the state before is read from the
    database, since the form has already changed the object in memory. Rows of inline formsets
    are audited one by one, each under its own record.
    """

    audit_exclude: Sequence[str] = ()

    def get_audit_fields(self, model: type[models.Model] | None = None) -> list[str]:
        return audit_fields(model or self.model, self.audit_exclude)

    def _m2m_state(self, obj: models.Model) -> dict[str, list]:
        return {
            field.name: sorted(getattr(obj, field.name).values_list("pk", flat=True))
            for field in obj._meta.many_to_many
            if field.name not in self.audit_exclude
        }

    def save_model(self, request, obj, form, change):
        """Saved in save_related, with the many-to-many fields and the inlines."""

    def save_related(self, request, form, formsets, change):
        obj = form.instance
        before = None
        if change:
            stored = type(obj)._default_manager.get(pk=obj.pk)
            before = (audit.snapshot(stored, self.get_audit_fields()), self._m2m_state(stored))
        super().save_model(request, obj, form, change)
        super().save_related(request, form, formsets, change)
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
        formset.save()
        for obj in formset.new_objects:
            audit.record_create(actor=request.user, obj=obj, fields=fields)
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


def refusal_messages(refusal: ValidationError | DomainError) -> list[str]:
    """A service's refusal as the lines to show: each field's messages, then the rest."""
    if isinstance(refusal, DomainError):
        return [str(refusal.message)]
    return [str(message) for message in refusal.messages]


class ServiceModelAdmin(admin.ModelAdmin):
    """The admin of records that a service writes (customers, products, the catalogue).

    Every add and change is one call of that service (`save_through_service`), which checks,
    writes, bumps the version and audits in one transaction; the admin writes nothing itself,
    deletes nothing, and names no version of its own. The form shows the service's own checks
    beside the fields before it saves; a refusal the form could not foresee (someone saved a
    newer version meanwhile, a rule only the service knows) undoes everything and is shown
    above the form.
    """

    def save_through_service(self, request, form, formsets, change) -> models.Model:
        raise NotImplementedError

    def save_model(self, request, obj, form, change):
        """Nothing is saved here: the service saves the record with its inlines, in save_related."""

    def save_related(self, request, form, formsets, change):
        saved = self.save_through_service(request, form, formsets, change)
        # The admin's log and its redirect read the form's object: make it the saved record.
        obj = form.instance
        obj.pk = saved.pk
        obj._state.adding = False
        obj.refresh_from_db()

    def construct_change_message(self, request, form, formsets, add=False):
        """What changed, by field and by inline; the service saved the rows, not the formsets."""
        if add:
            return [{"added": {}}]
        fields = [str(form.fields[name].label or name) for name in form.changed_data if name in form.fields]
        fields += [
            str(formset.model._meta.verbose_name_plural) for formset in formsets if formset.has_changed()
        ]
        return [{"changed": {"fields": fields}}] if fields else []

    def has_delete_permission(self, request, obj=None):
        return False

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except (ValidationError, DomainError) as refusal:
            # The admin's transaction rolled back: nothing was written.
            for message in refusal_messages(refusal):
                self.message_user(request, message, messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())


class OneFlaggedFormSet(BaseInlineFormSet):
    """An inline formset where exactly one kept row carries `flag` (a primary phone, a default
    address) whenever several rows are kept; a single row is the flagged one by itself."""

    flag = "is_primary"
    flag_message = _("Mark exactly one row as primary.")

    def kept_forms(self):
        """The rows that stay after the save, in the order shown: not deleted, not left empty."""
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
        kept = self.kept_forms()
        flagged = [form for form in kept if form.cleaned_data.get(self.flag)]
        if len(kept) > 1 and len(flagged) != 1:
            raise ValidationError(self.flag_message)

    def flagged_first(self):
        """The kept rows with the flagged one first: the order services read (first is primary)."""
        kept = self.kept_forms()
        return sorted(kept, key=lambda form: not form.cleaned_data.get(self.flag))


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
        """What changed, each field by its name and each coded value by its label in the reader's
        language, where the record's model knows them; the stored JSON stays below, folded."""
        raw = json.dumps(event.changes, ensure_ascii=False, indent=2, sort_keys=True)
        raw_block = format_html(
            '<details class="kf-raw-changes"><summary>{}</summary><pre>{}</pre></details>',
            _("As stored (JSON)"),
            raw,
        )
        rows = readable_changes(event)
        if not rows:
            return raw_block
        table = format_html(
            "<table><thead><tr><th>{}</th><th>{}</th><th>{}</th></tr></thead><tbody>{}</tbody></table>",
            _("field"),
            _("before"),
            _("after"),
            format_html_join("", "<tr><td>{}</td><td>{}</td><td>{}</td></tr>", rows),
        )
        return format_html("{}{}", table, raw_block)


# The actions whose changes map each field to [before, after].
FIELD_CHANGES = frozenset({AuditAction.CREATE, AuditAction.UPDATE, AuditAction.DELETE})


def _model_field(model: type[models.Model] | None, name: str):
    if model is None:
        return None
    try:
        return model._meta.get_field(name)
    except FieldDoesNotExist:
        return None


def field_label(model: type[models.Model] | None, name: str) -> str:
    """A field of the audited model by its name in the reader's language; the code otherwise.
    A reverse relation (a customer's phones) reads as the related records' plural name."""
    field = _model_field(model, name)
    if field is None:
        return name
    if field.auto_created and not field.concrete:
        return str(capfirst(field.related_model._meta.verbose_name_plural))
    return str(capfirst(field.verbose_name))


def value_label(field, value: Any) -> str:
    """A stored value as the reader reads it: a choice by its label, yes/no, a dash for none."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return str(_("Yes") if value else _("No"))
    if field is not None and getattr(field, "flatchoices", None):
        labels = {str(code): label for code, label in field.flatchoices}
        if str(value) in labels:
            return str(labels[str(value)])
    if isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return str(value)


def readable_changes(event: AuditEvent) -> list[tuple[str, str, str]]:
    """The event's changes as (field, before, after) in the reader's language: for a change,
    an addition or a deletion ({field: [before, after]}); empty for other shapes (a reveal's
    list of fields, a sweep's counts), which only the raw JSON shows."""
    changes = event.changes
    if event.action not in FIELD_CHANGES or not isinstance(changes, dict) or not changes:
        return []
    if not all(isinstance(pair, list) and len(pair) == 2 for pair in changes.values()):
        return []
    model = event.target_type.model_class()
    rows = []
    for name in sorted(changes):
        before, after = changes[name]
        field = _model_field(model, name)
        rows.append((field_label(model, name), value_label(field, before), value_label(field, after)))
    return rows


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
    """The public holidays and adjusted working days. A year the chinese-calendar package did
    not know is an estimate (provisional) until an administrator checks it against the State
    Council's published days, corrects what differs and confirms it with the action below
    (core.calendar.confirm_year; decision 0025)."""

    list_display = ("date", "kind", "name", "provisional")
    list_filter = (YearListFilter, "kind", "provisional")
    date_hierarchy = "date"
    search_fields = ("name",)
    ordering = ("-date",)
    readonly_fields = ("provisional",)
    actions = ["confirm_years"]

    def changelist_view(self, request, extra_context=None):
        if request.method == "GET":
            for warning in calendar_warnings():
                messages.warning(request, warning)
        return super().changelist_view(request, extra_context)

    @admin.action(
        description=_("Confirm the years of the selected days as published by the State Council"),
        permissions=["change"],
    )
    def confirm_years(self, request, queryset):
        years = sorted({day.year for day in queryset.dates("date", "year")})
        with transaction.atomic():
            confirmed = {year: confirm_year(year, actor=request.user) for year in years}
        for year, count in confirmed.items():
            if count:
                self.message_user(
                    request,
                    _("%(year)s confirmed: %(count)d days are no longer provisional.")
                    % {"year": year, "count": count},
                    messages.SUCCESS,
                )
            else:
                self.message_user(
                    request, _("%(year)s was already confirmed.") % {"year": year}, messages.INFO
                )
