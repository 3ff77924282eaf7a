"""Complaints and problems on the customer's 360° timeline: each line under the "complaints" filter,
in the reader's language."""

import pytest
from django.utils import translation

from kefu.complaints import services, services_problems
from kefu.complaints.models import ComplaintCause
from kefu.customers import timeline
from kefu.tickets import services as ticket_services
from tests.factories import customer_with_phone

pytestmark = pytest.mark.django_db


def test_a_complaints_story_reads_on_the_customers_timeline(agent_client, agent, supervisor):
    customer = customer_with_phone()
    ticket = ticket_services.open_ticket(
        by=agent, customer=customer, subject="送错型号", type="complaint", channel="phone"
    )
    services.update_complaint(
        ticket=ticket,
        by=agent,
        version=1,
        cause=ComplaintCause.objects.get(code="not_our_fault"),
        fault_party="customer",
        outcome="resolved_not_our_fault",
    )
    services.add_compensation(ticket=ticket, by=agent, kind="gift", value="50", approved_by=supervisor)
    services.escalate_to_hq(ticket=ticket, by=supervisor, reason="客户要求总部答复")
    problem = services_problems.create_problem(
        by=supervisor, title="物流错发型号", owner=supervisor, corrective_action="出库扫码核对型号"
    )
    services_problems.link_ticket(problem=problem, ticket=ticket, by=agent)
    services_problems.close_problem(problem=problem, by=supervisor)

    answer = agent_client.get(
        f"/api/v1/customers/{customer.pk}/timeline?kind=complaints", headers={"Accept-Language": "en"}
    )
    assert answer.status_code == 200
    kinds = [item["kind"] for item in answer.json()["items"]]
    assert kinds == [
        "problem_closed",
        "problem_linked",
        "complaint_escalated_hq",
        "complaint_compensation",
        "complaint_classified",
    ]
    texts = [item["text"] for item in answer.json()["items"]]
    assert "Resolved although not our fault" in texts[-1]
    assert "¥50.00" in texts[-2]
    assert set(timeline.FILTERS["complaints"].kinds) >= set(kinds)
    with translation.override("zh-hans"):
        assert timeline.describe(
            type("E", (), {"kind": "complaint_apology", "data": {"number": "KF1", "method": "phone"}})()
        )
