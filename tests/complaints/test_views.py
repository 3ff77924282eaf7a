"""The complaints' pages: the complaint's card on the ticket page and its forms, the achievement
badge, the complaints' list, the problems' list and page; refusals write nothing; lists cost the
same queries however long."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from kefu.complaints import services, services_problems
from kefu.complaints.models import Apology, Compensation, Complaint, ComplaintCause, Problem, ProblemTicket
from kefu.core.models import AuditEvent
from kefu.notifications.models import OutboxMessage
from kefu.tickets import services as ticket_services
from tests.factories import customer_with_phone

pytestmark = pytest.mark.django_db


@pytest.fixture
def complaint(agent):
    return ticket_services.open_ticket(
        by=agent, customer=customer_with_phone(), subject="送错型号", type="complaint", channel="phone"
    )


def ticket_page(client, ticket):
    return client.get(reverse("tickets:detail", args=[ticket.number]))


def written() -> tuple:
    return (
        tuple(
            Complaint.objects.values_list("ticket_id", "version", "cause_id", "outcome", "escalated_to_hq_at")
        ),
        Apology.objects.count(),
        Compensation.objects.count(),
        tuple(Problem.objects.values_list("id", "version", "status")),
        ProblemTicket.objects.count(),
        AuditEvent.objects.count(),
        OutboxMessage.objects.count(),
    )


def test_the_complaint_card_shows_its_forms_to_an_agent(agent_client, complaint):
    page = ticket_page(agent_client, complaint).content.decode()
    assert 'id="complaint-card"' in page
    assert 'id="complaint-classify"' in page
    assert 'id="complaint-compensation"' in page
    assert 'id="complaint-escalate"' not in page  # supervisors and managers escalate


def test_classifying_on_the_page_shows_the_achievement(agent_client, complaint):
    cause = ComplaintCause.objects.get(code="not_our_fault")
    answer = agent_client.post(
        reverse("complaints:classify", args=[complaint.number]),
        {
            "cause": cause.pk,
            "severity": "major",
            "fault_party": "customer",
            "outcome": "resolved_not_our_fault",
            "version": 1,
        },
    )
    assert answer.status_code == 302
    page = ticket_page(agent_client, complaint).content.decode()
    assert 'data-achievement="not_our_fault"' in page
    assert 'id="ticket-achievement"' in page  # in the header too
    listed = agent_client.get(reverse("complaints:complaints")).content.decode()
    assert complaint.number in listed
    assert 'data-achievement="not_our_fault"' in listed


def test_a_bad_classification_on_the_page_is_a_422_and_writes_nothing(agent_client, complaint):
    before = written()
    answer = agent_client.post(
        reverse("complaints:classify", args=[complaint.number]),
        {
            "cause": "",
            "severity": "major",
            "fault_party": "us",
            "outcome": "resolved_not_our_fault",
            "version": 1,
        },
    )
    assert answer.status_code == 422
    assert written() == before


def test_an_apology_and_a_compensation_are_recorded_from_the_page(agent_client, supervisor, complaint):
    today = timezone.localdate().isoformat()
    agent_client.post(
        reverse("complaints:apology", args=[complaint.number]), {"method": "phone", "made_on": today}
    )
    answer = agent_client.post(
        reverse("complaints:compensation", args=[complaint.number]),
        {"kind": "gift", "value": "88", "approved_by": supervisor.pk, "description": "小家电一件"},
    )
    assert answer.status_code == 302
    page = ticket_page(agent_client, complaint).content.decode()
    assert "¥88.00" in page
    assert "小家电一件" in page
    assert Apology.objects.count() == 1


def test_a_compensation_approved_by_an_agent_is_refused_on_the_page(agent_client, agent, complaint):
    before = written()
    answer = agent_client.post(
        reverse("complaints:compensation", args=[complaint.number]),
        {"kind": "gift", "value": "88", "approved_by": agent.pk},
    )
    assert answer.status_code == 422
    assert written() == before


def test_a_supervisor_escalates_from_the_page(client, supervisor, manager, complaint):
    client.force_login(supervisor)
    assert 'id="complaint-escalate"' in ticket_page(client, complaint).content.decode()
    visit = (timezone.localdate() + datetime.timedelta(days=1)).isoformat()
    answer = client.post(
        reverse("complaints:escalate", args=[complaint.number]),
        {"reason": "客户投诉到总部", "apology_visit_on": visit, "apology_visit_by": "区域经理", "version": 1},
    )
    assert answer.status_code == 302
    page = ticket_page(client, complaint).content.decode()
    assert 'id="complaint-hq"' in page
    assert 'id="complaint-escalate"' not in page


def test_a_technician_sees_no_complaint_card_and_no_problems(client, technician, agent, complaint):
    ticket_services.add_collaborator(ticket=complaint, by=agent, user=technician)
    client.force_login(technician)
    assert 'id="complaint-card"' not in ticket_page(client, complaint).content.decode()
    assert client.get(reverse("complaints:problems")).status_code == 403


def test_a_problem_is_opened_linked_and_closed_from_its_pages(client, supervisor, complaint):
    client.force_login(supervisor)
    answer = client.post(
        reverse("complaints:problems"), {"title": "沙漠站点老鼠咬断光缆", "owner": supervisor.pk}
    )
    problem = Problem.objects.get()
    assert answer.status_code == 302
    assert answer["Location"] == reverse("complaints:problem", args=[problem.pk])
    client.post(reverse("complaints:link_ticket", args=[problem.pk]), {"ticket": complaint.number})
    page = client.get(reverse("complaints:problem", args=[problem.pk])).content.decode()
    assert complaint.number in page
    assert "沙漠站点老鼠咬断光缆" in ticket_page(client, complaint).content.decode()

    before = written()
    refused = client.post(reverse("complaints:close_problem", args=[problem.pk]), {"version": 1})
    assert refused.status_code == 422
    assert written() == before
    closed = client.post(
        reverse("complaints:close_problem", args=[problem.pk]),
        {"version": 1, "corrective_action": "改用防鼠咬光缆"},
    )
    assert closed.status_code == 302
    problem.refresh_from_db()
    assert problem.status == "closed"
    assert OutboxMessage.objects.count() == 1


def test_linking_an_unknown_ticket_on_the_page_is_a_404(client, supervisor):
    client.force_login(supervisor)
    problem = services_problems.create_problem(by=supervisor, title="冰箱异响", owner=supervisor)
    before = written()
    answer = client.post(reverse("complaints:link_ticket", args=[problem.pk]), {"ticket": "KF9901010001"})
    assert answer.status_code == 404
    assert written() == before


def test_an_agent_sees_the_problems_but_no_form_to_open_one(agent_client):
    page = agent_client.get(reverse("complaints:problems")).content.decode()
    assert 'id="problems"' in page
    assert "new-problem-title" not in page
    before = written()
    assert agent_client.post(reverse("complaints:problems"), {"title": "x"}).status_code == 403
    assert written() == before


def measured(client, url) -> int:
    client.get(url)  # warm the session and the permission caches
    with CaptureQueriesContext(connection) as counted:
        assert client.get(url).status_code == 200
    return len(counted)


def test_the_problems_page_costs_the_same_queries_for_2_and_20(client, supervisor):
    client.force_login(supervisor)
    counts = []
    for count in (2, 18):
        for index in range(count):
            problem = services_problems.create_problem(by=supervisor, title=f"问题{index}", owner=supervisor)
        counts.append(measured(client, reverse("complaints:problems")))
    assert problem.pk
    assert counts[0] == counts[1]


def test_the_complaints_page_costs_the_same_queries_for_2_and_20(agent_client, agent):
    counts = []
    made = 0
    for count in (2, 18):
        for _index in range(count):
            made += 1
            ticket = ticket_services.open_ticket(
                by=agent,
                customer=customer_with_phone(f"+86139000{made:05d}"),
                subject="态度差",
                type="complaint",
                channel="phone",
            )
            services.update_complaint(ticket=ticket, by=agent, version=1, severity="major")
        counts.append(measured(agent_client, reverse("complaints:complaints")))
    assert counts[0] == counts[1]


@pytest.mark.parametrize(
    ("name", "field", "value"), [("complaints", "outcome", "open"), ("problems", "status", "open")]
)
def test_each_list_filters_by_its_own_field_on_its_own_page(client, supervisor, name, field, value):
    client.force_login(supervisor)
    url = reverse(f"complaints:{name}")

    page = client.get(url, {field: value}).content.decode()

    form = page[page.index('class="card mb-3 kf-filters"') :]
    form = form[: form.index("</form>")]
    assert f'action="{url}"' in form
    assert f'name="{field}"' in form
    assert f'value="{value}" selected' in form
