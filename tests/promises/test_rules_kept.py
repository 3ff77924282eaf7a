"""The rules a process keeps (decision 0028): the active policies, their targets and calendars are
read again only when the rules' generation token changed, and every way of changing them changes
it — a service, a bulk update, a target, a calendar's hours, a business day — so a ticket opened
after the change follows the new rules, in this transaction and in any other process."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from kefu.core.db.statements import executable
from kefu.core.models import BusinessDay, DayKind
from kefu.promises import policies
from kefu.promises.models import (
    CalendarKind,
    PolicyTarget,
    PromiseKind,
    PromisePolicy,
    TicketPromise,
    WorkCalendar,
    WorkingHours,
)
from tests.promises.scene import make_policy, open_ticket

pytestmark = pytest.mark.django_db

FIRST = PromiseKind.FIRST_RESPONSE


def minutes_promised(ticket) -> int:
    return TicketPromise.objects.get(ticket=ticket, kind=FIRST).minutes


def due(ticket) -> datetime.datetime:
    return TicketPromise.objects.get(ticket=ticket, kind=FIRST).due_at


@pytest.fixture
def policy(db):
    policies.forget_rules()
    return make_policy({FIRST: 120})


def test_the_rules_are_read_once_while_nothing_changes(agent, policy):
    open_ticket(agent)
    with CaptureQueriesContext(connection) as queries:
        open_ticket(agent)
    rule_reads = [
        query["sql"]
        for query in queries
        if any(table in query["sql"] for table in ("promises_promisepolicy", "promises_workcalendar"))
    ]
    assert rule_reads == []
    # On PostgreSQL the read is sent as the EXECUTE of the statement prepared on the connection.
    generation_reads = (policies.GENERATION_SQL, executable(policies.GENERATION_SQL))
    assert sum(query["sql"] in generation_reads for query in queries) == 1


def test_a_token_changes_with_every_write_to_the_rules(policy):
    before = policies.generation()
    assert before
    tokens = [before]

    def changed() -> bool:
        tokens.append(policies.generation())
        return tokens[-1] != tokens[-2]

    PromisePolicy.objects.filter(pk=policy.pk).update(escalate_hq_after=60)
    assert changed()
    PolicyTarget.objects.filter(policy=policy).update(minutes=30)
    assert changed()
    WorkCalendar.objects.filter(pk=policy.calendar_id).update(name="改名")
    assert changed()
    BusinessDay.objects.create(date=datetime.date(2031, 1, 2), kind=DayKind.HOLIDAY, name="测试")
    assert changed()
    BusinessDay.objects.filter(date=datetime.date(2031, 1, 2)).delete()
    assert changed()
    assert len(set(tokens)) == len(tokens)


def test_a_new_target_applies_to_the_next_ticket(agent, policy):
    assert minutes_promised(open_ticket(agent)) == 120
    PolicyTarget.objects.filter(policy=policy, kind=FIRST).update(minutes=30)
    assert minutes_promised(open_ticket(agent)) == 30


def test_a_policy_switched_off_or_replaced_applies_to_the_next_ticket(agent, policy):
    assert TicketPromise.objects.filter(ticket=open_ticket(agent)).exists()
    PromisePolicy.objects.update(active=False)
    assert not TicketPromise.objects.filter(ticket=open_ticket(agent)).exists()
    make_policy({FIRST: 45}, name="新承诺")
    assert minutes_promised(open_ticket(agent)) == 45


def test_new_working_hours_apply_to_the_next_ticket(agent, policy):
    office = WorkCalendar.objects.create(
        name="测试 办公", kind=CalendarKind.WORKING_HOURS, uses_business_days=False
    )
    for weekday in range(7):
        WorkingHours.objects.create(
            calendar=office, weekday=weekday, start=datetime.time(9), end=datetime.time(18)
        )
    PromisePolicy.objects.filter(pk=policy.pk).update(calendar=office)
    first = open_ticket(agent)
    WorkingHours.objects.filter(calendar=office).update(end=datetime.time(9, 30))
    second = open_ticket(agent)
    # Same start hour, a shorter day: the same two hours of work end later.
    assert due(second) - second.created_at > due(first) - first.created_at


def test_another_process_sees_the_change_through_the_token(agent, policy):
    """What a second worker would have kept: rules loaded under the old token are not used."""
    open_ticket(agent)
    kept = policies.rules()
    PolicyTarget.objects.filter(policy=policy, kind=FIRST).update(minutes=15)
    assert policies.rules() is not kept
    assert minutes_promised(open_ticket(agent)) == 15
