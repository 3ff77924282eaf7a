"""Who may call the complaints' and problems' operations (the role × operation matrix,
tests/guards/test_access_matrix.py), as docs/user-guide.md says: everyone who works tickets reads
and records complaints, apologies and compensation and links tickets to problems; supervisors and
managers escalate to HQ; supervisors and managers open, change and close problems; administrators
hold what managers hold. A technician has no part in complaints."""

from kefu.complaints import services_problems
from kefu.tickets import services as ticket_services
from tests.guards.matrix import Call, Op

READERS = frozenset({"agent", "supervisor", "sales", "centre", "manager", "admin"})
RECORDERS = READERS
ESCALATORS = frozenset({"supervisor", "manager", "admin"})
PROBLEM_EDITORS = frozenset({"supervisor", "manager", "admin"})


def _complaint(world):
    return ticket_services.open_ticket(
        by=world.users["agent"],
        customer=world.customer,
        subject=world.unique("送错型号"),
        type="complaint",
        channel="phone",
    )


def _problem(world, **fields):
    values = {"title": world.unique("老鼠咬断光缆"), "owner": world.users["supervisor"], **fields}
    return services_problems.create_problem(by=world.users["supervisor"], **values)


def on_complaint(world, user, body=None):
    return Call(path={"ticket": _complaint(world).pk}, body=body)


def classify(world, user):
    body = {"version": 1, "cause": "attitude", "severity": "major", "fault_party": "us", "outcome": "open"}
    return on_complaint(world, user, body)


def compensate(world, user):
    return on_complaint(
        world, user, {"kind": "gift", "value": "50.00", "approved_by": world.users["supervisor"].pk}
    )


def escalate(world, user):
    return on_complaint(world, user, {"reason": "客户投诉到总部"})


def update_problem(world, user):
    problem = _problem(world)
    return Call(path={"problem": problem.pk}, body={"version": problem.version, "status": "in_progress"})


def link(world, user):
    return Call(path={"problem": _problem(world).pk}, body={"ticket": world.ticket.number})


def close(world, user):
    return Call(path={"problem": _problem(world, corrective_action="改用防鼠咬光缆").pk}, body={})


ACCESS = {
    "get_complaint": Op(READERS, on_complaint),
    "update_complaint": Op(RECORDERS, classify),
    "list_compensations": Op(READERS, on_complaint),
    "add_compensation": Op(RECORDERS, compensate),
    "escalate_complaint_to_hq": Op(ESCALATORS, escalate),
    "list_problems": Op(READERS, lambda world, user: Call(query={"status": "open"})),
    "create_problem": Op(
        PROBLEM_EDITORS, lambda world, user: Call(body={"title": world.unique("热水器报E1")})
    ),
    "get_problem": Op(READERS, lambda world, user: Call(path={"problem": _problem(world).pk})),
    "update_problem": Op(PROBLEM_EDITORS, update_problem),
    "link_problem_ticket": Op(READERS, link),
    "close_problem": Op(PROBLEM_EDITORS, close),
}
