"""Reads of complaints and problems that matter: the permission-checked fetches, the problems' keyset
pages, a problem's linked tickets, and the badges of a page of tickets. Each costs a fixed number of
queries whatever the data (asserted in tests).

Visibility follows the tickets: a complaint is seen by who sees its ticket and holds
`view_complaint`; a problem by who holds `view_problem`, and among its linked tickets only those
the reader may see are listed.
"""

from django.db.models import Count, QuerySet

from kefu.complaints.models import (
    Compensation,
    Complaint,
    ComplaintCause,
    Problem,
    ProblemTicket,
)
from kefu.core.errors import NotFound, PermissionDenied
from kefu.core.pagination import Page, keyset_page
from kefu.tickets.models import Ticket
from kefu.tickets.selectors import access_ticket

VIEW_COMPLAINT = "complaints.view_complaint"
CHANGE_COMPLAINT = "complaints.change_complaint"
VIEW_PROBLEM = "complaints.view_problem"
# How many of a problem's tickets its page and its API answer list (newest link first).
PROBLEM_TICKETS_SHOWN = 100


def may_see_complaints(user) -> bool:
    return bool(user is not None and user.is_active and user.has_perm(VIEW_COMPLAINT))


def may_see_problems(user) -> bool:
    return bool(user is not None and user.is_active and user.has_perm(VIEW_PROBLEM))


def complaint_ticket(user, ref, *, perm: str = VIEW_COMPLAINT) -> Ticket:
    """The ticket `ref` as `user` may act on its complaint: 403 without `perm`, 404 for a ticket
    the user may not see (the complaint itself: `complaint_of`)."""
    if not user.has_perm(perm):
        raise PermissionDenied()
    return access_ticket(user, ref)


def complaint_of(ticket: Ticket) -> Complaint:
    """The ticket's complaint with its cause and who escalated it; NotFound if it has none."""
    complaint = Complaint.objects.select_related("cause", "escalated_by").filter(pk=ticket.pk).first()
    if complaint is None:
        raise NotFound()
    complaint.ticket = ticket
    return complaint


def compensations(complaint: Complaint) -> list[Compensation]:
    return list(
        Compensation.objects.filter(complaint=complaint)
        .select_related("approved_by", "recorded_by")
        .order_by("created_at", "id")
    )


def compensation_page(complaint: Complaint, *, cursor: str | None, limit: int | None) -> Page:
    """A complaint's compensations, oldest first, a keyset page (one query)."""
    queryset = Compensation.objects.filter(complaint=complaint).select_related("approved_by", "recorded_by")
    return keyset_page(queryset, order=("id",), cursor=cursor, limit=limit)


def apologies(complaint: Complaint) -> list:
    return list(complaint.apologies.select_related("made_by").order_by("made_on", "id"))


def offered_causes() -> QuerySet[ComplaintCause]:
    return ComplaintCause.objects.filter(is_active=True).order_by("sort_order", "id")


def _problems():
    return Problem.objects.select_related("owner").annotate(ticket_count=Count("links"))


def problem_page(
    *, user, status: str | None = None, owner: int | None = None, cursor: str | None, limit: int | None
) -> Page:
    """Problems, newest first (two queries: the page and nothing else; the ticket counts ride on it)."""
    if not may_see_problems(user):
        raise PermissionDenied()
    queryset = _problems()
    if status:
        queryset = queryset.filter(status=status)
    if owner is not None:
        queryset = queryset.filter(owner_id=owner)
    return keyset_page(queryset, order=("-created_at", "-id"), cursor=cursor, limit=limit)


def problem_detail(*, user, problem_id: int) -> Problem:
    if not may_see_problems(user):
        raise PermissionDenied()
    problem = _problems().select_related("created_by", "closed_by").filter(pk=problem_id).first()
    if problem is None:
        raise NotFound()
    return problem


def problem_tickets(problem: Problem, *, user, limit: int = PROBLEM_TICKETS_SHOWN) -> list[Ticket]:
    """The problem's linked tickets that `user` may see, newest link first (one query)."""
    linked = ProblemTicket.objects.filter(problem=problem).order_by("-linked_at", "-id").values("ticket_id")
    return list(
        Ticket.objects.visible_to(user)
        .filter(pk__in=linked)
        .select_related("customer")
        .order_by("-created_at", "-id")[:limit]
    )


def ticket_problems(ticket: Ticket) -> list[Problem]:
    """The problems `ticket` is linked to (one query)."""
    return list(Problem.objects.filter(links__ticket=ticket).order_by("-created_at", "-id"))
