"""The admin of notifications: the words of each kind (edited through the service, audited), the
outbox with its "send again" for given-up messages, what the local SMS gateway recorded, and the
in-app notifications, read-only. A phone number shows only as its last four digits: reading
what was sent needs no customer's number, and who may see whole numbers is the archive's rule
(customers.privacy), which this app does not import."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from kefu.core.admin import ReadOnlyAdminMixin, ServiceModelAdmin
from kefu.core.errors import DomainError
from kefu.notifications import registry, services
from kefu.notifications.models import (
    LocalSms,
    Notification,
    NotificationTemplate,
    OutboxMessage,
    OutboxStatus,
)


def shown_address(address: str) -> str:
    """An e-mail address as it is; a phone as its last four digits (…5566)."""
    return f"…{address[-4:]}" if address.startswith("+") else address


class NotificationTemplateForm(forms.ModelForm):
    class Meta:
        model = NotificationTemplate
        fields = ("subject", "body")
        widgets = {"body": forms.Textarea(attrs={"rows": 8})}

    def clean(self):
        cleaned = super().clean()
        found = services.template_errors(subject=cleaned.get("subject", ""), body=cleaned.get("body", ""))
        for name, problems in found.items():
            for problem in problems:
                self.add_error(name, problem)
        return cleaned


@admin.register(NotificationTemplate)
class NotificationTemplateAdmin(ServiceModelAdmin):
    form = NotificationTemplateForm
    list_display = ("kind_label", "kind", "channel", "language", "subject", "is_customised")
    list_filter = ("channel", "language", "is_customised")
    search_fields = ("kind", "subject", "body")
    readonly_fields = ("kind_label", "kind", "channel", "language", "is_customised", "updated_at")
    fields = ("kind_label", "kind", "channel", "language", "subject", "body", "is_customised", "updated_at")
    actions = ["restore_defaults"]

    @admin.display(description=_("kind"))
    def kind_label(self, template: NotificationTemplate) -> str:
        return registry.kind_label(template.kind)

    def has_add_permission(self, request):
        """Rows come from the kinds the apps register (seeded after every migrate)."""
        return False

    def save_through_service(self, request, form, formsets, change):
        return services.update_template(
            template_id=form.instance.pk,
            subject=form.cleaned_data["subject"],
            body=form.cleaned_data["body"],
            by=request.user,
        )

    @admin.action(description=_("Restore the words the app registered"), permissions=["change"])
    def restore_defaults(self, request, queryset):
        restored = 0
        for template in queryset:
            try:
                services.restore_template(template_id=template.pk, by=request.user)
            except ValidationError as refusal:
                self.message_user(request, f"{template}: {' '.join(refusal.messages)}", messages.ERROR)
            else:
                restored += 1
        if restored:
            self.message_user(
                request,
                ngettext("%(count)d template restored.", "%(count)d templates restored.", restored)
                % {"count": restored},
            )


@admin.register(OutboxMessage)
class OutboxMessageAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = (
        "id",
        "created_at",
        "channel",
        "kind",
        "to",
        "status",
        "attempts",
        "next_attempt_at",
        "sent_at",
    )
    list_filter = ("status", "channel", "kind")
    search_fields = ("=id", "kind", "subject")
    date_hierarchy = "created_at"
    list_per_page = 50
    show_full_result_count = False
    fields = (
        "channel",
        "kind",
        "language",
        "recipient",
        "to",
        "subject",
        "body",
        "status",
        "attempts",
        "next_attempt_at",
        "claimed_at",
        "last_error",
        "provider_id",
        "created_at",
        "sent_at",
    )
    readonly_fields = fields
    list_select_related = ("recipient",)
    actions = ["send_again"]

    @admin.display(description=_("to"))
    def to(self, message: OutboxMessage) -> str:
        return shown_address(message.address)

    def has_retry_permission(self, request) -> bool:
        return request.user.has_perm("notifications.change_outboxmessage")

    @admin.action(description=_("Send the given-up messages again"), permissions=["retry"])
    def send_again(self, request, queryset):
        retried = 0
        for message_id in queryset.filter(status=OutboxStatus.DEAD).values_list("pk", flat=True):
            try:
                services.retry_message(message_id=message_id, by=request.user)
            except DomainError as refusal:
                self.message_user(request, f"#{message_id}: {refusal.message}", messages.WARNING)
            else:
                retried += 1
        skipped = queryset.exclude(status=OutboxStatus.DEAD).count()
        self.message_user(
            request,
            ngettext(
                "%(count)d message will be sent again.", "%(count)d messages will be sent again.", retried
            )
            % {"count": retried},
        )
        if skipped:
            self.message_user(
                request,
                ngettext(
                    "%(count)d message was not given up and was left as it is.",
                    "%(count)d messages were not given up and were left as they are.",
                    skipped,
                )
                % {"count": skipped},
                messages.WARNING,
            )


@admin.register(LocalSms)
class LocalSmsAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("sent_at", "to", "body", "message")
    date_hierarchy = "sent_at"
    search_fields = ("body",)
    list_per_page = 50
    show_full_result_count = False
    fields = ("sent_at", "to", "body", "message")
    readonly_fields = fields

    @admin.display(description=_("to"))
    def to(self, record: LocalSms) -> str:
        return shown_address(record.phone)


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("created_at", "recipient", "kind", "title", "read_at")
    list_filter = ("kind",)
    search_fields = ("title",)
    list_select_related = ("recipient",)
    date_hierarchy = "created_at"
    list_per_page = 50
    show_full_result_count = False
    fields = ("recipient", "kind", "title", "body", "link", "created_at", "read_at")
    readonly_fields = fields
