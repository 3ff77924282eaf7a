"""The surveys' lines on a ticket's timeline and on the customer's 360° timeline (TicketEvent
kinds, decision 0016): a survey created, sent, answered; a recovery case opened.

`data` is language-neutral (ids, codes, the reason's name as the customer saw it); `describe`
turns it into the reader's words. The lines are staff-only (not shown on the customer's link).
Registered once from FeedbackConfig.ready() (wiring_surveys) under the customer timeline's
"satisfaction" filter, stored in the tickets' event table.
"""

import datetime

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kefu.tickets import timeline as ticket_timeline
from kefu.tickets.models import Ticket, TicketEvent

SURVEY_CREATED = "survey_created"
SURVEY_SENT = "survey_sent"
SURVEY_ANSWERED = "survey_answered"
RECOVERY_OPENED = "recovery_opened"
FILTER = "satisfaction"


def write(
    ticket: Ticket, kind: str, *, at: datetime.datetime | None = None, by=None, data: dict | None = None
) -> TicketEvent:
    """One line on `ticket`'s timeline, in the caller's transaction."""
    return ticket_timeline.add_event(ticket, kind, by=by, data=data, at=at)


def _via_label(code: str) -> str:
    from kefu.feedback.models import AnsweredVia, SentVia

    for choices in (AnsweredVia, SentVia):
        if code in choices.values:
            return str(choices(code).label)
    return code


def _created(data: dict) -> str:
    return _("Ticket %(number)s: satisfaction survey created") % {"number": data.get("number", "")}


def _sent(data: dict) -> str:
    return _("Ticket %(number)s: satisfaction survey sent (%(via)s)") % {
        "number": data.get("number", ""),
        "via": _via_label(data.get("via", "")),
    }


def _answered(data: dict) -> str:
    values = {
        "number": data.get("number", ""),
        "via": _via_label(data.get("via", "")),
        "reason": data.get("reason", ""),
    }
    if data.get("satisfied"):
        return _("Ticket %(number)s: the customer is satisfied (%(via)s)") % values
    if values["reason"]:
        return _("Ticket %(number)s: the customer is not satisfied — %(reason)s (%(via)s)") % values
    return _("Ticket %(number)s: the customer is not satisfied (%(via)s)") % values


def _recovery(data: dict) -> str:
    return _("Ticket %(number)s: recovery case %(case)s opened") % {
        "number": data.get("number", ""),
        "case": data.get("case_number", ""),
    }


KINDS = (
    (SURVEY_CREATED, _created, gettext_lazy("Survey created")),
    (SURVEY_SENT, _sent, gettext_lazy("Survey sent")),
    (SURVEY_ANSWERED, _answered, gettext_lazy("Survey answered")),
    (RECOVERY_OPENED, _recovery, gettext_lazy("Recovery case opened")),
)


def register_kinds() -> None:
    from kefu.customers import timeline
    from kefu.tickets import timeline as ticket_timeline

    if FILTER not in timeline.FILTERS:
        timeline.register_filter(FILTER, label=gettext_lazy("Satisfaction"))
    for code, describe, label in KINDS:
        if code not in timeline.KINDS:
            timeline.register_kind(
                code, describe=describe, label=label, filter=FILTER, source=ticket_timeline.SOURCE
            )
