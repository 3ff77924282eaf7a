"""The complaints' part of the demo data (`make run`): the demo's complaint tickets get their
causes — the first resolved although not our fault, the second an apology and compensation, the
third escalated to HQ with an apology visit — and a problem (root cause) gets repair tickets linked
to it. No ticket is opened here. Everything goes through the services, so the tallies, the
timelines and the notices are real. Idempotent: nothing is added once a problem exists."""

import datetime
import random

from django.contrib.auth import get_user_model
from django.utils import timezone

from kefu.core import generation

# The first complaints of the demo tickets get these stories: (cause code, severity, fault party,
# outcome); the others a cause drawn by these weights (the Pareto's bars), resolved when their
# ticket is. Index 1 gets an apology and compensation, index 2 the escalation to HQ.
STORIES = (
    ("not_our_fault", "major", "third_party", "resolved_not_our_fault"),
    ("promise_not_kept", "major", "us", "resolved"),
    ("delivery_error", "critical", "us", "open"),
)
CAUSE_WEIGHTS = (
    ("promise_not_kept", 30),
    ("attitude", 20),
    ("product_quality", 20),
    ("delivery_error", 10),
    ("expectation_gap", 10),
    ("other", 5),
    ("not_our_fault", 5),
)


def _user(username: str):
    return get_user_model().objects.filter(username=username, is_active=True).first()


def _story(rng: random.Random, index: int, ticket) -> tuple[str, str, str, str]:
    if index < len(STORIES):
        return STORIES[index]
    codes, weights = zip(*CAUSE_WEIGHTS, strict=True)
    code = rng.choices(codes, weights)[0]
    done = ticket.status in ("resolved", "closed")
    if code == "not_our_fault":
        return code, "minor", "customer", "resolved_not_our_fault" if done else "open"
    return code, rng.choice(("minor", "minor", "major")), "us", "resolved" if done else "open"


def load_demo(counts, seed: int | None) -> list[str]:
    from kefu.complaints import services, services_problems
    from kefu.complaints.models import ComplaintCause, Problem
    from kefu.tickets.models import Ticket

    if Problem.objects.exists():
        return ["There is a problem already: no demo complaints added."]
    agent, supervisor, manager = _user("agent"), _user("supervisor"), _user("manager")
    if agent is None or supervisor is None:
        return ["No demo staff: no demo complaints added."]
    rng = random.Random(seed)
    today = timezone.localdate()
    causes = {cause.code: cause for cause in ComplaintCause.objects.all()}
    # The demo's complaint tickets (the tickets' demo opened them; each already has its row).
    tickets = list(
        Ticket.objects.filter(type="complaint", complaint__isnull=False).order_by("created_at", "id")
    )
    for index, ticket in enumerate(tickets):
        code, severity, fault, outcome = _story(rng, index, ticket)
        services.update_complaint(
            ticket=ticket,
            by=agent,
            version=ticket.complaint.version,
            cause=causes[code],
            severity=severity,
            fault_party=fault,
            outcome=outcome,
        )
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
    problem = services_problems.create_problem(
        by=supervisor,
        title="西北沙漠站点光缆被老鼠咬断",
        description="多个站点反复断网，现场发现光缆外皮被啃咬。",
        corrective_action="改用防鼠咬铠装光缆，并在机柜入口加装防鼠板",
        owner=manager or supervisor,
    )
    linked = 0
    for ticket in Ticket.objects.filter(type="repair").order_by("id")[:3]:
        services_problems.link_ticket(problem=problem, ticket=ticket, by=supervisor)
        linked += 1
    return [
        f"Complaints: {len(tickets)} demo complaints classified (the first resolved although not our fault, "
        f"the second compensated, the third escalated to HQ); a problem with {linked} linked tickets."
    ]


DEMO_STEP = generation.DemoStep(name="complaints", options=(), load=load_demo)


def register() -> None:
    if DEMO_STEP.name not in generation.DEMO_STEPS:
        generation.register_demo_step(DEMO_STEP)
