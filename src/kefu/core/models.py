"""Shared building blocks: the timestamped base model, the audit trail and the business calendar."""

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class TimeStampedModel(models.Model):
    """Every model records when it was created and last changed."""

    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        abstract = True


class VersionedModel(TimeStampedModel):
    """A record that clients edit concurrently: every update bumps `version`.

    An update that names an older version is refused (HTTP 409), so no edit silently
    overwrites another (see core.concurrency.bump_version).
    """

    version = models.PositiveIntegerField(_("version"), default=1)

    class Meta:
        abstract = True


class AuditAction(models.TextChoices):
    CREATE = "create", _("Created")
    UPDATE = "update", _("Changed")
    DELETE = "delete", _("Deleted")
    REVEAL = "reveal", _("Revealed personal data")
    LOOKUP = "lookup", _("Looked up by personal data")


class AuditEvent(models.Model):
    """One row per change or reveal of personal data: who, what, when, before and after.

    Append-only: written by services (core.audit.record) in the same transaction as the
    change, never edited. `changes` maps a field to [before, after]; a reveal lists what
    was shown in `changes` as {"fields": [...]}.
    """

    at = models.DateTimeField(_("at"), default=timezone.now, editable=False)
    # Neither key has an index of its own: audit_actor_idx and audit_target_idx start with them
    # (decision 0042; every write of the system writes a row here).
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("actor"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    action = models.CharField(_("action"), max_length=16, choices=AuditAction.choices)
    target_type = models.ForeignKey(
        ContentType,
        verbose_name=_("record type"),
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    target_id = models.CharField(_("record id"), max_length=64)
    target_repr = models.CharField(_("record"), max_length=200)
    changes = models.JSONField(_("changes"), default=dict, blank=True)
    reason = models.CharField(_("reason"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit trail")
        indexes = [
            models.Index(fields=["target_type", "target_id", "-at"], name="audit_target_idx"),
            models.Index(fields=["actor", "-at"], name="audit_actor_idx"),
        ]

    def __str__(self) -> str:
        return f"{timezone.localtime(self.at):%Y-%m-%d %H:%M} {self.get_action_display()} {self.target_repr}"


class DayKind(models.TextChoices):
    HOLIDAY = "holiday", _("Public holiday")
    WORKDAY = "workday", _("Adjusted working day")


class BusinessDay(TimeStampedModel):
    """A date that breaks the Monday-to-Friday rule: a public holiday or an adjusted working day.

    Seeded from the chinese-calendar package (core.calendar.seed_business_days) and editable,
    because each December the State Council publishes the next year after the package ships.
    """

    date = models.DateField(_("date"), unique=True)
    kind = models.CharField(_("kind"), max_length=16, choices=DayKind.choices)
    name = models.CharField(_("name"), max_length=50, blank=True)
    # An estimate for a year the chinese-calendar package does not know yet, taken from the
    # `holidays` package's rules (core.calendar.seed_provisional_year), until an administrator
    # confirms the State Council's published days (core.calendar.confirm_year).
    provisional = models.BooleanField(_("provisional"), default=False)

    class Meta:
        verbose_name = _("business calendar day")
        verbose_name_plural = _("business calendar")
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date} {self.get_kind_display()} {self.name}".strip()


class IdempotencyKey(models.Model):
    """The first answer to a create sent with an `Idempotency-Key` header (API.md "Creates").

    A retry with the same key and the same request gets this answer again instead of a second
    record; the same key with another request is refused. `fingerprint` is the SHA-256 of the
    method, path and body. Rows older than a day no longer count (core.api.idempotency) and
    may be purged.
    """

    # No index of its own: idempotency_key_unique_per_user starts with it (decision 0042).
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,
    )
    key = models.CharField(_("key"), max_length=255)
    fingerprint = models.CharField(_("request fingerprint"), max_length=64)
    status = models.PositiveSmallIntegerField(_("status"))
    response = models.JSONField(_("response"))
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("idempotency key")
        verbose_name_plural = _("idempotency keys")
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="idempotency_key_unique_per_user"),
        ]
        indexes = [models.Index(fields=["created_at"], name="idempotency_created_idx")]

    def __str__(self) -> str:
        return self.key
