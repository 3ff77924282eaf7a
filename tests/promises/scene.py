"""What the promise services' and the sweep's tests set up: one policy that every ticket matches
(the shipped ones switched off), on a 24/7 calendar unless told, and tickets opened through the
tickets' service, so that the hooks make their promises as in production."""

import datetime

from django.utils import timezone

from kefu.accounts.models import Team
from kefu.promises.models import CalendarKind, PolicyTarget, PromisePolicy, WorkCalendar
from kefu.tickets import services as ticket_services
from tests.factories import customer_with_phone

HOUR = datetime.timedelta(hours=1)
MINUTE = datetime.timedelta(minutes=1)


def always_calendar() -> WorkCalendar:
    calendar, _created = WorkCalendar.objects.get_or_create(
        name="测试 7×24", defaults={"kind": CalendarKind.ALWAYS}
    )
    return calendar


def make_policy(targets: dict[str, int], *, name: str = "测试承诺", **fields) -> PromisePolicy:
    """The one active policy (others are switched off), with `targets` {kind: minutes}."""
    PromisePolicy.objects.update(active=False)
    fields.setdefault("calendar", always_calendar())
    specificity = sum(
        bool(fields.get(name)) for name in ("product_category", "ticket_type", "priority", "customer_tier")
    ) + bool(fields.get("season_start"))
    policy = PromisePolicy.objects.create(name=name, specificity=specificity, **fields)
    PolicyTarget.objects.bulk_create(
        PolicyTarget(policy=policy, kind=kind, minutes=minutes) for kind, minutes in targets.items()
    )
    return policy


def team_of(agent, supervisor, name: str = "热线一组") -> Team:
    team = Team.objects.create(name=name, supervisor=supervisor)
    agent.team = team
    agent.save(update_fields=["team"])
    return team


def open_ticket(by, customer=None, **fields):
    values = {"subject": "空调不制冷", "type": "repair", "channel": "phone", **fields}
    return ticket_services.open_ticket(by=by, customer=customer or customer_with_phone(), **values)


def at(ticket, hours: float = 0, minutes: float = 0) -> datetime.datetime:
    """A moment counted from the ticket's opening."""
    return ticket.created_at + datetime.timedelta(hours=hours, minutes=minutes)


def now() -> datetime.datetime:
    return timezone.now()
