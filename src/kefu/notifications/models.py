"""The outbox and the in-app notification centre.

A change that tells someone about itself writes, in its own transaction, a `Notification` (the
bell) and an `OutboxMessage` per e-mail or text message; a worker delivers the outbox after the
commit (notifications.delivery, decision 0021). `NotificationTemplate` holds the words of each
kind in each channel and language, editable in the admin. `LocalSms` is what the local SMS
gateway "sent": the record an administrator reads while no real gateway is configured.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kefu.core.masking import redact_phone
from kefu.core.models import TimeStampedModel

KIND_MAX = 64
TITLE_MAX = 200
BODY_MAX = 2000
LINK_MAX = 500
ADDRESS_MAX = 254  # an e-mail address at its longest; an E.164 phone is 16 at most


class Channel(models.TextChoices):
    INAPP = "inapp", _("In-app")
    EMAIL = "email", _("E-mail")
    SMS = "sms", _("Text message")


class Language(models.TextChoices):
    ZH_HANS = "zh-hans", "简体中文"
    EN = "en", "English"


class NotificationQuerySet(models.QuerySet["Notification"]):
    def visible_to(self, user) -> "NotificationQuerySet":
        """A person sees their own notifications and nobody else's, whatever their role."""
        if user is None or not user.is_authenticated:
            return self.none()
        return self.filter(recipient=user)


class Notification(models.Model):
    """One line in a person's notification centre. Written only by services.notify()."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recipient"),
        on_delete=models.PROTECT,
        related_name="notifications",
        db_index=False,
    )
    kind = models.CharField(_("kind"), max_length=KIND_MAX)
    title = models.CharField(_("title"), max_length=TITLE_MAX)
    body = models.TextField(_("body"), max_length=BODY_MAX, blank=True)
    link = models.CharField(_("link"), max_length=LINK_MAX, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    objects = NotificationQuerySet.as_manager()

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        indexes = [
            # A person's list, newest first (keyset on id).
            models.Index(fields=["recipient", "-id"], name="notification_recipient_idx"),
            # The bell's COUNT and the unread list: only unread rows are in it, so it stays small.
            models.Index(
                fields=["recipient", "-id"], name="notification_unread_idx", condition=Q(read_at__isnull=True)
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_read(self) -> bool:
        return self.read_at is not None


class OutboxStatus(models.TextChoices):
    PENDING = "pending", _("Waiting")
    SENDING = "sending", _("Being sent")
    SENT = "sent", _("Sent")
    DEAD = "dead", _("Given up")


class OutboxMessage(models.Model):
    """An e-mail or text message to deliver, written in the transaction of the change it tells of.

    pending → sending (one worker's conditional claim) → sent, or back to pending with a later
    `next_attempt_at` after a failure, or dead after the last allowed attempt. `attempts` counts
    the tries started. A message stuck in sending (its worker died) is put back by the drain.
    """

    personal_fields = {"address": lambda value: redact_phone(value) if value.startswith("+") else value}

    channel = models.CharField(
        _("channel"),
        max_length=8,
        choices=[(Channel.EMAIL, Channel.EMAIL.label), (Channel.SMS, Channel.SMS.label)],
    )
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recipient"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("The staff user, when the message goes to one; empty for a customer."),
    )
    address = models.CharField(_("address"), max_length=ADDRESS_MAX)
    language = models.CharField(_("language"), max_length=8, choices=Language.choices)
    kind = models.CharField(_("kind"), max_length=KIND_MAX)
    subject = models.CharField(_("subject"), max_length=TITLE_MAX, blank=True)
    body = models.TextField(_("body"), max_length=BODY_MAX)
    status = models.CharField(
        _("status"), max_length=8, choices=OutboxStatus.choices, default=OutboxStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt at"), default=timezone.now)
    claimed_at = models.DateTimeField(_("claimed at"), null=True, blank=True)
    last_error = models.CharField(_("last error"), max_length=500, blank=True)
    provider_id = models.CharField(
        _("provider's id"), max_length=100, blank=True, help_text=_("What the gateway called the message.")
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)

    class Meta:
        verbose_name = _("outgoing message")
        verbose_name_plural = _("outbox")
        constraints = [
            models.CheckConstraint(condition=Q(status__in=OutboxStatus.values), name="outbox_status_known"),
            models.CheckConstraint(
                condition=Q(channel__in=[Channel.EMAIL, Channel.SMS]), name="outbox_channel_known"
            ),
            models.CheckConstraint(
                condition=~Q(status=OutboxStatus.SENT) | Q(sent_at__isnull=False), name="outbox_sent_has_time"
            ),
            models.CheckConstraint(
                condition=~Q(status=OutboxStatus.SENDING) | Q(claimed_at__isnull=False),
                name="outbox_sending_is_claimed",
            ),
        ]
        indexes = [
            # What the drain claims, oldest due first; the backlog figures read it too.
            models.Index(
                fields=["next_attempt_at", "id"],
                name="outbox_pending_idx",
                condition=Q(status=OutboxStatus.PENDING),
            ),
            # Messages whose worker may have died.
            models.Index(
                fields=["claimed_at"], name="outbox_sending_idx", condition=Q(status=OutboxStatus.SENDING)
            ),
            # The dead letters, for the banner's count and the admin's filter.
            models.Index(fields=["-id"], name="outbox_dead_idx", condition=Q(status=OutboxStatus.DEAD)),
        ]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} #{self.pk} {self.kind}"


class NotificationTemplate(TimeStampedModel):
    """The words of one kind of notification in one channel and language, in Django's template
    syntax. Seeded from what the app that owns the kind registered (notifications.registry);
    an administrator's edit is never overwritten by a later seed (`is_customised`)."""

    kind = models.CharField(_("kind"), max_length=KIND_MAX)
    channel = models.CharField(_("channel"), max_length=8, choices=Channel.choices)
    language = models.CharField(_("language"), max_length=8, choices=Language.choices)
    subject = models.CharField(
        _("subject"),
        max_length=TITLE_MAX,
        blank=True,
        help_text=_(
            "The title in the notification centre, the subject of an e-mail; unused for text messages."
        ),
    )
    body = models.TextField(_("body"), max_length=BODY_MAX)
    is_customised = models.BooleanField(_("changed by an administrator"), default=False, editable=False)

    class Meta:
        verbose_name = _("notification template")
        verbose_name_plural = _("notification templates")
        ordering = ["kind", "channel", "language"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "channel", "language"], name="notification_template_unique"
            ),
            models.CheckConstraint(condition=Q(channel__in=Channel.values), name="template_channel_known"),
            models.CheckConstraint(condition=Q(language__in=Language.values), name="template_language_known"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} · {self.get_channel_display()} · {self.get_language_display()}"


class LocalSms(models.Model):
    """A text message the local gateway (notifications.sms.local) would have sent: it sends
    nothing, and keeps this row so that an administrator can read what went out."""

    personal_fields = {"phone": redact_phone}

    # The database's foreign key guards the row; DO_NOTHING lets the outbox's purge delete both
    # tables set-based (delivery.purge_sent deletes these first), without Django's collector.
    message = models.ForeignKey(
        OutboxMessage, verbose_name=_("outgoing message"), on_delete=models.DO_NOTHING, related_name="+"
    )
    phone = models.CharField(_("phone"), max_length=20)
    body = models.TextField(_("body"), max_length=BODY_MAX)
    sent_at = models.DateTimeField(_("sent at"), default=timezone.now)

    class Meta:
        verbose_name = _("text message (local gateway)")
        verbose_name_plural = _("text messages (local gateway)")
        indexes = [models.Index(fields=["-sent_at"], name="local_sms_sent_idx")]

    def __str__(self) -> str:
        return f"#{self.pk}"
