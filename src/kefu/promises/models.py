"""Service promises (服务承诺, SPEC §3): what was advertised, the clock that measures it, the
escalation when it is broken.

A PromisePolicy says, for the tickets it matches (product category, type, priority, customer tier,
season), how many minutes each kind of promise may take on which WorkCalendar; the most specific
active match wins (promises.policies.match_policy). A TicketPromise is the promise made to one
ticket: a snapshot of the target, its due time, its pauses, and whether it was met or breached.
The breach sweep marks a breach once and climbs the escalation chain once per level: unique
constraints make both idempotent. PromiseTally is the rollup the promise-kept figure reads.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from kefu.core.models import TimeStampedModel, VersionedModel
from kefu.customers.models import Tier
from kefu.tickets.models import Priority, Status, TicketType


class CalendarKind(models.TextChoices):
    ALWAYS = "always", _("24/7")
    WORKING_HOURS = "working_hours", _("Working hours")


class WorkCalendar(TimeStampedModel):
    """When a promise's clock runs: around the clock, or in working hours per weekday.

    A working-hours calendar that uses the business days (core.BusinessDay) is closed on public
    holidays and open on adjusted working days (调休) with the hours of its first working weekday.
    """

    # Shipped calendars carry a code, so seeding finds them again after an administrator renamed them.
    code = models.SlugField(_("code"), max_length=40, unique=True, null=True, blank=True)
    name = models.CharField(_("name"), max_length=50, unique=True)
    kind = models.CharField(_("kind"), max_length=16, choices=CalendarKind.choices)
    uses_business_days = models.BooleanField(
        _("uses the business calendar"),
        default=True,
        help_text=_("Closed on public holidays, open on adjusted working days."),
    )

    class Meta:
        verbose_name = _("work calendar")
        verbose_name_plural = _("work calendars")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=CalendarKind.values), name="workcalendar_kind_valid"),
            models.CheckConstraint(condition=~Q(name=""), name="workcalendar_name_not_empty"),
        ]

    def __str__(self) -> str:
        return self.name


class WorkingHours(models.Model):
    """One weekday's opening hours of a working-hours calendar (0 = Monday … 6 = Sunday)."""

    calendar = models.ForeignKey(
        WorkCalendar,
        verbose_name=_("calendar"),
        on_delete=models.CASCADE,
        related_name="hours",
        db_index=False,
    )
    weekday = models.PositiveSmallIntegerField(
        _("weekday"),
        choices=[
            (0, _("Monday")),
            (1, _("Tuesday")),
            (2, _("Wednesday")),
            (3, _("Thursday")),
            (4, _("Friday")),
            (5, _("Saturday")),
            (6, _("Sunday")),
        ],
    )
    start = models.TimeField(_("opens"))
    end = models.TimeField(_("closes"))

    class Meta:
        verbose_name = _("working hours")
        verbose_name_plural = _("working hours")
        ordering = ["calendar", "weekday"]
        constraints = [
            models.UniqueConstraint(fields=["calendar", "weekday"], name="workinghours_one_per_weekday"),
            models.CheckConstraint(
                condition=Q(start__lt=models.F("end")), name="workinghours_start_before_end"
            ),
            models.CheckConstraint(condition=Q(weekday__lte=6), name="workinghours_weekday_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.start:%H:%M}–{self.end:%H:%M}"


class PromiseKind(models.TextChoices):
    FIRST_RESPONSE = "first_response", _("First response")
    ARRIVAL = "arrival", _("On-site arrival")
    RESOLUTION = "resolution", _("Resolution")


def default_pause_statuses() -> list[str]:
    return [Status.PENDING_CUSTOMER.value]


class PromisePolicy(VersionedModel):
    """The promises made to the tickets it matches. Blank match fields match anything.

    `specificity` is the number of match fields set (the season counts as one), computed by the
    service (promises.services_policies); the most specific active match wins and the service
    refuses two active policies with the same criteria, so there is never a tie.
    A season is a pair of "MM-DD" days, both blank for all year; it may wrap the new year
    ("11-15" to "02-28").
    """

    code = models.SlugField(_("code"), max_length=40, unique=True, null=True, blank=True)
    name = models.CharField(_("name"), max_length=80, unique=True)
    description = models.CharField(
        _("description"), max_length=300, blank=True, help_text=_("Why: shown on the ticket.")
    )
    active = models.BooleanField(_("active"), default=True)
    product_category = models.ForeignKey(
        "customers.ProductCategory",
        verbose_name=_("product category"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    ticket_type = models.CharField(_("ticket type"), max_length=16, choices=TicketType.choices, blank=True)
    priority = models.CharField(_("priority"), max_length=8, choices=Priority.choices, blank=True)
    customer_tier = models.CharField(_("customer tier"), max_length=16, choices=Tier.choices, blank=True)
    season_start = models.CharField(_("season starts (MM-DD)"), max_length=5, blank=True)
    season_end = models.CharField(_("season ends (MM-DD)"), max_length=5, blank=True)
    calendar = models.ForeignKey(
        WorkCalendar, verbose_name=_("calendar"), on_delete=models.PROTECT, related_name="policies"
    )
    pause_statuses = models.JSONField(
        _("statuses that pause the clock"), default=default_pause_statuses, blank=True
    )
    # Minutes past due at which each level of the chain is told (owner at once, when breached).
    escalate_supervisor_after = models.PositiveIntegerField(
        _("escalate to the supervisor after (minutes)"), default=0
    )
    escalate_director_after = models.PositiveIntegerField(
        _("escalate to the service director after (minutes)"), default=240
    )
    escalate_hq_after = models.PositiveIntegerField(_("escalate to HQ after (minutes)"), default=1440)
    specificity = models.PositiveSmallIntegerField(_("specificity"), default=0, editable=False)

    class Meta:
        verbose_name = _("promise policy")
        verbose_name_plural = _("promise policies")
        ordering = ["-specificity", "name"]
        constraints = [
            models.CheckConstraint(condition=~Q(name=""), name="promisepolicy_name_not_empty"),
            models.CheckConstraint(
                condition=Q(ticket_type="") | Q(ticket_type__in=TicketType.values),
                name="promisepolicy_type_valid",
            ),
            models.CheckConstraint(
                condition=Q(priority="") | Q(priority__in=Priority.values),
                name="promisepolicy_priority_valid",
            ),
            models.CheckConstraint(
                condition=Q(customer_tier="") | Q(customer_tier__in=Tier.values),
                name="promisepolicy_tier_valid",
            ),
            # A season has both ends or neither.
            models.CheckConstraint(
                condition=(Q(season_start="") & Q(season_end="")) | (~Q(season_start="") & ~Q(season_end="")),
                name="promisepolicy_season_both_ends",
            ),
            models.CheckConstraint(condition=Q(specificity__lte=5), name="promisepolicy_specificity_valid"),
        ]
        indexes = [
            models.Index(
                fields=["-specificity", "id"], condition=Q(active=True), name="promisepolicy_active_idx"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class PolicyTarget(models.Model):
    """How many minutes (on the policy's calendar) one kind of promise may take."""

    policy = models.ForeignKey(
        PromisePolicy,
        verbose_name=_("policy"),
        on_delete=models.CASCADE,
        related_name="targets",
        db_index=False,
    )
    kind = models.CharField(_("promise"), max_length=16, choices=PromiseKind.choices)
    minutes = models.PositiveIntegerField(_("minutes"))

    class Meta:
        verbose_name = _("promise target")
        verbose_name_plural = _("promise targets")
        ordering = ["policy", "kind"]
        constraints = [
            models.UniqueConstraint(fields=["policy", "kind"], name="policytarget_one_per_kind"),
            models.CheckConstraint(condition=Q(minutes__gt=0), name="policytarget_minutes_positive"),
            models.CheckConstraint(condition=Q(kind__in=PromiseKind.values), name="policytarget_kind_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.minutes}"


class EscalationLevel(models.IntegerChoices):
    NONE = 0, _("Not escalated")
    OWNER = 1, _("Owner")
    SUPERVISOR = 2, _("Supervisor")
    DIRECTOR = 3, _("Service director")
    HQ = 4, _("HQ")


class TicketPromise(models.Model):
    """One promise made to one ticket, and its keeping.

    `minutes` is the policy's target when the promise was made (a later edit of the policy does
    not move it until the ticket is recomputed). `due_at` includes the paused time so far; while
    paused (`paused_since` set) the clock stands still.
    """

    # No single-column indexes (decision 0042): ticketpromise_one_per_kind starts with the ticket,
    # and nothing reads promises by policy (a policy is made inactive, never deleted; the figures read
    # the tallies).
    ticket = models.ForeignKey(
        "tickets.Ticket",
        verbose_name=_("ticket"),
        on_delete=models.CASCADE,
        related_name="promises",
        db_index=False,
    )
    kind = models.CharField(_("promise"), max_length=16, choices=PromiseKind.choices)
    policy = models.ForeignKey(
        PromisePolicy,
        verbose_name=_("policy"),
        on_delete=models.PROTECT,
        related_name="promises",
        db_index=False,
    )
    minutes = models.PositiveIntegerField(_("minutes"))
    started_at = models.DateTimeField(_("started at"))
    due_at = models.DateTimeField(_("due at"))
    paused_since = models.DateTimeField(_("paused since"), null=True, blank=True)
    paused_seconds = models.PositiveIntegerField(_("paused (seconds)"), default=0)
    met_at = models.DateTimeField(_("met at"), null=True, blank=True)
    breached_at = models.DateTimeField(_("breached at"), null=True, blank=True)
    escalation_level = models.PositiveSmallIntegerField(
        _("escalation level"), choices=EscalationLevel.choices, default=EscalationLevel.NONE
    )

    class Meta:
        verbose_name = _("ticket promise")
        verbose_name_plural = _("ticket promises")
        constraints = [
            models.UniqueConstraint(fields=["ticket", "kind"], name="ticketpromise_one_per_kind"),
            models.CheckConstraint(
                condition=Q(escalation_level__gte=0) & Q(escalation_level__lte=4),
                name="ticketpromise_escalation_level_valid",
            ),
            models.CheckConstraint(condition=Q(kind__in=PromiseKind.values), name="ticketpromise_kind_valid"),
        ]
        indexes = [
            # The sweep's: running promises by due time (met, breached and paused ones are not in it).
            models.Index(
                fields=["due_at", "id"],
                condition=Q(met_at__isnull=True, breached_at__isnull=True, paused_since__isnull=True),
                name="ticketpromise_running_idx",
            ),
            # Breached promises still climbing the chain.
            models.Index(
                fields=["breached_at"],
                condition=Q(breached_at__isnull=False),
                name="ticketpromise_breached_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.due_at:%Y-%m-%d %H:%M}"


class Escalation(models.Model):
    """A breached promise reached one level of the chain; written once per level by the sweep."""

    promise = models.ForeignKey(
        TicketPromise,
        verbose_name=_("promise"),
        on_delete=models.CASCADE,
        related_name="escalations",
        db_index=False,
    )
    level = models.PositiveSmallIntegerField(_("level"), choices=EscalationLevel.choices)
    notified_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("notified"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("escalation")
        verbose_name_plural = _("escalations")
        constraints = [
            models.UniqueConstraint(fields=["promise", "level"], name="escalation_once_per_level"),
            models.CheckConstraint(
                condition=Q(level__gte=1) & Q(level__lte=4), name="escalation_level_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.promise_id} {self.get_level_display()}"


class EscalationContact(TimeStampedModel):
    """Who is the service director (level 3) or HQ (level 4) for a team (blank: for every team).

    With no contact at level 4, the users of role manager are told.
    """

    level = models.PositiveSmallIntegerField(
        _("level"), choices=[(EscalationLevel.DIRECTOR, _("Service director")), (EscalationLevel.HQ, _("HQ"))]
    )
    team = models.ForeignKey(
        "accounts.Team",
        verbose_name=_("team"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        help_text=_("Blank: every team."),
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE, related_name="+"
    )

    class Meta:
        verbose_name = _("escalation contact")
        verbose_name_plural = _("escalation contacts")
        ordering = ["level", "team"]
        constraints = [
            models.CheckConstraint(condition=Q(level__in=[3, 4]), name="escalationcontact_level_valid"),
            models.UniqueConstraint(fields=["level", "team", "user"], name="escalationcontact_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.get_level_display()} {self.user}"


class PromiseTally(models.Model):
    """Promises kept and missed per day, policy and kind: the rollup the promise-kept figure reads.

    Updated in the transaction that meets or breaches a promise (an upsert adding one).
    """

    day = models.DateField(_("day"))
    policy = models.ForeignKey(
        PromisePolicy, verbose_name=_("policy"), on_delete=models.CASCADE, related_name="+"
    )
    kind = models.CharField(_("promise"), max_length=16, choices=PromiseKind.choices)
    kept = models.PositiveIntegerField(_("kept"), default=0)
    missed = models.PositiveIntegerField(_("missed"), default=0)

    class Meta:
        verbose_name = _("promise tally")
        verbose_name_plural = _("promise tallies")
        constraints = [
            models.UniqueConstraint(fields=["day", "policy", "kind"], name="promisetally_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.policy_id} {self.kind} {self.kept}/{self.missed}"
