"""The complaints' part of the demo data (`make run`): a few complaints with their causes — one
resolved although not our fault, one with an apology and a compensation, one escalated to HQ with
an apology visit — and a problem (root cause) with tickets linked to it. Everything goes through
the services, so the tallies, the timelines and the notices are real. Idempotent: nothing is added
once a problem exists."""

import datetime

from django.contrib.auth import get_user_model
from django.utils import timezone

from kefu.core import generation

# (subject, cause code, severity, fault party, outcome)
STORIES = (
    (
        "空调安装后漏水，外机是物业指定的安装队装的",
        "not_our_fault",
        "major",
        "third_party",
        "resolved_not_our_fault",
    ),
    ("承诺两小时上门，师傅晚到一天", "promise_not_kept", "major", "us", "resolved"),
    ("送货送错型号，客户投诉到总部", "delivery_error", "critical", "us", "open"),
    ("客服电话里态度生硬", "attitude", "minor", "us", "open"),
)


def _user(username: str):
    return get_user_model().objects.filter(username=username, is_active=True).first()


def load_demo(counts, seed: int | None) -> list[str]:
    from kefu.complaints import services, services_problems
    from kefu.complaints.models import ComplaintCause, Problem
    from kefu.customers.models import Customer
    from kefu.tickets import services as ticket_services
    from kefu.tickets.models import Ticket

    if Problem.objects.exists():
        return ["There is a problem already: no demo complaints added."]
    agent, supervisor, manager = _user("agent"), _user("supervisor"), _user("manager")
    customers = list(Customer.objects.filter(merged_into__isnull=True).order_by("id")[: len(STORIES)])
    if agent is None or supervisor is None or not customers:
        return ["No demo staff or customers: no demo complaints added."]
    today = timezone.localdate()
    tickets = []
    for (subject, code, severity, fault, outcome), customer in zip(STORIES, customers, strict=False):
        ticket = ticket_services.open_ticket(
            by=agent, customer=customer, subject=subject, type="complaint", channel="phone"
        )
        services.update_complaint(
            ticket=ticket,
            by=agent,
            version=1,
            cause=ComplaintCause.objects.get(code=code),
            severity=severity,
            fault_party=fault,
            outcome=outcome,
        )
        tickets.append(ticket)
    if len(tickets) > 1:
        services.record_apology(
            ticket=tickets[1], by=agent, method="phone", made_on=today, notes="致电道歉，说明晚到原因"
        )
        services.add_compensation(
            ticket=tickets[1],
            by=agent,
            kind="free_service",
            value="0",
            approved_by=supervisor,
            description="免费清洗空调一次",
        )
        services.add_compensation(
            ticket=tickets[1],
            by=agent,
            kind="gift",
            value="128.00",
            approved_by=supervisor,
            description="赠送电风扇一台",
        )
    if len(tickets) > 2:
        services.escalate_to_hq(
            ticket=tickets[2],
            by=supervisor,
            reason="送错型号且延误，客户致电总部投诉",
            apology_visit_on=today + datetime.timedelta(days=1),
            apology_visit_by="区域服务经理",
        )
    owner = manager or supervisor
    problem = services_problems.create_problem(
        by=supervisor,
        title="西北沙漠站点光缆被老鼠咬断",
        description="多个站点反复断网，现场发现光缆外皮被啃咬。",
        corrective_action="改用防鼠咬铠装光缆，并在机柜入口加装防鼠板",
        owner=owner,
    )
    linked = 0
    for ticket in Ticket.objects.exclude(type="complaint").order_by("id")[:3]:
        services_problems.link_ticket(problem=problem, ticket=ticket, by=supervisor)
        linked += 1
    return [
        f"Complaints: {len(tickets)} demo complaints classified (one resolved although not our fault, one "
        f"compensated, one escalated to HQ); a problem with {linked} linked tickets."
    ]


DEMO_STEP = generation.DemoStep(name="complaints", options=(), load=load_demo)


def register() -> None:
    if DEMO_STEP.name not in generation.DEMO_STEPS:
        generation.register_demo_step(DEMO_STEP)
