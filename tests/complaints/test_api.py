"""Complaints and problems through /api/v1/: each answer, each documented refusal (status, code,
field, nothing written), idempotent creates, versions, and what a problems' page costs."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from kefu.complaints import services, services_problems
from kefu.complaints.models import Compensation, Complaint, ComplaintTally, Problem, ProblemTicket
from kefu.core.models import AuditEvent
from kefu.notifications.models import Notification, OutboxMessage
from kefu.tickets import services as ticket_services
from tests.factories import customer_with_phone
from tests.refusals import assert_refused
from tests.tickets.test_api import send

pytestmark = pytest.mark.django_db


@pytest.fixture
def complaint(agent):
    return ticket_services.open_ticket(
        by=agent, customer=customer_with_phone(), subject="送错型号", type="complaint", channel="phone"
    )


@pytest.fixture
def repair(agent):
    return ticket_services.open_ticket(
        by=agent,
        customer=customer_with_phone("+8613900000009"),
        subject="空调不制冷",
        type="repair",
        channel="phone",
    )


def written() -> tuple:
    return (
        tuple(Complaint.objects.values_list("ticket_id", "version", "cause_id", "outcome")),
        Compensation.objects.count(),
        tuple(Problem.objects.values_list("id", "version", "status")),
        ProblemTicket.objects.count(),
        AuditEvent.objects.count(),
        tuple(ComplaintTally.objects.values_list("cause", "complaints", "resolved_not_our_fault")),
        Notification.objects.count(),
        OutboxMessage.objects.count(),
    )


def put_body(**fields) -> dict:
    return {
        "version": 1,
        "cause": "delivery_error",
        "severity": "major",
        "fault_party": "us",
        "outcome": "open",
        **fields,
    }


# --- The complaint ---------------------------------------------------------------------------------


def test_a_complaint_is_read_and_classified_by_number(agent_client, complaint):
    answer = agent_client.get(f"/api/v1/tickets/{complaint.number}/complaint")
    assert answer.status_code == 200
    assert answer.json()["cause"] is None
    assert answer.json()["version"] == 1
    answer = send(agent_client, "put", f"/tickets/{complaint.pk}/complaint", put_body())
    assert answer.status_code == 200, answer.content
    body = answer.json()
    assert (body["cause"], body["severity"], body["version"]) == ("delivery_error", "major", 2)
    assert body["resolved_not_our_fault"] is False
    assert set(ComplaintTally.objects.values_list("cause", "complaints")) == {("", 0), ("delivery_error", 1)}


def test_resolved_although_not_our_fault_is_shown_as_such(agent_client, complaint):
    body = put_body(cause="not_our_fault", fault_party="third_party", outcome="resolved_not_our_fault")
    answer = send(agent_client, "put", f"/tickets/{complaint.pk}/complaint", body)
    assert answer.json()["resolved_not_our_fault"] is True
    assert ComplaintTally.objects.get(cause="not_our_fault").resolved_not_our_fault == 1


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        (put_body(cause="weather"), 422, "cause"),
        (put_body(outcome="resolved_not_our_fault"), 422, "outcome"),
        (put_body(severity="huge"), 400, "severity"),
        ({"cause": None, "severity": "minor", "fault_party": "us", "outcome": "open"}, 400, "version"),
        (put_body(extra=1), 400, "extra"),
    ],
)
def test_a_bad_classification_is_refused_with_nothing_written(agent_client, complaint, body, status, field):
    before = written()
    assert_refused(send(agent_client, "put", f"/tickets/{complaint.pk}/complaint", body), status, field)
    assert written() == before


def test_a_stale_version_is_a_409_with_the_current_version(agent_client, complaint):
    send(agent_client, "put", f"/tickets/{complaint.pk}/complaint", put_body())
    before = written()
    answer = send(agent_client, "put", f"/tickets/{complaint.pk}/complaint", put_body(severity="critical"))
    body = assert_refused(answer, 409, code="stale_version")
    assert body["current_version"] == 2
    assert written() == before


def test_a_ticket_that_is_no_complaint_is_404_to_read_and_409_to_write(agent_client, supervisor, repair):
    assert_refused(agent_client.get(f"/api/v1/tickets/{repair.pk}/complaint"), 404, code="not_found")
    assert_refused(agent_client.get(f"/api/v1/tickets/{repair.pk}/compensations"), 404, code="not_found")
    before = written()
    answer = send(agent_client, "put", f"/tickets/{repair.pk}/complaint", put_body())
    assert_refused(answer, 409, code="not_a_complaint")
    answer = send(
        agent_client,
        "post",
        f"/tickets/{repair.pk}/compensations",
        {"kind": "gift", "value": "10", "approved_by": supervisor.pk},
    )
    assert_refused(answer, 409, code="not_a_complaint")
    assert written() == before


def test_a_technician_may_not_read_complaints(client, technician, complaint):
    client.force_login(technician)
    assert_refused(client.get(f"/api/v1/tickets/{complaint.pk}/complaint"), 403, code="forbidden")


# --- Compensation ----------------------------------------------------------------------------------


def test_a_compensation_is_created_once_per_idempotency_key(agent_client, supervisor, complaint):
    body = {"kind": "refund", "value": "299.00", "approved_by": supervisor.pk, "description": "退差价"}
    path = f"/tickets/{complaint.pk}/compensations"
    first = send(agent_client, "post", path, body, **{"Idempotency-Key": "comp-1"})
    again = send(agent_client, "post", path, body, **{"Idempotency-Key": "comp-1"})
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json()
    assert first.json()["value"] == "299.00"
    assert first.json()["approved_by"] == supervisor.pk
    assert Compensation.objects.count() == 1
    listed = agent_client.get(f"/api/v1{path}").json()
    assert [item["id"] for item in listed["items"]] == [first.json()["id"]]
    assert listed["next_cursor"] is None


@pytest.mark.parametrize(
    ("value", "approver", "status", "field"),
    [
        ("-5", "supervisor", 400, "value"),
        ("99999999.99", "supervisor", 422, "value"),
        ("10", "agent", 422, "approved_by"),
        ("10", "nobody", 422, "approved_by"),
        (5, "supervisor", 400, "value"),
    ],
)
def test_a_bad_compensation_is_refused_with_nothing_written(
    agent_client, agent, supervisor, complaint, value, approver, status, field
):
    ids = {"supervisor": supervisor.pk, "agent": agent.pk, "nobody": 987654}
    before = written()
    body = {"kind": "gift", "value": value, "approved_by": ids[approver]}
    assert_refused(send(agent_client, "post", f"/tickets/{complaint.pk}/compensations", body), status, field)
    assert written() == before


# --- Escalation to HQ ------------------------------------------------------------------------------


def test_a_supervisor_escalates_once_and_the_managers_are_told(client, supervisor, manager, complaint):
    client.force_login(supervisor)
    path = f"/tickets/{complaint.pk}/escalate-to-hq"
    answer = send(
        client,
        "post",
        path,
        {"reason": "客户投诉到总部", "apology_visit_on": "2031-01-02", "apology_visit_by": "区域经理"},
    )
    assert answer.status_code == 200, answer.content
    assert answer.json()["escalated_to_hq_at"]
    assert answer.json()["apology_visit_on"] == "2031-01-02"
    assert Notification.objects.filter(recipient=manager).count() == 1
    before = written()
    assert_refused(send(client, "post", path, {"reason": "再来一次"}), 409, code="already_escalated")
    assert written() == before


def test_an_agent_may_not_escalate(agent_client, complaint):
    before = written()
    answer = send(agent_client, "post", f"/tickets/{complaint.pk}/escalate-to-hq", {"reason": "升级"})
    assert_refused(answer, 403, code="forbidden")
    assert written() == before


# --- Problems --------------------------------------------------------------------------------------


def test_problems_are_opened_linked_changed_and_closed(client, supervisor, agent, complaint, repair):
    client.force_login(supervisor)
    answer = send(
        client, "post", "/problems", {"title": "沙漠站点老鼠咬断光缆"}, **{"Idempotency-Key": "p-1"}
    )
    assert answer.status_code == 201, answer.content
    problem = answer.json()
    assert (problem["owner"], problem["status"], problem["tickets"]) == (supervisor.pk, "open", [])
    path = f"/problems/{problem['id']}"
    linked = send(client, "post", f"{path}/tickets", {"ticket": complaint.number})
    assert linked.status_code == 201
    assert [t["number"] for t in linked.json()["tickets"]] == [complaint.number]
    assert send(client, "post", f"{path}/tickets", {"ticket": str(complaint.pk)}).status_code == 200
    send(client, "post", f"{path}/tickets", {"ticket": repair.number})
    changed = send(
        client, "patch", path, {"version": 1, "corrective_action": "改用防鼠咬光缆", "status": "in_progress"}
    )
    assert changed.status_code == 200
    assert changed.json()["version"] == 2
    closed = send(client, "post", f"{path}/close", {"version": 2})
    assert closed.status_code == 200, closed.content
    assert (closed.json()["status"], closed.json()["customers_told"]) == ("closed", 2)
    again = send(client, "post", f"{path}/close", {})
    assert (again.status_code, again.json()["customers_told"]) == (200, 0)
    assert OutboxMessage.objects.count() == 2
    listed = client.get("/api/v1/problems?status=closed").json()
    assert [item["id"] for item in listed["items"]] == [problem["id"]]
    assert listed["items"][0]["ticket_count"] == 2


def test_closing_without_a_corrective_action_is_a_422_with_nothing_written(client, supervisor):
    client.force_login(supervisor)
    problem = services_problems.create_problem(by=supervisor, title="热水器频繁报E1", owner=supervisor)
    before = written()
    assert_refused(send(client, "post", f"/problems/{problem.pk}/close", {}), 422, "corrective_action")
    assert written() == before


def test_linking_a_ticket_the_caller_may_not_see_is_a_404(client, supervisor, technician, repair):
    # A technician sees only the tickets they own or help with; give one the right to link.
    from django.contrib.auth.models import Permission

    technician.user_permissions.add(
        Permission.objects.get(codename="add_problemticket"), Permission.objects.get(codename="view_problem")
    )
    problem = services_problems.create_problem(by=supervisor, title="安装师傅未带工具", owner=supervisor)
    client.force_login(technician)
    before = written()
    answer = send(client, "post", f"/problems/{problem.pk}/tickets", {"ticket": repair.number})
    assert_refused(answer, 404, code="not_found")
    assert written() == before


def test_a_stale_problem_version_is_a_409(client, supervisor):
    client.force_login(supervisor)
    problem = services_problems.create_problem(by=supervisor, title="冰箱门封条老化", owner=supervisor)
    services_problems.update_problem(problem=problem, by=supervisor, version=1, title="冰箱门封条批量老化")
    before = written()
    body = assert_refused(
        send(client, "patch", f"/problems/{problem.pk}", {"version": 1, "title": "x"}),
        409,
        code="stale_version",
    )
    assert body["current_version"] == 2
    assert written() == before


def test_an_agent_reads_problems_but_may_not_open_one(agent_client, agent):
    assert agent_client.get("/api/v1/problems").status_code == 200
    before = written()
    assert_refused(send(agent_client, "post", "/problems", {"title": "x"}), 403, code="forbidden")
    assert written() == before


@pytest.mark.parametrize("count", [3, 30])
def test_a_page_of_problems_costs_the_same_queries_however_many(client, supervisor, count):
    client.force_login(supervisor)
    for index in range(count):
        services_problems.create_problem(by=supervisor, title=f"问题{index}", owner=supervisor)
    client.get("/api/v1/problems?limit=2")  # warm the session and the permission caches
    with CaptureQueriesContext(connection) as counted:
        answer = client.get("/api/v1/problems?limit=25")
    assert answer.status_code == 200
    assert len(answer.json()["items"]) == min(count, 25)
    assert len(counted) <= 4, [query["sql"] for query in counted]


def test_an_unknown_problem_is_a_404(agent_client):
    assert_refused(agent_client.get("/api/v1/problems/987654"), 404, code="not_found")
    assert services.MAX_COMPENSATION > 0
