"""The admin of tickets. Opening a ticket and changing its subject, description, type, priority or
status go through tickets.services (ServiceModelAdmin): checked, versioned, on the timeline and in
the audit trail like any other change. What has its own rules elsewhere (a transfer needs a reason,
a merge its original, replies are the ticket page's) is read-only here, and so is everything the
services write as a record: events, transfers, comments, files, links.
"""

from django import forms
from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kefu.core.admin import ReadOnlyAdminMixin, ServiceModelAdmin
from kefu.tickets import services, timeline
from kefu.tickets.models import (
    Attachment,
    Collaborator,
    Comment,
    Status,
    Tag,
    Ticket,
    TicketEvent,
    TicketLink,
    Transfer,
)


def related(name: str, label) -> object:
    @admin.display(description=label, ordering=name)
    def show(self, obj):
        return getattr(obj, name)

    return show


class TicketForm(forms.ModelForm):
    class Meta:
        model = Ticket
        fields = (
            "customer",
            "product",
            "subject",
            "description",
            "type",
            "channel",
            "priority",
            "status",
            "owner",
            "version",
        )
        widgets = {"version": forms.HiddenInput}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "status" in self.fields and self.instance.pk is None:
            self.fields["status"].choices = [(code, Status(code).label) for code in services.OPENING_STATUSES]
        if "owner" in self.fields:
            self.fields["owner"].required = False
            self.fields["owner"].help_text = _("Empty: you.")


ADD_FIELDS = (
    "customer",
    "product",
    "subject",
    "description",
    "type",
    "channel",
    "priority",
    "status",
    "owner",
)
CHANGE_FIELDS = ("subject", "description", "type", "priority", "status", "version")
SHOWN = (
    "number",
    "customer_shown",
    "product_shown",
    "channel",
    "owner_shown",
    "team",
    "bounce_count",
    "urge_count",
    "reopen_count",
    "merged_into",
    "created_at",
    "resolved_at",
    "closed_at",
)


@admin.register(Ticket)
class TicketAdmin(ServiceModelAdmin):
    form = TicketForm
    list_display = ("number", "subject", "status", "priority", "owner_shown", "customer_shown", "created_at")
    list_filter = ("status", "type", "priority", "channel")
    list_select_related = ("owner", "customer")
    raw_id_fields = ("customer", "product", "owner")
    search_fields = ("=number",)
    search_help_text = _("The whole ticket number, e.g. KF2611240001.")
    show_full_result_count = False
    ordering = ("-id",)

    customer_shown = related("customer", _("customer"))
    product_shown = related("product", _("product"))
    owner_shown = related("owner", _("owner"))

    def get_fields(self, request, obj=None):
        return list(ADD_FIELDS) if obj is None else [*SHOWN, *CHANGE_FIELDS]

    def get_readonly_fields(self, request, obj=None):
        return () if obj is None else SHOWN

    def get_search_results(self, request, queryset, search_term):
        term = search_term.strip().upper()
        if not term:
            return queryset, False
        return queryset.filter(number=term), False

    def save_through_service(self, request, form, formsets, change):
        data = form.cleaned_data
        if not change:
            return services.open_ticket(
                by=request.user,
                customer=data["customer"],
                product=data.get("product"),
                subject=data["subject"],
                description=data.get("description", ""),
                type=data["type"],
                channel=data["channel"],
                priority=data["priority"],
                status=data["status"],
                owner=data.get("owner"),
            )
        ticket = form.instance
        changes = {
            field: data[field]
            for field in ("subject", "description", "type", "priority")
            if field in form.changed_data
        }
        if changes:
            ticket = services.update_ticket(
                ticket=ticket, by=request.user, version=data["version"], **changes
            )
        if "status" in form.changed_data:
            version = None if changes else data["version"]
            ticket = services.transition_ticket(
                ticket=ticket, by=request.user, status=data["status"], version=version
            )
        return ticket


# --- Written by services only --------------------------------------------------------------------


@admin.register(TicketEvent)
class TicketEventAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """The tickets' timeline, in the reader's words (timeline.describe)."""

    list_display = ("occurred_at", "description", "ticket_shown", "actor_shown", "is_public")
    list_select_related = ("ticket", "actor")
    show_full_result_count = False
    ordering = ("-id",)
    fields = ("occurred_at", "description", "ticket_shown", "actor_shown", "is_public")
    readonly_fields = fields
    ticket_shown = related("ticket", _("ticket"))
    actor_shown = related("actor", _("actor"))

    @admin.display(description=_("description"))
    def description(self, event: TicketEvent) -> str:
        return timeline.describe(event)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        event = self.get_object(request, unquote(object_id))
        if event is not None:
            title = f"{timezone.localtime(event.occurred_at):%Y-%m-%d %H:%M} {timeline.describe(event)}"
            extra_context = {"object_title": title, "subtitle": title, **(extra_context or {})}
        return super().change_view(request, object_id, form_url, extra_context)


@admin.register(Transfer)
class TransferAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("at", "ticket", "from_user", "to_user", "reason", "is_bounce")
    list_select_related = ("ticket", "from_user", "to_user")
    fields = ("at", "ticket", "from_user", "to_user", "by", "reason", "is_bounce")
    readonly_fields = fields
    show_full_result_count = False
    ordering = ("-id",)


@admin.register(Comment)
class CommentAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("created_at", "ticket", "author", "by_customer", "is_public", "__str__")
    list_select_related = ("ticket", "author")
    list_filter = ("is_public", "by_customer")
    fields = ("created_at", "ticket", "author", "by_customer", "is_public", "body")
    readonly_fields = fields
    show_full_result_count = False
    ordering = ("-id",)


@admin.register(Attachment)
class AttachmentAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("created_at", "ticket", "name", "content_type", "size", "is_public")
    list_select_related = ("ticket",)
    fields = ("created_at", "ticket", "comment", "name", "content_type", "size", "sha256", "is_public")
    readonly_fields = fields
    show_full_result_count = False
    ordering = ("-id",)


@admin.register(Collaborator)
class CollaboratorAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("created_at", "ticket", "user", "note")
    list_select_related = ("ticket", "user")
    fields = ("created_at", "ticket", "user", "added_by", "note")
    readonly_fields = fields
    ordering = ("-id",)


@admin.register(TicketLink)
class TicketLinkAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("created_at", "from_ticket", "kind", "to_ticket")
    list_select_related = ("from_ticket", "to_ticket")
    fields = ("created_at", "from_ticket", "kind", "to_ticket", "created_by")
    readonly_fields = fields
    ordering = ("-id",)


@admin.register(Tag)
class TagAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Tags are made by tagging tickets (services.update_ticket)."""

    list_display = ("name", "created_at")
    search_fields = ("name",)
    fields = ("name", "created_at")
    readonly_fields = fields
