"""The complaints' lines on a ticket's timeline and on its customer's 360° timeline (TicketEvent
kinds, decision 0016), filed under a filter of their own, "Complaints".

The services write them in their transaction with language-neutral `data` (codes, names, the value
as text); `describe` turns it into the reader's words. ComplaintsConfig.ready() registers them once.
"""

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

FILTER = "complaints"
COMPLAINT_CLASSIFIED = "complaint_classified"
APOLOGY_RECORDED = "complaint_apology"
COMPENSATION_RECORDED = "complaint_compensation"
ESCALATED_TO_HQ = "complaint_escalated_hq"
PROBLEM_LINKED = "problem_linked"
PROBLEM_CLOSED = "problem_closed"


def _label(choices_path: str, code: str) -> str:
    from kefu.complaints import models

    choices = getattr(models, choices_path)
    return str(choices(code).label) if code in choices.values else code


def _classified(data: dict) -> str:
    values = {
        "number": data.get("number", ""),
        "cause": data.get("cause_name") or _("not classified"),
        "outcome": _label("Outcome", data.get("outcome", "")),
        "fault": _label("FaultParty", data.get("fault_party", "")),
    }
    return _("Complaint %(number)s: cause %(cause)s, fault %(fault)s, %(outcome)s") % values


def _apology(data: dict) -> str:
    values = {"number": data.get("number", ""), "method": _label("ApologyMethod", data.get("method", ""))}
    return _("Complaint %(number)s: apology made (%(method)s)") % values


def _compensation(data: dict) -> str:
    values = {
        "number": data.get("number", ""),
        "kind": _label("CompensationKind", data.get("kind", "")),
        "value": data.get("value", ""),
        "approver": data.get("approved_by_name", ""),
    }
    return _("Complaint %(number)s: compensation %(kind)s ¥%(value)s, approved by %(approver)s") % values


def _escalated(data: dict) -> str:
    values = {"number": data.get("number", ""), "reason": data.get("reason", "")}
    return _("Complaint %(number)s escalated to HQ: %(reason)s") % values


def _linked(data: dict) -> str:
    values = {"number": data.get("number", ""), "title": data.get("title", "")}
    return _("Ticket %(number)s linked to the problem “%(title)s”") % values


def _closed(data: dict) -> str:
    values = {"title": data.get("title", ""), "action": data.get("corrective_action", "")}
    return _("Problem “%(title)s” closed: %(action)s") % values


KINDS = (
    (COMPLAINT_CLASSIFIED, _classified, gettext_lazy("Complaint classified")),
    (APOLOGY_RECORDED, _apology, gettext_lazy("Apology made")),
    (COMPENSATION_RECORDED, _compensation, gettext_lazy("Compensation given")),
    (ESCALATED_TO_HQ, _escalated, gettext_lazy("Complaint escalated to HQ")),
    (PROBLEM_LINKED, _linked, gettext_lazy("Linked to a problem")),
    (PROBLEM_CLOSED, _closed, gettext_lazy("Problem closed")),
)


def register_kinds() -> None:
    """The complaints' filter and kinds, stored in the tickets' event table."""
    from kefu.customers import timeline
    from kefu.tickets import timeline as ticket_timeline

    timeline.register_filter(FILTER, label=gettext_lazy("Complaints"))
    for code, describe, label in KINDS:
        timeline.register_kind(
            code, describe=describe, label=label, filter=FILTER, source=ticket_timeline.SOURCE
        )
