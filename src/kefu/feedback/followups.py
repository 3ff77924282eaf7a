"""Follow-up rules (回访, SPEC §6): when, how and by whom a follow-up is done (decision 0032).

- After a resolved ticket: the active FollowUpRule of kind after_ticket that matches the ticket
  most closely — its type and the customer's tier, then its type, then the tier, then any —
  gives the days until due (counted from the resolution's date in the site's time zone) and the
  method. No active rule matches: no follow-up.
- An account revisit: the rule of kind account_revisit for the customer's tier (else any tier)
  gives the interval in days between a sales rep's revisits.
- Who follows up: the ticket's owner when it was resolved (首问负责制: who served the customer
  asks how it went), when active and a person (not the intake desk); else the supervisor of the
  ticket's team, when active; else nobody (no follow-up is made, and the generation counts it).
  A site with a separate 回访 desk (Haier's way) names that team in the setting
  KEFU_FOLLOW_UP_DESK: its active members then take the follow-ups in rotation (by ticket id).

The same choice is written twice, once for one ticket (`rule_for`, `assignee_for`) and once as
SQL for the set-based generation (services_followups.generate_follow_ups); the tests hold them
to the same answers.
"""

import datetime
import string
from collections.abc import Mapping

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from kefu.accounts.system import system_usernames
from kefu.feedback.models import FollowUpKind, FollowUpMethod, FollowUpRule

# Chinese defaults (the demo's and a new site's language); administrators edit them.
AFTER_TICKET_SCRIPT = (
    "{customer}您好，我是客服中心的回访专员。您的工单 {ticket}（{subject}）已经处理完毕，"
    "想跟您确认一下：问题解决了吗？您对这次服务满意吗？"
)
COMPLAINT_SCRIPT = (
    "{customer}您好，关于您的投诉工单 {ticket}（{subject}），我们已经处理完毕。"
    "想听听您的意见：这样的处理您满意吗？还有什么需要我们做的？"
)
REVISIT_SCRIPT = (
    "{customer}您好，我是您的客户经理，定期回访一下：产品用得怎么样？最近有什么需要我们帮忙的吗？"
)

# (kind, ticket_type, tier, days, method, script): created when no rule of that kind, type and
# tier exists (active or not), after every migrate; never changed once there.
DEFAULT_RULES: tuple[tuple[str, str, str, int, str, str], ...] = (
    (FollowUpKind.AFTER_TICKET, "", "", 3, FollowUpMethod.PHONE, AFTER_TICKET_SCRIPT),
    (FollowUpKind.AFTER_TICKET, "complaint", "", 1, FollowUpMethod.PHONE, COMPLAINT_SCRIPT),
    (FollowUpKind.AFTER_TICKET, "installation", "", 7, FollowUpMethod.PHONE, AFTER_TICKET_SCRIPT),
    (FollowUpKind.AFTER_TICKET, "consultation", "", 2, FollowUpMethod.MESSAGE, AFTER_TICKET_SCRIPT),
    (FollowUpKind.AFTER_TICKET, "", "vip", 1, FollowUpMethod.PHONE, AFTER_TICKET_SCRIPT),
    (FollowUpKind.ACCOUNT_REVISIT, "", "vip", 30, FollowUpMethod.VISIT, REVISIT_SCRIPT),
    (FollowUpKind.ACCOUNT_REVISIT, "", "regular", 90, FollowUpMethod.PHONE, REVISIT_SCRIPT),
)

MAX_ATTEMPTS_DEFAULT = 3


def max_attempts() -> int:
    """Calls that did not reach the customer before the follow-up is closed as not reached."""
    return int(getattr(settings, "KEFU_FOLLOW_UP_MAX_ATTEMPTS", MAX_ATTEMPTS_DEFAULT))


@transaction.atomic
def seed_rules() -> int:
    """Create the default rules that are missing; how many were created."""
    existing = set(FollowUpRule.objects.values_list("kind", "ticket_type", "tier"))
    added = [
        FollowUpRule(kind=kind, ticket_type=ticket_type, tier=tier, days=days, method=method, script=script)
        for kind, ticket_type, tier, days, method, script in DEFAULT_RULES
        if (str(kind), ticket_type, tier) not in existing
    ]
    FollowUpRule.objects.bulk_create(added)
    return len(added)


def _candidates(kind: str, ticket_type: str, tier: str) -> list[tuple[str, str]]:
    if kind == FollowUpKind.ACCOUNT_REVISIT:
        return [("", tier), ("", "")]
    return [(ticket_type, tier), (ticket_type, ""), ("", tier), ("", "")]


def rule_for(*, kind: str, ticket_type: str = "", tier: str = "") -> FollowUpRule | None:
    """The active rule that matches most closely (see the module's docstring), or None."""
    order = _candidates(kind, ticket_type, tier)
    rules = {
        (rule.ticket_type, rule.tier): rule
        for rule in FollowUpRule.objects.filter(
            kind=kind, is_active=True, ticket_type__in={t for t, _ in order}, tier__in={r for _, r in order}
        )
    }
    for key in order:
        if key in rules:
            return rules[key]
    return None


def desk_members() -> list[int]:
    """The ids of the active members of the follow-up desk (KEFU_FOLLOW_UP_DESK, a team's name),
    by id; empty when no desk is set (the owner follows up) or it has nobody active."""
    name = getattr(settings, "KEFU_FOLLOW_UP_DESK", "")
    if not name:
        return []
    return list(
        get_user_model()
        .objects.filter(team__name=name, is_active=True)
        .exclude(username__in=system_usernames())
        .order_by("id")
        .values_list("id", flat=True)
    )


def assignee_for(ticket) -> int | None:
    """Who follows the ticket up (the module's docstring): a user id, or None."""
    members = desk_members()
    if members:
        return members[ticket.pk % len(members)]
    User = get_user_model()
    owner = User.objects.filter(pk=ticket.owner_id, is_active=True).exclude(username__in=system_usernames())
    if owner.exists():
        return ticket.owner_id
    if ticket.team_id is not None:
        supervisor = (
            User.objects.filter(supervised_teams=ticket.team_id, is_active=True)
            .exclude(username__in=system_usernames())
            .values_list("id", flat=True)
            .first()
        )
        return supervisor
    return None


def due_on(resolved_at: datetime.datetime, days: int) -> datetime.date:
    """`days` after the resolution's date in the site's time zone."""
    return timezone.localdate(resolved_at) + datetime.timedelta(days=days)


class _Blank(dict):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def render_script(script: str, values: Mapping[str, str]) -> str:
    """The rule's script with {customer}, {ticket}, {subject} (and {agent}) filled in; an unknown
    or malformed placeholder is left as written, never an error."""
    try:
        return string.Formatter().vformat(script, (), _Blank(values))
    except (ValueError, IndexError, KeyError, AttributeError):
        return script
