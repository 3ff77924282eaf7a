"""Complaints, their apologies and compensation, and problems (root causes).

A complaint is a ticket of type complaint (a recovery case opened by a "not satisfied" answer is
one too); `Complaint` holds what only a complaint has, one row per such ticket, created by the
tickets' hook when a complaint-type ticket is opened (or a ticket becomes one).
Causes are an editable taxonomy. "Resolved although not our fault"
is an outcome of its own, counted by the figures.

A problem is a root cause behind many tickets, with a corrective action and its owner; closing it
tells the customers of its linked tickets through the outbox.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from kefu.core.models import TimeStampedModel, VersionedModel
from kefu.tickets.models import Ticket


class ComplaintCause(TimeStampedModel):
    """A cause of complaints (the Pareto's bars): an editable list, seeded with the seven of
    SPEC §4 (promise_not_kept, expectation_gap, product_quality, attitude, delivery_error,
    not_our_fault, other)."""

    code = models.SlugField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=50)
    is_active = models.BooleanField(_("offered"), default=True)
    sort_order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("complaint cause")
        verbose_name_plural = _("complaint causes")
        ordering = ["sort_order", "id"]
        constraints = [models.CheckConstraint(condition=~Q(name=""), name="complaintcause_name_not_empty")]

    def __str__(self) -> str:
        return self.name


class Severity(models.TextChoices):
    MINOR = "minor", pgettext_lazy("severity", "Minor")
    MAJOR = "major", pgettext_lazy("severity", "Major")
    CRITICAL = "critical", pgettext_lazy("severity", "Critical")


class FaultParty(models.TextChoices):
    UNKNOWN = "unknown", pgettext_lazy("fault party", "Unknown")
    US = "us", pgettext_lazy("fault party", "Us")
    THIRD_PARTY = "third_party", pgettext_lazy("fault party", "Third party")
    CUSTOMER = "customer", pgettext_lazy("fault party", "Customer")


class Outcome(models.TextChoices):
    OPEN = "open", pgettext_lazy("complaint outcome", "Being handled")
    RESOLVED = "resolved", pgettext_lazy("complaint outcome", "Resolved")
    RESOLVED_NOT_OUR_FAULT = "resolved_not_our_fault", _("Resolved although not our fault")
    NOT_RESOLVED = "not_resolved", pgettext_lazy("complaint outcome", "Not resolved")


class Complaint(VersionedModel):
    ticket = models.OneToOneField(
        Ticket, verbose_name=_("ticket"), primary_key=True, on_delete=models.PROTECT, related_name="complaint"
    )
    cause = models.ForeignKey(
        ComplaintCause,
        verbose_name=_("cause"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    severity = models.CharField(_("severity"), max_length=8, choices=Severity.choices, default=Severity.MINOR)
    fault_party = models.CharField(
        _("fault party"), max_length=12, choices=FaultParty.choices, default=FaultParty.UNKNOWN
    )
    outcome = models.CharField(_("outcome"), max_length=24, choices=Outcome.choices, default=Outcome.OPEN)
    # The week the complaint counts in (its ticket's opening, Monday, Asia/Shanghai): the tally's key.
    week = models.DateField(_("week"))
    escalated_to_hq_at = models.DateTimeField(_("escalated to HQ at"), null=True, blank=True)
    escalated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("escalated by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    escalation_reason = models.CharField(_("reason for HQ"), max_length=200, blank=True)
    apology_visit_on = models.DateField(_("apology visit on"), null=True, blank=True)
    apology_visit_by = models.CharField(_("apology visit by"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("complaint")
        verbose_name_plural = _("complaints")
        permissions = [("escalate_complaint", _("Can escalate a complaint to HQ"))]
        constraints = [
            models.CheckConstraint(
                condition=Q(severity__in=Severity.values), name="complaint_severity_valid"
            ),
            models.CheckConstraint(
                condition=Q(fault_party__in=FaultParty.values), name="complaint_fault_valid"
            ),
            models.CheckConstraint(condition=Q(outcome__in=Outcome.values), name="complaint_outcome_valid"),
            # "Resolved although not our fault" says whose fault it was.
            models.CheckConstraint(
                condition=~Q(outcome=Outcome.RESOLVED_NOT_OUR_FAULT)
                | Q(fault_party__in=[FaultParty.THIRD_PARTY, FaultParty.CUSTOMER]),
                name="complaint_not_our_fault_party",
            ),
            models.CheckConstraint(
                condition=Q(escalated_to_hq_at__isnull=True) | ~Q(escalation_reason=""),
                name="complaint_escalation_reason",
            ),
        ]
        indexes = [
            models.Index(
                fields=["-escalated_to_hq_at"],
                condition=Q(escalated_to_hq_at__isnull=False),
                name="complaint_hq_idx",
            ),
            models.Index(fields=["cause", "week"], name="complaint_cause_week_idx"),
        ]

    def __str__(self) -> str:
        return str(self.ticket_id)


class ApologyMethod(models.TextChoices):
    PHONE = "phone", _("Phone call")
    VISIT = "visit", _("Visit in person")
    LETTER = "letter", _("Letter or message")


class Apology(TimeStampedModel):
    complaint = models.ForeignKey(
        Complaint, verbose_name=_("complaint"), on_delete=models.PROTECT, related_name="apologies"
    )
    method = models.CharField(_("method"), max_length=8, choices=ApologyMethod.choices)
    made_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("made by"), on_delete=models.PROTECT, related_name="+"
    )
    made_on = models.DateField(_("on"))
    notes = models.TextField(_("notes"), blank=True)

    class Meta:
        verbose_name = _("apology")
        verbose_name_plural = _("apologies")
        constraints = [
            models.CheckConstraint(condition=Q(method__in=ApologyMethod.values), name="apology_method_valid")
        ]

    def __str__(self) -> str:
        return f"{self.complaint_id} {self.method} {self.made_on}"


class CompensationKind(models.TextChoices):
    GIFT = "gift", _("Gift")
    REFUND = "refund", _("Refund")
    FREE_REPLACEMENT = "free_replacement", _("Free replacement")
    FREE_SERVICE = "free_service", _("Free service")


class Compensation(TimeStampedModel):
    """What the customer was given, its value in yuan, and who approved it."""

    complaint = models.ForeignKey(
        Complaint, verbose_name=_("complaint"), on_delete=models.PROTECT, related_name="compensations"
    )
    kind = models.CharField(_("kind"), max_length=16, choices=CompensationKind.choices)
    value = models.DecimalField(_("value (yuan)"), max_digits=10, decimal_places=2)
    description = models.CharField(_("description"), max_length=200, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("approved by"), on_delete=models.PROTECT, related_name="+"
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("recorded by"), on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("compensation")
        verbose_name_plural = _("compensations")
        # Who may approve what a customer is given (supervisors and managers): the approver named
        # on a compensation must hold it; the one who records it need not.
        permissions = [("approve_compensation", _("Can approve compensation"))]
        constraints = [
            models.CheckConstraint(condition=Q(value__gte=0), name="compensation_value_not_negative"),
            models.CheckConstraint(
                condition=Q(kind__in=CompensationKind.values), name="compensation_kind_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ¥{self.value}"


class ComplaintTally(models.Model):
    """Complaints per week (of their opening) and cause ("" while unclassified), and how many of
    them were resolved although not our fault: the rollup behind the Pareto and the iceberg.
    Updated in the transaction that records, reclassifies or resolves a complaint."""

    week = models.DateField(_("week"))
    cause = models.CharField(_("cause"), max_length=32, blank=True)
    complaints = models.IntegerField(_("complaints"), default=0)
    resolved_not_our_fault = models.IntegerField(_("resolved although not our fault"), default=0)

    class Meta:
        verbose_name = _("complaint tally")
        verbose_name_plural = _("complaint tallies")
        constraints = [
            models.UniqueConstraint(fields=["week", "cause"], name="complainttally_unique"),
            models.CheckConstraint(condition=Q(complaints__gte=0), name="complainttally_not_negative"),
            models.CheckConstraint(
                condition=Q(resolved_not_our_fault__gte=0)
                & Q(resolved_not_our_fault__lte=models.F("complaints")),
                name="complainttally_within",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.week} {self.cause} {self.complaints}"


class ProblemStatus(models.TextChoices):
    OPEN = "open", pgettext_lazy("problem status", "Open")
    IN_PROGRESS = "in_progress", pgettext_lazy("problem status", "Being corrected")
    CLOSED = "closed", pgettext_lazy("problem status", "Closed")


class Problem(VersionedModel):
    """A root cause behind many tickets ("rats chew cables at desert sites") and what corrects it
    ("a rat-proof cable")."""

    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    corrective_action = models.TextField(_("corrective action"), blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("owner"), on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(
        _("status"), max_length=12, choices=ProblemStatus.choices, default=ProblemStatus.OPEN
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("created by"), on_delete=models.PROTECT, related_name="+"
    )
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("closed by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    tickets: "models.ManyToManyField[Ticket, ProblemTicket]" = models.ManyToManyField(
        Ticket, verbose_name=_("tickets"), through="ProblemTicket", related_name="problems"
    )

    class Meta:
        verbose_name = _("problem")
        verbose_name_plural = _("problems")
        permissions = [("close_problem", _("Can close a problem"))]
        constraints = [
            models.CheckConstraint(condition=~Q(title=""), name="problem_title_not_empty"),
            models.CheckConstraint(condition=Q(status__in=ProblemStatus.values), name="problem_status_valid"),
            models.CheckConstraint(
                condition=Q(status=ProblemStatus.CLOSED, closed_at__isnull=False)
                | ~Q(status=ProblemStatus.CLOSED) & Q(closed_at__isnull=True),
                name="problem_closed_at",
            ),
            models.CheckConstraint(
                condition=~Q(status=ProblemStatus.CLOSED) | ~Q(corrective_action=""),
                name="problem_closed_with_action",
            ),
        ]
        indexes = [models.Index(fields=["status", "-created_at", "-id"], name="problem_status_idx")]

    def __str__(self) -> str:
        return self.title


class ProblemTicket(models.Model):
    problem = models.ForeignKey(
        Problem, verbose_name=_("problem"), on_delete=models.PROTECT, related_name="links", db_index=False
    )
    ticket = models.ForeignKey(
        Ticket, verbose_name=_("ticket"), on_delete=models.PROTECT, related_name="+", db_index=False
    )
    linked_at = models.DateTimeField(_("linked at"))
    linked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("linked by"), on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("problem's ticket")
        verbose_name_plural = _("problems' tickets")
        constraints = [models.UniqueConstraint(fields=["problem", "ticket"], name="problemticket_once")]
        indexes = [models.Index(fields=["ticket"], name="problemticket_ticket_idx")]

    def __str__(self) -> str:
        return f"{self.problem_id} ← {self.ticket_id}"
