"""What the follow-ups' escalation tells people, through the notifications outbox: a team's
supervisor that follow-ups of their team are overdue (the managers when the team has none). One
notice per person and run, naming how many and the earliest due date."""

import datetime

from django.contrib.auth import get_user_model
from django.db.models import Count, Min
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from kefu.feedback.models import FollowUp
from kefu.notifications.registry import register_kind
from kefu.notifications.services import notify

OVERDUE = "feedback.follow_ups_overdue"
CHANNELS = ("inapp", "email")
MANAGER_ROLE = "manager"


def tell_overdue(*, escalated_at: datetime.datetime) -> int:
    """Tell the supervisors of the follow-ups escalated at `escalated_at`; how many were told."""
    User = get_user_model()
    rows = (
        FollowUp.objects.filter(escalated_at=escalated_at)
        .values("assignee__team__supervisor")
        .annotate(count=Count("id"), first=Min("due_on"))
        .order_by()
    )
    told = 0
    managers = None
    for row in rows:
        supervisor_id = row["assignee__team__supervisor"]
        recipients = list(User.objects.filter(pk=supervisor_id, is_active=True)) if supervisor_id else []
        if not recipients:
            if managers is None:
                managers = list(User.objects.filter(groups__name=MANAGER_ROLE, is_active=True).distinct())
            recipients = managers
        if not recipients:
            continue
        told += len(
            notify(
                kind=OVERDUE,
                recipients=recipients,
                context={"count": row["count"], "first": row["first"].isoformat()},
                link=reverse("feedback:follow_ups") + "?tab=overdue",
                channels=CHANNELS,
            )
        )
    return told


def register_kinds() -> None:
    register_kind(
        OVERDUE,
        label=_("Follow-ups overdue in your team"),
        defaults={
            ("inapp", "zh-hans"): ("{{ count }} 个回访已逾期", "最早的一个应于 {{ first }} 完成"),
            ("inapp", "en"): ("{{ count }} follow-ups overdue", "The earliest was due on {{ first }}"),
            ("email", "zh-hans"): (
                "{{ count }} 个回访已逾期",
                "您团队的 {{ count }} 个回访已超过应完成日期（最早的一个应于 {{ first }} 完成），"
                "请安排跟进。\n\n{{ url }}",
            ),
            ("email", "en"): (
                "{{ count }} follow-ups overdue",
                "{{ count }} follow-ups of your team are past their due date (the earliest was due on "
                "{{ first }}). Please see that they are done.\n\n{{ url }}",
            ),
        },
    )
