"""The reads of surveys and recovery cases: the API's keyset pages (a fixed number of queries
whatever the page), one survey, a ticket's survey, the recovery queue."""

from django.db.models import QuerySet

from kefu.core.errors import NotFound, PermissionDenied
from kefu.core.pagination import Page, keyset_page
from kefu.feedback.models import Survey, SurveyReason
from kefu.tickets.models import OPEN_STATUSES, Ticket, TicketType

VIEW = "feedback.view_survey"
RECORD = "feedback.change_survey"
RECOVERY = "feedback.view_recovery_queue"
RELATED = ("ticket", "customer", "reason", "recovery_ticket")


def may_view_surveys(user) -> bool:
    return bool(user is not None and user.is_authenticated and user.is_active and user.has_perm(VIEW))


def may_record_answers(user) -> bool:
    return may_view_surveys(user) and user.has_perm(RECORD)


def may_see_recovery_queue(user) -> bool:
    return bool(user is not None and user.is_authenticated and user.is_active and user.has_perm(RECOVERY))


def visible_surveys(user) -> QuerySet[Survey]:
    """The surveys `user` may read: PermissionDenied without the right; without the right to see
    every ticket, only the surveys of the tickets they may see."""
    if not may_view_surveys(user):
        raise PermissionDenied()
    surveys = Survey.objects.select_related(*RELATED)
    if not user.has_perm("tickets.view_ticket"):
        surveys = surveys.filter(ticket__in=Ticket.objects.visible_to(user).values("id"))
    return surveys


def survey_page(
    *,
    user,
    ticket_id: int | None = None,
    customer_id: int | None = None,
    subject_kind: str | None = None,
    subject_id: int | None = None,
    answered: bool | None = None,
    cursor: str | None,
    limit: int | None,
) -> Page[Survey]:
    """Surveys newest first, filtered (each filter on an index: ticket, customer, subject)."""
    surveys = visible_surveys(user)
    if ticket_id is not None:
        surveys = surveys.filter(ticket_id=ticket_id)
    if customer_id is not None:
        surveys = surveys.filter(customer_id=customer_id)
    if subject_kind is not None:
        surveys = surveys.filter(subject_kind=subject_kind)
    if subject_id is not None:
        surveys = surveys.filter(subject_id=subject_id)
    if answered is not None:
        surveys = surveys.filter(answered_at__isnull=not answered)
    return keyset_page(surveys, order=("-id",), cursor=cursor, limit=limit)


def survey_detail(*, user, survey_id: int) -> Survey:
    survey = visible_surveys(user).filter(pk=survey_id).first()
    if survey is None:
        raise NotFound()
    return survey


def ticket_survey(ticket: Ticket) -> Survey | None:
    """The survey asked after `ticket` (None before it was resolved)."""
    return (
        Survey.objects.select_related("reason", "recovery_ticket", "recorded_by")
        .filter(ticket=ticket)
        .first()
    )


def recovery_for(ticket: Ticket) -> Survey | None:
    """The survey whose "not satisfied" opened `ticket` as its recovery case, if it is one."""
    if ticket.type != TicketType.COMPLAINT:
        return None
    return Survey.objects.select_related("reason", "ticket").filter(recovery_ticket=ticket).first()


def offered_reasons() -> list[SurveyReason]:
    return list(SurveyReason.objects.filter(is_active=True).order_by("sort_order", "id"))


def recovery_queue(*, user, mine: bool = False, cursor: str | None, limit: int | None) -> Page[Survey]:
    """The open recovery cases, newest answer first (the partial index of unhappy answers): each
    survey with its case, the original ticket and the customer. `mine`: only the user's cases."""
    if not may_see_recovery_queue(user):
        raise PermissionDenied()
    surveys = Survey.objects.select_related("reason", "ticket", "customer", "recovery_ticket__owner").filter(
        is_satisfied=False, recovery_ticket__status__in=OPEN_STATUSES
    )
    if mine:
        surveys = surveys.filter(recovery_ticket__owner=user)
    return keyset_page(surveys, order=("-answered_at", "-id"), cursor=cursor, limit=limit)
