"""Who may call the follow-ups' operations (the role × operation matrix), as docs/user-guide.md
says: everyone who talks to customers (agents, supervisors, sales reps, service-centre staff,
managers, administrators) has a queue of their own and records its outcomes; a technician and a
user without a role have none (403)."""

import datetime

from django.utils import timezone

from kefu.feedback.models import FollowUp, FollowUpKind
from tests.guards.matrix import Call, Op

CALLERS = frozenset({"agent", "supervisor", "sales", "centre", "manager", "admin"})


def _own_follow_up(world, user) -> FollowUp:
    """A pending account revisit of the world's customer, assigned to the caller (a new day each
    time: one revisit per customer and day)."""
    day = timezone.localdate() + datetime.timedelta(days=int(world.unique("")))
    return FollowUp.objects.create(
        kind=FollowUpKind.ACCOUNT_REVISIT, customer=world.customer, assignee=user, method="phone", due_on=day
    )


ACCESS = {
    "list_follow_ups": Op(CALLERS, lambda world, user: Call()),
    "get_follow_up": Op(
        CALLERS, lambda world, user: Call(path={"follow_up": _own_follow_up(world, user).pk})
    ),
    "record_follow_up_outcome": Op(
        CALLERS,
        lambda world, user: Call(
            path={"follow_up": _own_follow_up(world, user).pk}, body={"outcome": "not_reached"}
        ),
    ),
}
