"""What the surveys' part registers in the shared registries, called once from FeedbackConfig.ready():
the roles' grants, the ticket as a survey subject, the tickets' hook (a resolved ticket asks its
customer), the timeline kinds, the notification kinds, the ticket page's part, the reasons seeded
after migrate."""

from django.db import DEFAULT_DB_ALIAS
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def _seed_defaults(sender, using=DEFAULT_DB_ALIAS, **kwargs):
    if using != DEFAULT_DB_ALIAS:
        return
    from kefu.feedback.defaults import seed_defaults

    seed_defaults()


def status_changed(ticket, old: str, new: str) -> None:
    """A ticket resolved (or closed without being resolved first) asks its customer once."""
    from kefu.feedback import services
    from kefu.tickets.models import Status

    if new in (Status.RESOLVED, Status.CLOSED) and old != Status.RESOLVED and ticket.merged_into_id is None:
        services.ask_after_ticket(ticket)


def opened(ticket) -> None:
    """A complaint opened (a recovery case too) marks its customer unhappy from that moment."""
    from kefu.feedback import services
    from kefu.tickets.models import TicketType

    if ticket.type == TicketType.COMPLAINT:
        services.complaint_opened(ticket)


def changed(ticket, fields: frozenset) -> None:
    """A ticket that became a complaint counts as one opened now."""
    from kefu.feedback import services
    from kefu.tickets.models import TicketType

    if "type" in fields and ticket.type == TicketType.COMPLAINT:
        services.complaint_opened(ticket)


def register() -> None:
    from django.apps import apps

    from kefu.accounts import roles
    from kefu.feedback import demo_surveys, notices, subjects, timeline, ui
    from kefu.feedback.permissions import ROLE_GRANTS
    from kefu.tickets import extensions

    roles.declare_grants("feedback", ROLE_GRANTS)
    subjects.register(
        subjects.SubjectKind(code=subjects.TICKET, label=_("Ticket"), read=subjects.read_ticket)
    )
    extensions.register(opened=opened, changed=changed, status_changed=status_changed)
    timeline.register_kinds()
    notices.register_kinds()
    ui.register()
    demo_surveys.register()
    post_migrate.connect(
        _seed_defaults, sender=apps.get_app_config("feedback"), dispatch_uid="kefu.feedback.seed_reasons"
    )
