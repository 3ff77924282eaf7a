"""Where complaints show on the ticket screens (tickets.page_parts): the achievement badge in a
ticket's header ("resolved although not our fault"), the complaint's card in the side column (its
classification, apologies, compensation, escalation to HQ, with their forms) and the problems the
ticket is linked to; `register()` is called from wiring.
"""

from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from kefu.complaints import selectors
from kefu.complaints.forms import ApologyForm, ClassifyForm, CompensationForm, EscalationForm
from kefu.complaints.models import Outcome
from kefu.core.errors import NotFound
from kefu.tickets import page_parts
from kefu.tickets.models import TicketType


def badge_html() -> str:
    return format_html(
        '<span class="badge bg-green-lt kf-achievement" data-achievement="not_our_fault">{}</span>',
        _("Resolved although not our fault"),
    )


def _complaint(request, ticket):
    """The ticket's complaint for both parts of its page, read once (none for another type)."""
    cache = request.__dict__.setdefault("_kefu_complaints", {})
    if ticket.pk not in cache:
        complaint = None
        if ticket.type == TicketType.COMPLAINT and selectors.may_see_complaints(request.user):
            try:
                complaint = selectors.complaint_of(ticket)
            except NotFound:  # opened before complaints were recorded: none yet
                complaint = None
        cache[ticket.pk] = complaint
    return cache[ticket.pk]


def _head(request, ticket):
    complaint = _complaint(request, ticket)
    if complaint is not None and complaint.outcome == Outcome.RESOLVED_NOT_OUR_FAULT:
        return {"badge": badge_html()}
    return None


def _side(request, ticket):
    user = request.user
    problems = selectors.ticket_problems(ticket) if selectors.may_see_problems(user) else []
    complaint = _complaint(request, ticket)
    if complaint is None and not problems:
        return None
    data: dict = {"problems": problems, "complaint": complaint, "ticket": ticket}
    if complaint is not None:
        data.update(_complaint_forms(user, complaint))
    return data


def _complaint_forms(user, complaint) -> dict:
    data: dict = {"apologies": selectors.apologies(complaint), "compensations": []}
    if user.has_perm("complaints.view_compensation"):
        data["compensations"] = selectors.compensations(complaint)
    if user.has_perm("complaints.change_complaint"):
        data["classify_form"] = ClassifyForm(
            initial={
                "cause": complaint.cause_id,
                "severity": complaint.severity,
                "fault_party": complaint.fault_party,
                "outcome": complaint.outcome,
                "version": complaint.version,
            }
        )
    if user.has_perm("complaints.add_apology"):
        data["apology_form"] = ApologyForm(initial={"made_on": timezone.localdate()})
    if user.has_perm("complaints.add_compensation"):
        data["compensation_form"] = CompensationForm()
    if complaint.escalated_to_hq_at is None and user.has_perm("complaints.escalate_complaint"):
        data["escalation_form"] = EscalationForm(initial={"version": complaint.version})
    return data


def register() -> None:
    page_parts.register_part(
        page_parts.Part(
            key="complaints.badge",
            slot=page_parts.HEAD,
            template="complaints/parts/ticket_badge.html",
            order=20,
            shows_for=selectors.may_see_complaints,
            context=_head,
        )
    )
    page_parts.register_part(
        page_parts.Part(
            key="complaints.card",
            slot=page_parts.SIDE,
            template="complaints/parts/ticket_complaint.html",
            order=10,
            shows_for=lambda user: selectors.may_see_complaints(user) or selectors.may_see_problems(user),
            context=_side,
        )
    )
