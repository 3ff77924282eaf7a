"""The promises' lines on a ticket's timeline (TicketEvent kinds, decision 0016): a promise kept or
met late, a promise breached, an escalation to a level of the chain.

The services write them one by one (promises.services), the sweep set-wise (promises.sweep); both
store language-neutral `data` (the ticket's number, the promise's id and kind, the due time as
ISO text, the level and the name of who was told) that `describe` turns into the reader's words.
PromisesConfig.ready() registers them once, in the tickets' filter of the customer's timeline.
"""

import datetime

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

PROMISE_MET = "promise_met"
PROMISE_BREACHED = "promise_breached"
PROMISE_ESCALATED = "promise_escalated"


def kind_label(code: str) -> str:
    from kefu.promises.models import PromiseKind

    return str(PromiseKind(code).label) if code in PromiseKind.values else code


def level_label(level) -> str:
    from kefu.promises.models import EscalationLevel

    return str(EscalationLevel(level).label) if level in EscalationLevel.values else str(level)


def due_text(value) -> str:
    """An ISO time (as the services and either database write it) in local time, "2026-06-03 18:00"."""
    if not value:
        return ""
    try:
        moment = datetime.datetime.fromisoformat(str(value))
    except ValueError:
        return str(value)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=datetime.UTC)
    return f"{timezone.localtime(moment):%Y-%m-%d %H:%M}"


def _values(data: dict) -> dict:
    return {
        "number": data.get("number", ""),
        "kind": kind_label(data.get("kind", "")),
        "due": due_text(data.get("due_at")),
    }


def _met(data: dict) -> str:
    if data.get("kept"):
        return _("Ticket %(number)s: promise “%(kind)s” kept (due %(due)s)") % _values(data)
    return _("Ticket %(number)s: promise “%(kind)s” met late (due %(due)s)") % _values(data)


def _breached(data: dict) -> str:
    return _("Ticket %(number)s: promise “%(kind)s” breached (due %(due)s)") % _values(data)


def _escalated(data: dict) -> str:
    values = {**_values(data), "level": level_label(data.get("level")), "name": data.get("user_name") or ""}
    if values["name"]:
        return _("Ticket %(number)s escalated to %(level)s %(name)s: promise “%(kind)s” overdue") % values
    return _("Ticket %(number)s escalated to %(level)s: promise “%(kind)s” overdue") % values


KINDS = (
    (PROMISE_MET, _met, gettext_lazy("Promise met")),
    (PROMISE_BREACHED, _breached, gettext_lazy("Promise breached")),
    (PROMISE_ESCALATED, _escalated, gettext_lazy("Escalated")),
)


def register_kinds() -> None:
    """The promises' kinds, stored in the tickets' event table and filed under the tickets' filter
    of the customer's timeline; PromisesConfig.ready() calls this once."""
    from kefu.customers import timeline
    from kefu.tickets import timeline as ticket_timeline

    for code, describe, label in KINDS:
        timeline.register_kind(
            code, describe=describe, label=label, filter=ticket_timeline.FILTER, source=ticket_timeline.SOURCE
        )
