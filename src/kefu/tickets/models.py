"""Tickets (SPEC §2): every request, from any channel, with the one person answerable for it.

Writes go through tickets.services; the constraints below hold whatever writes. Nothing here is
deleted: a ticket is resolved, closed, reopened or merged into another, and its events stay.
"""

from typing import Self

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from kefu.core.models import TimeStampedModel, VersionedModel
from kefu.customers.models import Customer, OwnedProduct


class Channel(models.TextChoices):
    PHONE = "phone", _("Phone")
    PORTAL = "portal", _("Web portal")
    WALK_IN = "walk_in", _("Walk-in")
    EMAIL = "email", _("Email")
    SOCIAL = "social", _("Social media")
    SALES_VISIT = "sales_visit", _("Sales visit")
    SYSTEM = "system", _("System")


class TicketType(models.TextChoices):
    REPAIR = "repair", _("Repair")
    INSTALLATION = "installation", _("Installation")
    CONSULTATION = "consultation", _("Consultation")
    COMPLAINT = "complaint", _("Complaint")
    RETURN = "return", _("Return / exchange")
    MAINTENANCE = "maintenance", _("Maintenance")
    CARE = "care", _("Care")


class Priority(models.TextChoices):
    LOW = "low", _("Low")
    NORMAL = "normal", _("Normal")
    HIGH = "high", _("High")
    URGENT = "urgent", _("Urgent")


# Higher is more urgent: queues sort by it.
PRIORITY_RANK = {Priority.LOW: 0, Priority.NORMAL: 1, Priority.HIGH: 2, Priority.URGENT: 3}


class Status(models.TextChoices):
    NEW = "new", pgettext_lazy("ticket status", "New")
    OPEN = "open", pgettext_lazy("ticket status", "Open")
    PENDING_CUSTOMER = "pending_customer", _("Pending customer")
    PENDING_PARTS = "pending_parts", _("Pending parts")
    RESOLVED = "resolved", pgettext_lazy("ticket status", "Resolved")
    CLOSED = "closed", pgettext_lazy("ticket status", "Closed")


# The statuses in which somebody still owes the customer something: the queues hold these.
OPEN_STATUSES = (Status.NEW, Status.OPEN, Status.PENDING_CUSTOMER, Status.PENDING_PARTS)

# The lifecycle (services.transition_ticket enforces it): from each status, where a ticket may go.
# Going back to open from resolved or closed is a reopen.
TRANSITIONS: dict[str, frozenset[str]] = {
    Status.NEW: frozenset({Status.OPEN, Status.PENDING_CUSTOMER, Status.PENDING_PARTS, Status.RESOLVED}),
    Status.OPEN: frozenset({Status.PENDING_CUSTOMER, Status.PENDING_PARTS, Status.RESOLVED}),
    Status.PENDING_CUSTOMER: frozenset({Status.OPEN, Status.PENDING_PARTS, Status.RESOLVED}),
    Status.PENDING_PARTS: frozenset({Status.OPEN, Status.PENDING_CUSTOMER, Status.RESOLVED}),
    Status.RESOLVED: frozenset({Status.CLOSED, Status.OPEN}),
    Status.CLOSED: frozenset({Status.OPEN}),
}

# A ticket transferred this many times is flagged for the supervisor (SPEC §2: the bounce count).
BOUNCE_FLAG_AT = 2


class TicketQuerySet(models.QuerySet["Ticket"]):
    """The visibility rule of tickets (decision 0017): every permission-checked fetch and every
    list starts from `Ticket.objects.visible_to(user)`.

    Who may view tickets sees every ticket. Anyone else with a role (a technician) sees the
    tickets they own or were asked to help with, and nothing more.
    """

    def visible_to(self, user) -> Self:
        if user is None or not user.is_authenticated or not user.is_active:
            return self.none()
        if user.has_perm("tickets.view_ticket"):
            return self
        return self.filter(Q(owner=user) | Q(collaborators__user=user)).distinct()

    def open(self) -> Self:
        return self.filter(status__in=OPEN_STATUSES)


class Ticket(VersionedModel):
    # Unique by ticket_number_unique below, not by unique=True: on PostgreSQL that would add a
    # second index (varchar_pattern_ops, for LIKE) that no read uses, since the start of a number
    # is found by a range of the unique one (tickets.search._starting; decision 0042).
    number = models.CharField(_("number"), max_length=16, editable=False)
    # No index of its own: ticket_customer_idx starts with it (decision 0029).
    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), on_delete=models.PROTECT, related_name="tickets", db_index=False
    )
    product = models.ForeignKey(
        OwnedProduct,
        verbose_name=_("product"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="tickets",
    )
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices)
    type = models.CharField(_("type"), max_length=16, choices=TicketType.choices)
    priority = models.CharField(
        _("priority"), max_length=8, choices=Priority.choices, default=Priority.NORMAL
    )
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.NEW)
    subject = models.CharField(_("subject"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    # Exactly one person answers for the ticket at all times (首问负责制): never null. A change
    # is a Transfer, made by services.transfer_ticket.
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.PROTECT,
        related_name="owned_tickets",
    )
    # The owner's team when the ticket last changed hands: the team queue and its supervisor.
    team = models.ForeignKey(
        "accounts.Team",
        verbose_name=_("team"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="tickets",
    )
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("opened by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    bounce_count = models.PositiveIntegerField(_("bounce count"), default=0)
    urge_count = models.PositiveIntegerField(_("urge count"), default=0)
    reopen_count = models.PositiveIntegerField(_("reopen count"), default=0)
    tags = models.ManyToManyField("Tag", verbose_name=_("tags"), blank=True, related_name="tickets")
    # Set when this ticket was merged into its original as a duplicate: it is closed, keeps its
    # replies and events, and the original's page shows them (services.merge_ticket).
    merged_into = models.ForeignKey(
        "self",
        verbose_name=_("merged into"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="merged_from",
        db_index=False,
    )
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    # The last thing that happened on it (a reply, a change): the queues show how fresh it is.
    last_activity_at = models.DateTimeField(_("last activity"), null=True, blank=True)
    # The earliest due time among the ticket's unmet service promises, breached ones included
    # (null: none running). Written only by the promises app's services, through the hooks of
    # tickets.extensions; the queues sort and filter by it (decision 0027).
    due_at = models.DateTimeField(_("due at"), null=True, blank=True, editable=False)

    objects = TicketQuerySet.as_manager()

    class Meta:
        verbose_name = _("ticket")
        verbose_name_plural = _("tickets")
        permissions = [
            ("transfer_any_ticket", _("Can transfer any ticket, not only one's own")),
            ("merge_ticket", _("Can merge a duplicate ticket into its original")),
        ]
        indexes = [
            # The queues read open tickets only: partial indexes keep them small whatever the
            # number of closed tickets (DESIGN.md: a 50-row page at 10M rows in well under 1 ms).
            models.Index(
                fields=["owner", "created_at", "id"],
                condition=Q(status__in=OPEN_STATUSES),
                name="ticket_open_owner_idx",
            ),
            models.Index(
                fields=["team", "created_at", "id"],
                condition=Q(status__in=OPEN_STATUSES),
                name="ticket_open_team_idx",
            ),
            models.Index(
                fields=["team", "created_at", "id"],
                condition=Q(status__in=OPEN_STATUSES)
                & (Q(bounce_count__gte=BOUNCE_FLAG_AT) | Q(urge_count__gt=0)),
                name="ticket_flagged_team_idx",
            ),
            # "Mine" by due time, nulls last (PostgreSQL's ascending order puts them last too).
            models.Index(
                fields=["owner", "due_at", "id"],
                condition=Q(status__in=OPEN_STATUSES),
                name="ticket_open_owner_due_idx",
            ),
            # The due-soon and breached queues: only open tickets with a promise running.
            models.Index(
                fields=["due_at", "id"],
                condition=Q(status__in=OPEN_STATUSES) & Q(due_at__isnull=False),
                name="ticket_open_due_idx",
            ),
            # The same for a team's part of those queues: without it the breached count read every
            # open ticket of the team (15 ms of a 10M-ticket queue page's 17 ms in PostgreSQL).
            models.Index(
                fields=["team", "due_at", "id"],
                condition=Q(status__in=OPEN_STATUSES) & Q(due_at__isnull=False),
                name="ticket_open_team_due_idx",
            ),
            # Every ticket in order (the "all tickets" list and a search's page, decision 0023).
            models.Index(fields=["created_at", "id"], name="ticket_created_idx"),
            # A customer's tickets, newest first (the 360° page, the portal's other tickets).
            models.Index(fields=["customer", "-created_at", "-id"], name="ticket_customer_idx"),
            models.Index(
                fields=["merged_into"], condition=Q(merged_into__isnull=False), name="ticket_merged_into_idx"
            ),
            # Tickets by when they were resolved, never-resolved ones left out: the hourly follow-up
            # catch-up (feedback's generate_follow_ups) finds here which batches of ids hold a
            # ticket resolved in its window, instead of reading every batch of tickets.
            models.Index(
                fields=["resolved_at", "id"],
                condition=Q(resolved_at__isnull=False),
                name="ticket_resolved_idx",
            ),
        ]
        constraints = [
            models.UniqueConstraint(fields=["number"], name="ticket_number_unique"),
            models.CheckConstraint(condition=Q(status__in=Status.values), name="ticket_status_valid"),
            models.CheckConstraint(condition=Q(type__in=TicketType.values), name="ticket_type_valid"),
            models.CheckConstraint(condition=Q(channel__in=Channel.values), name="ticket_channel_valid"),
            models.CheckConstraint(condition=Q(priority__in=Priority.values), name="ticket_priority_valid"),
            models.CheckConstraint(condition=~Q(subject=""), name="ticket_subject_not_empty"),
            models.CheckConstraint(
                condition=~Q(merged_into=models.F("id")), name="ticket_not_merged_into_itself"
            ),
            # A merged duplicate is closed for good (unmerging reopens it first).
            models.CheckConstraint(
                condition=Q(merged_into__isnull=True) | Q(status=Status.CLOSED),
                name="ticket_merged_is_closed",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.subject}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def is_bouncing(self) -> bool:
        return self.bounce_count >= BOUNCE_FLAG_AT


class TicketNumberCounter(models.Model):
    """The last number given out on each day (Asia/Shanghai): `KF` + yymmdd + a 4-digit serial.

    Incremented by one atomic upsert per ticket (services.next_ticket_number), so two tickets
    opened at once never share a number.
    """

    day = models.DateField(primary_key=True)
    last = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("ticket number counter")
        verbose_name_plural = _("ticket number counters")

    def __str__(self) -> str:
        return f"{self.day} {self.last}"


class Tag(TimeStampedModel):
    name = models.CharField(_("name"), max_length=30, unique=True)

    class Meta:
        verbose_name = _("tag")
        verbose_name_plural = _("tags")
        ordering = ["name"]
        constraints = [models.CheckConstraint(condition=~Q(name=""), name="tag_name_not_empty")]

    def __str__(self) -> str:
        return self.name


class Comment(TimeStampedModel):
    """A public reply (the customer sees it on their link) or an internal note (staff only).

    Written by staff (`author`) or by the customer through their link (`by_customer`).
    """

    # No index of its own: comment_ticket_idx starts with it (decision 0029).
    ticket = models.ForeignKey(
        Ticket, verbose_name=_("ticket"), on_delete=models.PROTECT, related_name="comments", db_index=False
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("author"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    by_customer = models.BooleanField(_("by the customer"), default=False)
    is_public = models.BooleanField(_("public reply"), default=False)
    body = models.TextField(_("text"))

    class Meta:
        verbose_name = _("comment")
        verbose_name_plural = _("comments")
        indexes = [models.Index(fields=["ticket", "created_at", "id"], name="comment_ticket_idx")]
        constraints = [
            models.CheckConstraint(condition=~Q(body=""), name="comment_body_not_empty"),
            # The customer's words are always public; staff write either.
            models.CheckConstraint(
                condition=Q(by_customer=False) | (Q(is_public=True) & Q(author__isnull=True)),
                name="comment_by_customer_is_public",
            ),
        ]

    def __str__(self) -> str:
        return self.body[:50]


class Attachment(TimeStampedModel):
    """An image or a PDF on a ticket, checked by its content, stored through Django's storage
    API (local files by default, S3-compatible storage by setting)."""

    ticket = models.ForeignKey(
        Ticket, verbose_name=_("ticket"), on_delete=models.PROTECT, related_name="attachments", db_index=False
    )
    comment = models.ForeignKey(
        Comment,
        verbose_name=_("comment"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="attachments",
    )
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("uploaded by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    by_customer = models.BooleanField(_("by the customer"), default=False)
    is_public = models.BooleanField(_("visible to the customer"), default=True)
    file = models.FileField(_("file"), upload_to="tickets/%Y/%m/", max_length=200)
    name = models.CharField(_("file name"), max_length=120)
    content_type = models.CharField(_("content type"), max_length=50)
    size = models.PositiveIntegerField(_("size"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        indexes = [models.Index(fields=["ticket", "created_at", "id"], name="attachment_ticket_idx")]

    def __str__(self) -> str:
        return self.name


class Transfer(models.Model):
    """A change of owner, with its reason (SPEC §2). `is_bounce` is false for taking a ticket
    from the unassigned intake queue, which is a first owner, not a hand-off."""

    # No index of its own: transfer_ticket_idx starts with it (decision 0029).
    ticket = models.ForeignKey(
        Ticket, verbose_name=_("ticket"), on_delete=models.PROTECT, related_name="transfers", db_index=False
    )
    at = models.DateTimeField(_("at"))
    from_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("from"), on_delete=models.PROTECT, related_name="+"
    )
    to_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("to"), on_delete=models.PROTECT, related_name="+"
    )
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    reason = models.CharField(_("reason"), max_length=200)
    is_bounce = models.BooleanField(_("counts as a bounce"), default=True)

    class Meta:
        verbose_name = _("transfer")
        verbose_name_plural = _("transfers")
        indexes = [models.Index(fields=["ticket", "at"], name="transfer_ticket_idx")]
        constraints = [
            models.CheckConstraint(condition=~Q(from_user=models.F("to_user")), name="transfer_to_another"),
            models.CheckConstraint(condition=~Q(reason=""), name="transfer_reason_not_empty"),
        ]

    def __str__(self) -> str:
        return f"{self.from_user} → {self.to_user}: {self.reason}"


class Collaborator(TimeStampedModel):
    """Someone asked to help with a ticket (a colleague, later a technician or an outlet) while
    the owner stays answerable."""

    ticket = models.ForeignKey(
        Ticket,
        verbose_name=_("ticket"),
        on_delete=models.PROTECT,
        related_name="collaborators",
        db_index=False,
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.PROTECT,
        related_name="collaborations",
        db_index=False,
    )
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("added by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    note = models.CharField(_("what to do"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("collaborator")
        verbose_name_plural = _("collaborators")
        constraints = [
            models.UniqueConstraint(fields=["ticket", "user"], name="collaborator_once_per_ticket"),
        ]
        indexes = [models.Index(fields=["user", "ticket"], name="collaborator_user_idx")]

    def __str__(self) -> str:
        return str(self.user)


class LinkKind(models.TextChoices):
    DUPLICATE_OF = "duplicate_of", _("Duplicate of")
    RELATED = "related", _("Related to")


class TicketLink(TimeStampedModel):
    """`from_ticket` is a duplicate of, or related to, `to_ticket`."""

    from_ticket = models.ForeignKey(
        Ticket, on_delete=models.PROTECT, related_name="links_out", db_index=False
    )
    to_ticket = models.ForeignKey(Ticket, on_delete=models.PROTECT, related_name="links_in", db_index=False)
    kind = models.CharField(_("kind"), max_length=16, choices=LinkKind.choices)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("ticket link")
        verbose_name_plural = _("ticket links")
        constraints = [
            models.UniqueConstraint(fields=["from_ticket", "to_ticket", "kind"], name="ticket_link_once"),
            models.CheckConstraint(
                condition=~Q(from_ticket=models.F("to_ticket")), name="ticket_link_not_self"
            ),
            models.CheckConstraint(condition=Q(kind__in=LinkKind.values), name="ticket_link_kind_valid"),
        ]
        indexes = [models.Index(fields=["to_ticket"], name="ticket_link_to_idx")]

    def __str__(self) -> str:
        return f"{self.from_ticket_id} {self.kind} {self.to_ticket_id}"


class TicketEventQuerySet(models.QuerySet["TicketEvent"]):
    def visible_to(self, user) -> Self:
        """A ticket's events follow the ticket: who sees the ticket sees its events."""
        if (
            user is not None
            and user.is_authenticated
            and user.is_active
            and user.has_perm("tickets.view_ticket")
        ):
            return self
        return self.filter(ticket__in=Ticket.objects.visible_to(user).values("id"))


class TicketEvent(models.Model):
    """One line of a ticket's timeline, written by the service that made it happen (decision
    0016: the tickets' own table, read by the customer's timeline as a source).

    `customer` and `product` are the ticket's, copied so that the customer's timeline reads its
    tickets' events on one index range; `is_public` says whether the customer's link shows it.
    """

    # No single-column indexes: ticket_event_ticket_idx and ticket_event_customer_idx start with
    # these columns and answer every lookup by them (decision 0029).
    ticket = models.ForeignKey(Ticket, on_delete=models.PROTECT, related_name="events", db_index=False)
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="+", db_index=False)
    product = models.ForeignKey(
        OwnedProduct, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    occurred_at = models.DateTimeField(_("when"))
    kind = models.CharField(_("kind"), max_length=40)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    is_public = models.BooleanField(_("shown to the customer"), default=False)
    data = models.JSONField(_("data"), default=dict, blank=True)

    objects = TicketEventQuerySet.as_manager()

    class Meta:
        verbose_name = _("ticket event")
        verbose_name_plural = _("ticket events")
        indexes = [
            models.Index(fields=["ticket", "occurred_at", "id"], name="ticket_event_ticket_idx"),
            models.Index(fields=["customer", "occurred_at", "id"], name="ticket_event_customer_idx"),
        ]

    # The customer timeline's Entry protocol (customers.timeline.Entry).
    has_time = True

    def __str__(self) -> str:
        return f"{self.kind} {self.occurred_at:%Y-%m-%d %H:%M}"
