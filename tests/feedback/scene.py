"""What the surveys' and recovery tests set up: a team with its supervisor, its agent, a customer
with a phone and an address, and tickets opened and resolved through the tickets' services, so
that the hooks make the survey (and the recovery case's promise) as in production."""

import datetime

from django.utils import timezone

from kefu.accounts.models import Team
from kefu.feedback import links
from kefu.feedback.models import Survey
from kefu.tickets import services as ticket_services
from kefu.tickets.models import Ticket
from tests.factories import customer_with_phone

DAY = datetime.timedelta(days=1)


def team_of(agent, supervisor, name: str = "热线一组") -> Team:
    team = Team.objects.create(name=name, supervisor=supervisor)
    agent.team = team
    agent.save(update_fields=["team"])
    return team


def open_ticket(agent, customer=None, **fields) -> Ticket:
    fields.setdefault("subject", "空调不制冷")
    fields.setdefault("type", "repair")
    fields.setdefault("channel", "phone")
    return ticket_services.open_ticket(by=agent, customer=customer or customer_with_phone(), **fields)


def resolve(ticket: Ticket, by) -> Ticket:
    return ticket_services.transition_ticket(ticket=ticket, by=by, status="resolved")


def resolved_survey(agent, customer=None) -> Survey:
    """A ticket opened by `agent`, resolved: its survey (created and sent by the hook)."""
    ticket = resolve(open_ticket(agent, customer), agent)
    return Survey.objects.get(ticket=ticket)


def token(survey: Survey) -> str:
    return links.make_token(survey)


def expire(survey: Survey) -> None:
    Survey.objects.filter(pk=survey.pk).update(expires_at=timezone.now() - DAY)
    survey.refresh_from_db()
