"""The kinds of ticket event (TicketEvent.kind): how each reads on the ticket's timeline and on the
customer's 360° timeline, where they form the `tickets` filter (decision 0016).

`data` is language-neutral (ids, numbers, codes, the words people wrote); `describe` turns it into
the reader's language. TicketsConfig.ready() registers the kinds once.
"""

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kefu.core import audit
from kefu.tickets.models import Ticket, TicketEvent


def new_event(
    ticket: Ticket, kind: str, *, by=None, public: bool = False, data: dict | None = None, at=None
) -> TicketEvent:
    """A line for `ticket`'s timeline, not yet saved: every app that writes on a ticket's timeline
    (tickets, promises, feedback, complaints) builds it here, so each line names its ticket's
    number, customer and product the same way."""
    return TicketEvent(
        ticket=ticket,
        customer_id=ticket.customer_id,
        product_id=ticket.product_id,
        occurred_at=at or timezone.now(),
        kind=kind,
        actor=audit.acting_user(by),
        is_public=public,
        data={"number": ticket.number, **(data or {})},
    )


def add_event(
    ticket: Ticket, kind: str, *, by=None, public: bool = False, data: dict | None = None, at=None
) -> TicketEvent:
    """new_event, saved (in the caller's transaction)."""
    event = new_event(ticket, kind, by=by, public=public, data=data, at=at)
    event.save(force_insert=True)
    return event


TICKET_OPENED = "ticket_opened"
TICKET_STATUS_CHANGED = "ticket_status_changed"
TICKET_TRANSFERRED = "ticket_transferred"
TICKET_CLAIMED = "ticket_claimed"
TICKET_REPLIED = "ticket_replied"  # a public reply, the customer sees it
TICKET_NOTED = "ticket_noted"  # an internal note, staff only
TICKET_CUSTOMER_REPLIED = "ticket_customer_replied"
TICKET_ATTACHMENT_ADDED = "ticket_attachment_added"
TICKET_URGED = "ticket_urged"
TICKET_LINKED = "ticket_linked"
TICKET_MERGED = "ticket_merged"
TICKET_UNMERGED = "ticket_unmerged"
TICKET_UPDATED = "ticket_updated"
TICKET_COLLABORATOR_ADDED = "ticket_collaborator_added"
TICKET_TAGGED = "ticket_tagged"

SOURCE = "tickets"  # the customer timeline's source name: the TicketEvent table
FILTER = "tickets"

# The kinds that show a reply's words (the event's `comment`); the selectors attach the comment.
COMMENT_KINDS = (TICKET_REPLIED, TICKET_NOTED, TICKET_CUSTOMER_REPLIED)


def _status_label(code: str) -> str:
    from kefu.tickets.models import Status

    return str(Status(code).label) if code in Status.values else code


def _number(data: dict) -> str:
    return data.get("number", "")


def _opened(data: dict) -> str:
    return _("Ticket %(number)s opened: %(subject)s") % {
        "number": _number(data),
        "subject": data.get("subject", ""),
    }


def _status_changed(data: dict) -> str:
    values = {
        "number": _number(data),
        "from": _status_label(data.get("from", "")),
        "to": _status_label(data.get("to", "")),
    }
    if data.get("reopened"):
        return _("Ticket %(number)s reopened (%(from)s → %(to)s)") % values
    return _("Ticket %(number)s: %(from)s → %(to)s") % values


def _transferred(data: dict) -> str:
    return _("Ticket %(number)s transferred from %(from)s to %(to)s: %(reason)s") % {
        "number": _number(data),
        "from": data.get("from_name", ""),
        "to": data.get("to_name", ""),
        "reason": data.get("reason", ""),
    }


def _claimed(data: dict) -> str:
    return _("Ticket %(number)s taken from the unassigned queue by %(to)s") % {
        "number": _number(data),
        "to": data.get("to_name", ""),
    }


def _excerpt(data: dict) -> str:
    return data.get("excerpt", "")


def _replied(data: dict) -> str:
    return _("Reply on ticket %(number)s: %(text)s") % {"number": _number(data), "text": _excerpt(data)}


def _noted(data: dict) -> str:
    return _("Internal note on ticket %(number)s: %(text)s") % {
        "number": _number(data),
        "text": _excerpt(data),
    }


def _customer_replied(data: dict) -> str:
    return _("The customer replied on ticket %(number)s: %(text)s") % {
        "number": _number(data),
        "text": _excerpt(data),
    }


def _attachment_added(data: dict) -> str:
    return _("File added to ticket %(number)s: %(name)s") % {
        "number": _number(data),
        "name": data.get("name", ""),
    }


def _urged(data: dict) -> str:
    if data.get("via") == "phone":
        text = _("The customer urged ticket %(number)s by phone (urge %(count)s)")
    else:
        text = _("The customer urged ticket %(number)s (urge %(count)s)")
    text = text % {"number": _number(data), "count": data.get("urge_count", "")}
    return f"{text}: {data['note']}" if data.get("note") else text


def _linked(data: dict) -> str:
    from kefu.tickets.models import LinkKind

    kind = data.get("kind", "")
    label = str(LinkKind(kind).label) if kind in LinkKind.values else kind
    return _("Ticket %(number)s: %(kind)s %(other)s") % {
        "number": _number(data),
        "kind": label,
        "other": data.get("other_number", ""),
    }


def _merged(data: dict) -> str:
    if data.get("role") == "duplicate":
        return _("Ticket %(number)s merged into %(other)s as a duplicate") % {
            "number": _number(data),
            "other": data.get("other_number", ""),
        }
    return _("Duplicate ticket %(other)s merged into ticket %(number)s") % {
        "number": _number(data),
        "other": data.get("other_number", ""),
    }


def _unmerged(data: dict) -> str:
    if data.get("role") == "duplicate":
        return _("Ticket %(number)s no longer merged into %(other)s, and reopened") % {
            "number": _number(data),
            "other": data.get("other_number", ""),
        }
    return _("Ticket %(other)s no longer merged into ticket %(number)s") % {
        "number": _number(data),
        "other": data.get("other_number", ""),
    }


def _updated(data: dict) -> str:
    fields = ", ".join(sorted(data.get("changes", {})))
    return _("Ticket %(number)s changed: %(fields)s") % {"number": _number(data), "fields": fields}


def _collaborator_added(data: dict) -> str:
    return _("%(user)s asked to help on ticket %(number)s") % {
        "number": _number(data),
        "user": data.get("user_name", ""),
    }


def _tagged(data: dict) -> str:
    parts = [f"+{name}" for name in data.get("added", [])] + [f"-{name}" for name in data.get("removed", [])]
    return _("Ticket %(number)s tags: %(tags)s") % {"number": _number(data), "tags": " ".join(parts)}


KINDS = (
    (TICKET_OPENED, _opened, gettext_lazy("Ticket opened")),
    (TICKET_STATUS_CHANGED, _status_changed, gettext_lazy("Ticket status changed")),
    (TICKET_TRANSFERRED, _transferred, gettext_lazy("Ticket transferred")),
    (TICKET_CLAIMED, _claimed, gettext_lazy("Ticket claimed")),
    (TICKET_REPLIED, _replied, gettext_lazy("Public reply")),
    (TICKET_NOTED, _noted, gettext_lazy("Internal note")),
    (TICKET_CUSTOMER_REPLIED, _customer_replied, gettext_lazy("Customer's reply")),
    (TICKET_ATTACHMENT_ADDED, _attachment_added, gettext_lazy("File added")),
    (TICKET_URGED, _urged, gettext_lazy("Urged")),
    (TICKET_LINKED, _linked, gettext_lazy("Tickets linked")),
    (TICKET_MERGED, _merged, gettext_lazy("Tickets merged")),
    (TICKET_UNMERGED, _unmerged, gettext_lazy("Merge undone")),
    (TICKET_UPDATED, _updated, gettext_lazy("Ticket changed")),
    (TICKET_COLLABORATOR_ADDED, _collaborator_added, gettext_lazy("Collaborator added")),
    (TICKET_TAGGED, _tagged, gettext_lazy("Tags changed")),
)


def register_ticket_kinds() -> None:
    """The `tickets` filter and every kind of ticket event; TicketsConfig.ready() calls this once."""
    from kefu.customers import timeline

    timeline.register_filter(FILTER, label=gettext_lazy("Tickets"))
    for code, describe, label in KINDS:
        timeline.register_kind(code, describe=describe, label=label, filter=FILTER, source=SOURCE)


def describe(event) -> str:
    """How one event reads, in the reader's language."""
    for code, describe_kind, _label in KINDS:
        if code == event.kind:
            return describe_kind(event.data)
    # A kind another app writes on tickets (promises' "promise breached"), registered with the
    # customer's timeline from its AppConfig.ready().
    from kefu.customers import timeline

    return timeline.describe(event)
