"""The reads of follow-ups: each person's queue by due date (the overdue ones as a filter) and one
follow-up, with what a caller needs on the phone — the customer's name and number (masked unless
the role may see it: customers.privacy), the ticket, the method and the call script with the
customer's name and the ticket filled in. A page is a fixed number of queries whatever its size."""

import datetime
from dataclasses import dataclass

from django.db.models import Prefetch
from django.utils import timezone

from kefu.core.errors import NotFound, PermissionDenied
from kefu.core.pagination import Page, keyset_page
from kefu.customers import privacy
from kefu.customers.models import CustomerPhone
from kefu.feedback import followups
from kefu.feedback.models import FollowUp, FollowUpKind, FollowUpRule, FollowUpStatus

VIEW = "feedback.view_followup"
VIEW_ALL = "feedback.view_all_followups"
ORDER = ("due_on", "id")


@dataclass
class FollowUpRow:
    follow_up: FollowUp
    phone: str
    script: str
    is_overdue: bool


def _base():
    return FollowUp.objects.select_related(
        "customer", "ticket", "assignee", "new_ticket", "survey"
    ).prefetch_related(
        Prefetch("customer__phones", queryset=CustomerPhone.objects.order_by("-is_primary", "id"))
    )


def _scripts() -> dict[tuple[str, str, str], str]:
    return {
        (rule.kind, rule.ticket_type, rule.tier): rule.script
        for rule in FollowUpRule.objects.filter(is_active=True).only("kind", "ticket_type", "tier", "script")
    }


def _script_for(follow_up: FollowUp, scripts: dict[tuple[str, str, str], str]) -> str:
    ticket = follow_up.ticket
    tier = follow_up.customer.tier
    if follow_up.kind == FollowUpKind.ACCOUNT_REVISIT:
        keys = [("", tier), ("", "")]
    else:
        ticket_type = ticket.type if ticket else ""
        keys = [(ticket_type, tier), (ticket_type, ""), ("", tier), ("", "")]
    for ticket_type, rule_tier in keys:
        script = scripts.get((follow_up.kind, ticket_type, rule_tier))
        if script is not None:
            return followups.render_script(
                script,
                {
                    "customer": follow_up.customer.name,
                    "ticket": ticket.number if ticket else "",
                    "subject": ticket.subject if ticket else "",
                    "agent": str(follow_up.assignee),
                },
            )
    return ""


def rows(*, user, follow_ups: list[FollowUp], today: datetime.date | None = None) -> list[FollowUpRow]:
    """The rows of a page: one query for the scripts, and the audit row(s) when the user sees
    phones in full."""
    today = today or timezone.localdate()
    if not follow_ups:
        return []
    scripts = _scripts()
    customers = {follow_up.customer_id: follow_up.customer for follow_up in follow_ups}
    numbers = {
        customer: [phone.number for phone in customer.phones.all()][:1] for customer in customers.values()
    }
    shown = privacy.shown(user, numbers)
    return [
        FollowUpRow(
            follow_up=follow_up,
            phone=(shown.get(follow_up.customer_id) or [""])[0],
            script=_script_for(follow_up, scripts),
            is_overdue=follow_up.status == FollowUpStatus.PENDING and follow_up.due_on < today,
        )
        for follow_up in follow_ups
    ]


def follow_up_page(
    *,
    user,
    assignee_id: int | None = None,
    overdue: bool | None = None,
    status: str = FollowUpStatus.PENDING,
    cursor: str | None = None,
    limit: int | None = None,
    today: datetime.date | None = None,
) -> Page:
    """A person's follow-ups by due date (the caller's own unless `assignee_id`, which needs the
    right to see everyone's): `status` (pending by default, or done, cancelled); `overdue` true:
    only those past due (pending), false: only those not yet past due. Page items are FollowUp."""
    if not user.has_perm(VIEW):
        raise PermissionDenied()
    if assignee_id is not None and assignee_id != user.pk and not user.has_perm(VIEW_ALL):
        raise PermissionDenied()
    today = today or timezone.localdate()
    queryset = _base().filter(assignee_id=assignee_id or user.pk, status=status)
    if overdue is True:
        queryset = queryset.filter(due_on__lt=today)
    elif overdue is False:
        queryset = queryset.filter(due_on__gte=today)
    return keyset_page(queryset, order=ORDER, cursor=cursor, limit=limit)


def access_follow_up(*, user, follow_up_id: int) -> FollowUp:
    """One follow-up for its assignee or whoever sees everyone's; NotFound for anyone else."""
    if not user.has_perm(VIEW):
        raise PermissionDenied()
    follow_up = _base().filter(pk=follow_up_id).first()
    if follow_up is None or (follow_up.assignee_id != user.pk and not user.has_perm(VIEW_ALL)):
        raise NotFound()
    return follow_up


def overdue_count(*, user) -> int:
    """How many of the user's own follow-ups are overdue (the tab's count: the partial index)."""
    return FollowUp.objects.filter(
        assignee=user, status=FollowUpStatus.PENDING, due_on__lt=timezone.localdate()
    ).count()
