"""Satisfaction surveys, their rollups and follow-ups (回访).

A survey asks one question about one subject (a resolved ticket today; a visit, a return or a care
task later: feedback.subjects is the registry those apps join) — satisfied or not — and is
answered once, by the customer's link or by an agent during a call. Every "not satisfied" opens a
recovery case (a complaint-type ticket) exactly once: the answer is written by a conditional update
(`answered_at IS NULL`), and `recovery_ticket` is unique.

The survey keeps the dimensions of its subject as they were when it was created (the agent who
owned the ticket, its team, the technician, the customer's province, the product's category, the
channel): the figures are counted by them and the click-through lists filter by them, and neither
changes when the ticket is transferred later.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from kefu.accounts.models import Team
from kefu.core.models import TimeStampedModel, VersionedModel
from kefu.customers.models import Customer, Tier
from kefu.tickets.models import Ticket


class SurveyReason(TimeStampedModel):
    """A reason a customer may pick when not satisfied: an editable list (admin)."""

    code = models.SlugField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=50)
    is_active = models.BooleanField(_("offered"), default=True)
    sort_order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("survey reason")
        verbose_name_plural = _("survey reasons")
        ordering = ["sort_order", "id"]
        constraints = [models.CheckConstraint(condition=~Q(name=""), name="surveyreason_name_not_empty")]

    def __str__(self) -> str:
        return self.name


class SentVia(models.TextChoices):
    SMS = "sms", _("SMS")
    WECHAT = "wechat", _("WeChat")
    EMAIL = "email", _("Email")
    CALL = "call", _("Phone call")
    NONE = "none", _("Not sent")


class AnsweredVia(models.TextChoices):
    LINK = "link", _("Customer's link")
    CALL = "call", _("Recorded during a call")


class Survey(models.Model):
    """One question about one subject, answered at most once."""

    subject_kind = models.CharField(_("subject"), max_length=16)
    subject_id = models.BigIntegerField(_("subject id"))
    ticket = models.ForeignKey(
        Ticket,
        verbose_name=_("ticket"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="surveys",
        db_index=False,
    )
    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), on_delete=models.PROTECT, related_name="surveys", db_index=False
    )
    # The subject's dimensions when the survey was created (the figures and their click-through).
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("agent"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    technician = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("technician"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    team = models.ForeignKey(
        Team,
        verbose_name=_("team"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    region = models.CharField(_("region"), max_length=20, blank=True)
    category = models.CharField(_("product category"), max_length=32, blank=True)
    channel = models.CharField(_("channel"), max_length=16, blank=True)

    created_at = models.DateTimeField(_("created at"), editable=False)
    sent_via = models.CharField(_("sent by"), max_length=8, choices=SentVia.choices, default=SentVia.NONE)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    expires_at = models.DateTimeField(_("link expires at"))

    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    is_satisfied = models.BooleanField(pgettext_lazy("survey answer", "satisfied"), null=True, blank=True)
    reason = models.ForeignKey(
        SurveyReason,
        verbose_name=_("reason"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    comment = models.TextField(_("comment"), blank=True)
    answered_via = models.CharField(_("answered by"), max_length=8, choices=AnsweredVia.choices, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    recovery_ticket = models.OneToOneField(
        Ticket,
        verbose_name=_("recovery case"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="recovery_for",
    )

    class Meta:
        verbose_name = _("survey")
        verbose_name_plural = _("surveys")
        permissions = [("view_recovery_queue", _("Can see the recovery queue"))]
        constraints = [
            # One survey per subject: resolving, reopening and resolving again asks once.
            models.UniqueConstraint(fields=["subject_kind", "subject_id"], name="survey_once_per_subject"),
            # An answer is whole: a time, a yes or no and how it came, or none of them.
            models.CheckConstraint(
                condition=(
                    Q(answered_at__isnull=True, is_satisfied__isnull=True, answered_via="")
                    | Q(answered_at__isnull=False, is_satisfied__isnull=False) & ~Q(answered_via="")
                ),
                name="survey_answer_whole",
            ),
            # A reason and a recovery case belong to a "not satisfied".
            models.CheckConstraint(
                condition=Q(reason__isnull=True) | Q(is_satisfied=False),
                name="survey_reason_if_not_satisfied",
            ),
            models.CheckConstraint(
                condition=Q(recovery_ticket__isnull=True) | Q(is_satisfied=False),
                name="survey_recovery_if_not_satisfied",
            ),
            models.CheckConstraint(condition=Q(sent_via__in=SentVia.values), name="survey_sent_via_valid"),
        ]
        indexes = [
            models.Index(fields=["ticket"], name="survey_ticket_idx"),
            models.Index(fields=["customer", "-created_at", "-id"], name="survey_customer_idx"),
            # The click-through: the answers behind a number, newest first.
            models.Index(
                fields=["-answered_at", "-id"],
                condition=Q(answered_at__isnull=False),
                name="survey_answered_idx",
            ),
            models.Index(
                fields=["agent", "-answered_at", "-id"],
                condition=Q(answered_at__isnull=False),
                name="survey_agent_answered_idx",
            ),
            models.Index(
                fields=["team", "-answered_at", "-id"],
                condition=Q(answered_at__isnull=False),
                name="survey_team_answered_idx",
            ),
            models.Index(
                fields=["technician", "-answered_at", "-id"],
                condition=Q(answered_at__isnull=False, technician__isnull=False),
                name="survey_tech_answered_idx",
            ),
            # The recovery queue and the unhappy answers of any dimension (a few in a hundred).
            models.Index(
                fields=["-answered_at", "-id"], condition=Q(is_satisfied=False), name="survey_unhappy_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.subject_kind} {self.subject_id}"


class Dimension(models.TextChoices):
    ALL = "all", _("All")
    AGENT = "agent", _("Agent")
    TECHNICIAN = "technician", _("Technician")
    TEAM = "team", _("Team")
    REGION = "region", _("Region")
    CATEGORY = "category", _("Product category")
    CHANNEL = "channel", _("Channel")


class SatisfactionTally(models.Model):
    """Answers and "not satisfied" per week (its Monday, Asia/Shanghai) and dimension value: the
    rollup behind dissatisfied per hundred. `key` is the value's code (a user or team id, a
    province, a category or channel code; "" for ALL and for an unknown value).

    Updated in the transaction that records an answer (an upsert adding one per dimension).
    """

    week = models.DateField(_("week"))
    dimension = models.CharField(_("dimension"), max_length=12, choices=Dimension.choices)
    key = models.CharField(_("value"), max_length=64, blank=True)
    answered = models.PositiveIntegerField(_("answers"), default=0)
    dissatisfied = models.PositiveIntegerField(pgettext_lazy("count", "not satisfied"), default=0)

    class Meta:
        verbose_name = _("satisfaction tally")
        verbose_name_plural = _("satisfaction tallies")
        constraints = [
            models.UniqueConstraint(fields=["dimension", "key", "week"], name="satisfactiontally_unique"),
            models.CheckConstraint(
                condition=Q(dissatisfied__lte=models.F("answered")), name="satisfactiontally_within"
            ),
        ]
        indexes = [models.Index(fields=["dimension", "week"], name="satisfactiontally_week_idx")]

    def __str__(self) -> str:
        return f"{self.week} {self.dimension}={self.key} {self.dissatisfied}/{self.answered}"


class CustomerMood(models.Model):
    """When the customer last said "not satisfied" (or had a complaint opened) and last said
    "satisfied": a customer is at risk while the last unhappy moment is recent and no satisfied
    answer came after it. Kept by feedback's services and its ticket hook."""

    customer = models.OneToOneField(
        Customer, verbose_name=_("customer"), primary_key=True, on_delete=models.CASCADE, related_name="+"
    )
    last_unhappy_at = models.DateTimeField(_("last not satisfied or complaint"), null=True, blank=True)
    unhappy_ticket = models.ForeignKey(
        Ticket,
        verbose_name=_("ticket"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
    )
    last_happy_at = models.DateTimeField(_("last satisfied"), null=True, blank=True)

    class Meta:
        verbose_name = _("customer mood")
        verbose_name_plural = _("customer moods")
        indexes = [
            models.Index(
                fields=["-last_unhappy_at"],
                condition=Q(last_unhappy_at__isnull=False),
                name="customermood_unhappy_idx",
            )
        ]

    def __str__(self) -> str:
        return str(self.customer_id)


# --- Follow-ups (回访) -------------------------------------------------------------------------


class FollowUpKind(models.TextChoices):
    AFTER_TICKET = "after_ticket", _("After service")
    ACCOUNT_REVISIT = "account_revisit", _("Account revisit")


class FollowUpMethod(models.TextChoices):
    PHONE = "phone", _("Phone call")
    MESSAGE = "message", _("Message")
    VISIT = "visit", _("Visit")


class FollowUpStatus(models.TextChoices):
    PENDING = "pending", pgettext_lazy("follow-up status", "To do")
    DONE = "done", pgettext_lazy("follow-up status", "Done")
    CANCELLED = "cancelled", pgettext_lazy("follow-up status", "Cancelled")


class FollowUpOutcome(models.TextChoices):
    REACHED = "reached", _("Reached")
    NOT_REACHED = "not_reached", _("Not reached")


class FollowUpRule(VersionedModel):
    """When and how to follow up: after a resolved ticket of a type (blank: any), in `days`
    days, by `method`; or, for an account revisit, every `days` days for customers of a tier."""

    kind = models.CharField(_("kind"), max_length=16, choices=FollowUpKind.choices)
    ticket_type = models.CharField(_("ticket type"), max_length=16, blank=True)
    tier = models.CharField(_("tier"), max_length=16, choices=Tier.choices, blank=True)
    days = models.PositiveSmallIntegerField(_("days"))
    method = models.CharField(_("method"), max_length=8, choices=FollowUpMethod.choices)
    script = models.TextField(_("call script"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("follow-up rule")
        verbose_name_plural = _("follow-up rules")
        constraints = [
            models.CheckConstraint(condition=Q(days__gte=1), name="followuprule_days_positive"),
            models.CheckConstraint(condition=Q(kind__in=FollowUpKind.values), name="followuprule_kind_valid"),
            models.UniqueConstraint(
                fields=["kind", "ticket_type", "tier"],
                condition=Q(is_active=True),
                name="followuprule_one_active",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.ticket_type or self.tier} {self.days}"


class AccountRep(TimeStampedModel):
    """The sales rep who revisits a customer's account, and when the next revisit is due."""

    customer = models.OneToOneField(
        Customer, verbose_name=_("customer"), on_delete=models.CASCADE, related_name="+"
    )
    sales_rep = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("sales rep"), on_delete=models.PROTECT, related_name="+"
    )
    next_revisit_on = models.DateField(_("next revisit"), null=True, blank=True)

    class Meta:
        verbose_name = _("account sales rep")
        verbose_name_plural = _("account sales reps")
        indexes = [models.Index(fields=["next_revisit_on", "customer"], name="accountrep_due_idx")]

    def __str__(self) -> str:
        return f"{self.customer_id} → {self.sales_rep_id}"


class FollowUp(VersionedModel):
    """One follow-up to do: after a resolved ticket, or an account revisit by its sales rep."""

    kind = models.CharField(_("kind"), max_length=16, choices=FollowUpKind.choices)
    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), on_delete=models.PROTECT, related_name="+", db_index=False
    )
    ticket = models.ForeignKey(
        Ticket,
        verbose_name=_("ticket"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="follow_ups",
        db_index=False,
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("assignee"), on_delete=models.PROTECT, related_name="+"
    )
    method = models.CharField(_("method"), max_length=8, choices=FollowUpMethod.choices)
    due_on = models.DateField(_("due on"))
    status = models.CharField(
        _("status"), max_length=12, choices=FollowUpStatus.choices, default=FollowUpStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    outcome = models.CharField(_("outcome"), max_length=12, choices=FollowUpOutcome.choices, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    # Rarely set: indexed only where set (partial indexes below), so that the generation of a
    # million follow-ups writes three index entries fewer per row (decision 0032).
    survey = models.ForeignKey(
        Survey,
        verbose_name=_("survey"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    new_ticket = models.ForeignKey(
        Ticket,
        verbose_name=_("new ticket"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("done by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    escalated_at = models.DateTimeField(_("escalated at"), null=True, blank=True)

    class Meta:
        verbose_name = _("follow-up")
        verbose_name_plural = _("follow-ups")
        # Everyone with view_followup sees their own queue; this sees every person's (decision 0032).
        permissions = [("view_all_followups", _("Can see every person's follow-ups"))]
        constraints = [
            # Generation is idempotent: one follow-up per resolved ticket, one revisit per account
            # and day.
            models.UniqueConstraint(
                fields=["ticket"],
                condition=Q(kind=FollowUpKind.AFTER_TICKET),
                name="followup_once_per_ticket",
            ),
            models.UniqueConstraint(
                fields=["customer", "due_on"],
                condition=Q(kind=FollowUpKind.ACCOUNT_REVISIT),
                name="followup_revisit_once_per_day",
            ),
            models.CheckConstraint(
                condition=Q(kind=FollowUpKind.ACCOUNT_REVISIT) | Q(ticket__isnull=False),
                name="followup_ticket_after_ticket",
            ),
            models.CheckConstraint(
                condition=Q(status__in=FollowUpStatus.values), name="followup_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(status=FollowUpStatus.PENDING) | Q(done_at__isnull=False), name="followup_done_at"
            ),
        ]
        indexes = [
            # Each person's queue by due date, and the overdue sweep.
            models.Index(
                fields=["assignee", "due_on", "id"],
                condition=Q(status=FollowUpStatus.PENDING),
                name="followup_queue_idx",
            ),
            models.Index(
                fields=["due_on", "id"], condition=Q(status=FollowUpStatus.PENDING), name="followup_due_idx"
            ),
            models.Index(fields=["customer", "-due_on"], name="followup_customer_idx"),
            models.Index(fields=["survey"], condition=Q(survey__isnull=False), name="followup_survey_idx"),
            models.Index(
                fields=["new_ticket"], condition=Q(new_ticket__isnull=False), name="followup_new_ticket_idx"
            ),
            models.Index(fields=["done_by"], condition=Q(done_by__isnull=False), name="followup_done_by_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.due_on}"
