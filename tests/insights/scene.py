"""A small known data set for the figures, every number of it computed by hand in the tests.

Two weeks, W1 (Monday 2026-06-01) and W2 (2026-06-08), and one week before them that no figure of
the range may count (W0, 2026-05-25). The satisfaction tally per agent (answers, not satisfied):

    agent   W1       W2       range        per hundred
    a1      40, 2    10, 1    50, 3        6.0
    a2      20, 0    20, 2    40, 2        5.0
    a3      10, 1    —        10, 1        10.0   (fewer than 30 answers: left out of the spread)
    ""      —        5, 0     5, 0         0.0    (no agent recorded)
    every   70, 3    35, 3    105, 6       5.714…  (W1 4.2857…, W2 8.5714…)

per region: 广东 60,2 + 20,3 = 80,5 (6.25); 浙江 10,1 + 15,0 = 25,1 (4.0); every answer by phone.
W0 holds 1000 answers, 500 not satisfied, in every dimension: a figure that counted them would
be far off.

The complaint tally (complaints, resolved although not our fault):

    cause               W1      W2      range
    product_quality     6, 0    4, 0    10, 0
    promise_not_kept    —       5, 2    5, 2
    attitude            3, 0    —       3, 0
    not_our_fault       —       1, 1    1, 1
    "" (unclassified)   1, 0    —       1, 0
    every cause                         20, 3      (W0: 100 more)

Customers' moods (now = the test's clock): c1 unhappy 5 days ago, never happy (at risk);
c2 unhappy 5 days ago, happy 2 days ago (not); c3 unhappy 200 days ago (not within 90 days);
c4 happy 10 days ago, unhappy 3 days ago (at risk). At risk, most recent first: c4, c1.
"""

import datetime
from dataclasses import dataclass

from django.utils import timezone

from kefu.accounts.models import Team, User
from kefu.complaints.models import Complaint, ComplaintCause, ComplaintTally
from kefu.customers.models import Customer
from kefu.feedback.models import CustomerMood, SatisfactionTally, Survey
from kefu.tickets import services as ticket_services
from kefu.tickets.models import Ticket
from tests.factories import customer_with_phone, make_user

W0 = datetime.date(2026, 5, 25)
W1 = datetime.date(2026, 6, 1)
W2 = datetime.date(2026, 6, 8)
RANGE = {"from": "2026-06-01", "to": "2026-06-14"}
CAUSES = {
    "promise_not_kept": ("服务承诺未兑现", 1),
    "expectation_gap": ("期望落差", 2),
    "product_quality": ("产品质量", 3),
    "attitude": ("服务态度", 4),
    "delivery_error": ("送货差错", 5),
    "not_our_fault": ("非我方责任", 6),
    "other": ("其他", 7),
}


@dataclass
class Scene:
    a1: User
    a2: User
    a3: User
    team: Team
    customers: dict[str, Customer]
    tickets: list[Ticket]
    now: datetime.datetime


def _tally(week, dimension, key, answered, dissatisfied):
    SatisfactionTally.objects.create(
        week=week, dimension=dimension, key=key, answered=answered, dissatisfied=dissatisfied
    )


def build(supervisor) -> Scene:
    a1 = make_user("agent", username="fig-a1", display_name="一号坐席")
    a2 = make_user("agent", username="fig-a2", display_name="二号坐席")
    a3 = make_user("agent", username="fig-a3", display_name="三号坐席")
    team = Team.objects.create(name="图表热线组", supervisor=supervisor)
    customers = {
        name: customer_with_phone(f"+8613800000{index:03d}", name=f"客户{name}")
        for index, name in enumerate(("c1", "c2", "c3", "c4"), 1)
    }
    tickets = [
        ticket_services.open_ticket(
            by=a1, customer=customers["c1"], subject=f"投诉 {index}", type="complaint", channel="phone"
        )
        for index in range(3)
    ]
    # Whatever the services' hooks counted for these tickets: the figures read only what follows.
    SatisfactionTally.objects.all().delete()
    ComplaintTally.objects.all().delete()
    CustomerMood.objects.all().delete()
    Survey.objects.all().delete()

    a1k, a2k, a3k = str(a1.pk), str(a2.pk), str(a3.pk)
    for week, agent, answered, unhappy in [
        (W1, a1k, 40, 2),
        (W2, a1k, 10, 1),
        (W1, a2k, 20, 0),
        (W2, a2k, 20, 2),
        (W1, a3k, 10, 1),
        (W2, "", 5, 0),
    ]:
        _tally(week, "agent", agent, answered, unhappy)
    for week, answered, unhappy in [(W1, 70, 3), (W2, 35, 3)]:
        _tally(week, "all", "", answered, unhappy)
        _tally(week, "channel", "phone", answered, unhappy)
        _tally(week, "team", str(team.pk), answered, unhappy)
    for week, region, answered, unhappy in [
        (W1, "广东省", 60, 2),
        (W2, "广东省", 20, 3),
        (W1, "浙江省", 10, 1),
        (W2, "浙江省", 15, 0),
    ]:
        _tally(week, "region", region, answered, unhappy)
    for dimension, key in [
        ("all", ""),
        ("agent", a1k),
        ("region", "广东省"),
        ("channel", "phone"),
        ("team", str(team.pk)),
    ]:
        _tally(W0, dimension, key, 1000, 500)

    for code, (name, order) in CAUSES.items():
        ComplaintCause.objects.update_or_create(code=code, defaults={"name": name, "sort_order": order})
    for week, cause, complaints, not_ours in [
        (W1, "product_quality", 6, 0),
        (W2, "product_quality", 4, 0),
        (W2, "promise_not_kept", 5, 2),
        (W1, "attitude", 3, 0),
        (W2, "not_our_fault", 1, 1),
        (W1, "", 1, 0),
        (W0, "attitude", 100, 0),
    ]:
        ComplaintTally.objects.create(
            week=week, cause=cause, complaints=complaints, resolved_not_our_fault=not_ours
        )

    # The complaints behind two bars (the click-through): two of product quality, one unclassified.
    quality = ComplaintCause.objects.get(code="product_quality")
    for ticket, cause, week in [(tickets[0], quality, W1), (tickets[1], quality, W2), (tickets[2], None, W1)]:
        Complaint.objects.update_or_create(ticket=ticket, defaults={"cause": cause, "week": week})

    now = timezone.now()
    day = datetime.timedelta(days=1)
    for name, unhappy, happy in [
        ("c1", now - 5 * day, None),
        ("c2", now - 5 * day, now - 2 * day),
        ("c3", now - 200 * day, None),
        ("c4", now - 3 * day, now - 10 * day),
    ]:
        CustomerMood.objects.create(
            customer=customers[name], last_unhappy_at=unhappy, last_happy_at=happy, unhappy_ticket=tickets[0]
        )
    return Scene(a1, a2, a3, team, customers, tickets, now)


def answer(
    ticket: Ticket, *, at: datetime.datetime, satisfied: bool, agent=None, region="广东省", **fields
) -> Survey:
    """An answered survey row, its dimensions given (the click-through lists read these)."""
    return Survey.objects.create(
        subject_kind="ticket",
        subject_id=ticket.pk,
        ticket=ticket,
        customer_id=ticket.customer_id,
        agent=agent,
        region=region,
        channel="phone",
        created_at=at - datetime.timedelta(hours=2),
        expires_at=at + datetime.timedelta(days=7),
        answered_at=at,
        is_satisfied=satisfied,
        answered_via="link",
        **fields,
    )
