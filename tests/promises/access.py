"""Who may call the promise policies' and the business calendar's operations (the role ×
operation matrix, tests/guards/test_access_matrix.py), as docs/user-guide.md says: every member
of staff but a technician reads the policies and the calendar; managers and administrators add
and change policies and enter the State Council's days."""

import datetime

from kefu.promises import services_policies
from kefu.promises.models import WorkCalendar
from tests.guards.matrix import Call, Op

READERS = frozenset({"agent", "supervisor", "sales", "centre", "manager", "admin"})
EDITORS = frozenset({"manager", "admin"})


def _calendar() -> WorkCalendar:
    return WorkCalendar.objects.get(code="always")


def _policy_body(world) -> dict:
    # Inactive: an active copy would overlap the previous caller's (a 422 by design).
    return {
        "name": world.unique("测试承诺"),
        "calendar": _calendar().pk,
        "ticket_type": "repair",
        "active": False,
        "targets": {"first_response": 120, "resolution": 4320},
    }


def _fresh_policy(world):
    return services_policies.create_policy(
        by=None,
        name=world.unique("待修改承诺"),
        calendar=_calendar(),
        active=False,
        targets={"first_response": 60},
    )


def get_policy(world, user):
    return Call(path={"policy": _calendar_policy().pk})


def _calendar_policy():
    from kefu.promises.models import PromisePolicy

    return PromisePolicy.objects.get(code="standard")


def update_policy(world, user):
    policy = _fresh_policy(world)
    return Call(path={"policy": policy.pk}, body={"version": policy.version, "description": "按新标准执行"})


def create_day(world, user):
    day = datetime.date(2031, 1, 1) + datetime.timedelta(days=next(world.counter))
    return Call(body={"date": day.isoformat(), "kind": "holiday", "name": "测试假日"})


ACCESS = {
    "list_promise_policies": Op(READERS, lambda world, user: Call(query={"active": "true"})),
    "get_promise_policy": Op(READERS, get_policy),
    "create_promise_policy": Op(EDITORS, lambda world, user: Call(body=_policy_body(world))),
    "update_promise_policy": Op(EDITORS, update_policy),
    "list_business_days": Op(READERS, lambda world, user: Call(query={"year": 2026})),
    "create_business_day": Op(EDITORS, create_day),
}
