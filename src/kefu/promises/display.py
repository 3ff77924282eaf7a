"""How a promise is shown: the clock staff see ("2小时后到期", "已超时 35分钟") and the sentence the
customer reads on their link ("工程师将在 6月3日 18:00 前联系您").

Pure functions of a promise's fields and the time now: no query. A clock is grey while there is
time, orange inside the last quarter of its span, red once past due (whether or not the sweep has
marked the breach yet: the clock tells the truth at once), green when kept; a word goes with every
colour (UI.md: never colour alone).
"""

import datetime
from dataclasses import dataclass

from django.utils import timezone
from django.utils.dateformat import format as format_date
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext

from kefu.promises.models import PromiseKind

# States of a clock, and the class that colours each (kefu.css: these pass WCAG AA).
RUNNING = "running"
DUE_SOON = "due_soon"
OVERDUE = "overdue"
PAUSED = "paused"
KEPT = "kept"
KEPT_LATE = "kept_late"
CLASSES = {
    RUNNING: "kf-grey",
    DUE_SOON: "kf-orange",
    OVERDUE: "kf-bad",
    PAUSED: "kf-grey",
    KEPT: "kf-ok",
    KEPT_LATE: "kf-bad",
}


def span_text(seconds: float) -> str:
    """A duration in its largest useful unit: "35 minutes", "2 hours 15 minutes", "3 days"."""
    minutes = max(int(seconds // 60), 0)
    if minutes < 1:
        return _("less than a minute")
    if minutes < 60:
        return ngettext("%(count)d minute", "%(count)d minutes", minutes) % {"count": minutes}
    hours, rest = divmod(minutes, 60)
    if hours < 24:
        text = ngettext("%(count)d hour", "%(count)d hours", hours) % {"count": hours}
        if rest and hours < 10:
            text = _("%(hours)s %(minutes)s") % {
                "hours": text,
                "minutes": ngettext("%(count)d minute", "%(count)d minutes", rest) % {"count": rest},
            }
        return text
    days = hours // 24
    return ngettext("%(count)d day", "%(count)d days", days) % {"count": days}


@dataclass(frozen=True)
class Clock:
    kind: str
    kind_label: str
    state: str
    css: str
    text: str
    due_at: datetime.datetime


def _late_seconds(promise, now) -> float:
    end = promise.met_at or now
    return (end - promise.due_at).total_seconds()


def clock(promise, now: datetime.datetime | None = None) -> Clock:
    """The clock of one promise (a TicketPromise, or anything with its fields) at `now`."""
    now = now or timezone.now()
    kind_label = str(PromiseKind(promise.kind).label) if promise.kind in PromiseKind.values else promise.kind
    if promise.met_at is not None:
        late = _late_seconds(promise, now)
        if promise.breached_at is not None or late > 0:
            state, text = KEPT_LATE, _("Met %(late)s late") % {"late": span_text(late)}
        else:
            state, text = KEPT, _("Met")
    elif promise.paused_since is not None:
        state, text = PAUSED, _("Paused")
    elif promise.breached_at is not None or now >= promise.due_at:
        state, text = OVERDUE, _("Overdue by %(late)s") % {"late": span_text(_late_seconds(promise, now))}
    else:
        left = (promise.due_at - now).total_seconds()
        span = (promise.due_at - promise.started_at).total_seconds()
        state = DUE_SOON if span > 0 and left <= span / 4 else RUNNING
        text = _("Due in %(left)s") % {"left": span_text(left)}
    return Clock(promise.kind, kind_label, state, CLASSES[state], text, promise.due_at)


def customer_time(moment: datetime.datetime) -> str:
    """A time as the customer reads it: "6月3日 18:00" (in Chinese), "3 June 18:00" (in English)."""
    return format_date(timezone.localtime(moment), pgettext("promise time on the customer's link", "j F H:i"))


def customer_sentence(promise, now: datetime.datetime | None = None) -> dict:
    """What the customer's link says about one promise: `text`, and `state` (promised, kept,
    late, paused) for the page to mark it. Honest: a missed promise says by how much."""
    now = now or timezone.now()
    due = customer_time(promise.due_at)
    kind = promise.kind
    if promise.met_at is not None:
        late = _late_seconds(promise, now)
        met = customer_time(promise.met_at)
        if promise.breached_at is None and late <= 0:
            text = {
                PromiseKind.FIRST_RESPONSE: _("We contacted you on %(met)s, as promised."),
                PromiseKind.ARRIVAL: _("Our engineer arrived on %(met)s, as promised."),
                PromiseKind.RESOLUTION: _("Your problem was solved on %(met)s, as promised."),
            }.get(kind, _("Done on %(met)s, as promised."))
            return {"kind": kind, "state": "kept", "text": text % {"met": met}}
        text = {
            PromiseKind.FIRST_RESPONSE: _("We are sorry: we contacted you %(late)s later than promised."),
            PromiseKind.ARRIVAL: _("We are sorry: our engineer arrived %(late)s later than promised."),
            PromiseKind.RESOLUTION: _("We are sorry: your problem was solved %(late)s later than promised."),
        }.get(kind, _("We are sorry: we were %(late)s later than promised."))
        return {"kind": kind, "state": "late", "text": text % {"late": span_text(late)}}
    if promise.paused_since is not None:
        return {
            "kind": kind,
            "state": "paused",
            "text": _("While we wait for your answer, the time we promised is paused."),
        }
    if promise.breached_at is not None or now >= promise.due_at:
        text = {
            PromiseKind.FIRST_RESPONSE: _(
                "We promised to contact you before %(due)s; we are %(late)s late. We are sorry."
            ),
            PromiseKind.ARRIVAL: _(
                "We promised an engineer before %(due)s; we are %(late)s late. We are sorry."
            ),
            PromiseKind.RESOLUTION: _(
                "We promised to solve your problem before %(due)s; we are %(late)s late. We are sorry."
            ),
        }.get(kind, _("We are %(late)s later than we promised (%(due)s). We are sorry."))
        return {
            "kind": kind,
            "state": "late",
            "text": text % {"due": due, "late": span_text(_late_seconds(promise, now))},
        }
    text = {
        PromiseKind.FIRST_RESPONSE: _("An engineer will contact you before %(due)s."),
        PromiseKind.ARRIVAL: _("An engineer will be at your door before %(due)s."),
        PromiseKind.RESOLUTION: _("We will solve your problem before %(due)s."),
    }.get(kind, _("We promised: before %(due)s."))
    return {"kind": kind, "state": "promised", "text": text % {"due": due}}


def target_text(minutes: int | None) -> str:
    """An advertised target as it is said: "2 hours", "24 hours", "3 days", "90 minutes"."""
    if not minutes:
        return ""
    if minutes % 1440 == 0 and minutes >= 2880:
        return ngettext("%(count)d day", "%(count)d days", minutes // 1440) % {"count": minutes // 1440}
    if minutes % 60 == 0:
        return ngettext("%(count)d hour", "%(count)d hours", minutes // 60) % {"count": minutes // 60}
    return ngettext("%(count)d minute", "%(count)d minutes", minutes) % {"count": minutes}
