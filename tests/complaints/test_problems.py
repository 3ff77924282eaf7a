"""Problems' services: open, change with a version, link tickets, close with a corrective action —
each customer of the linked tickets told once, after the commit, and a second close telling
nobody. Every refusal asserts that nothing was written."""

import pytest
from django.core.exceptions import ValidationError

from kefu.complaints import services_problems as services
from kefu.complaints.models import Problem, ProblemStatus, ProblemTicket
from kefu.core.errors import StaleVersion
from kefu.core.models import AuditEvent
from kefu.notifications.models import OutboxMessage
from kefu.tickets import services as ticket_services
from kefu.tickets.models import TicketEvent
from tests.factories import CustomerFactory, customer_with_phone, make_user

pytestmark = pytest.mark.django_db


def open_ticket(by, customer=None, **fields):
    values = {"subject": "光缆被老鼠咬断", "type": "repair", "channel": "phone", **fields}
    return ticket_services.open_ticket(by=by, customer=customer or customer_with_phone(), **values)


def rats(by, **fields) -> Problem:
    values = {"title": "沙漠站点老鼠咬断光缆", "owner": by, **fields}
    return services.create_problem(by=by, **values)


def written() -> tuple:
    return (
        tuple(Problem.objects.values_list("id", "version", "status", "title", "corrective_action")),
        ProblemTicket.objects.count(),
        AuditEvent.objects.count(),
        TicketEvent.objects.count(),
        OutboxMessage.objects.count(),
    )


def test_a_problem_is_opened_changed_and_versioned(supervisor):
    problem = rats(supervisor, description="西北多个站点")
    assert (problem.status, problem.version, problem.created_by) == (ProblemStatus.OPEN, 1, supervisor)
    problem = services.update_problem(
        problem=problem, by=supervisor, version=1, corrective_action="改用防鼠咬光缆", status="in_progress"
    )
    assert (problem.version, problem.status) == (2, ProblemStatus.IN_PROGRESS)
    before = written()
    with pytest.raises(StaleVersion):
        services.update_problem(problem=problem, by=supervisor, version=1, title="别的")
    assert written() == before


@pytest.mark.parametrize(
    ("fields", "field"),
    [({"title": ""}, "title"), ({"title": "x" * 201}, "title"), ({"owner": None}, "owner")],
)
def test_a_bad_problem_is_refused_and_writes_nothing(supervisor, fields, field):
    before = written()
    with pytest.raises(ValidationError) as refused:
        rats(supervisor, **fields)
    assert field in refused.value.message_dict
    assert written() == before


def test_an_inactive_owner_or_closing_through_a_change_is_refused(supervisor):
    problem = rats(supervisor)
    gone = make_user("supervisor", username="gone", is_active=False)
    before = written()
    for changes, field in (({"owner": gone}, "owner"), ({"status": "closed"}, "status")):
        with pytest.raises(ValidationError) as refused:
            services.update_problem(problem=problem, by=supervisor, version=1, **changes)
        assert field in refused.value.message_dict
    assert written() == before


def test_linking_twice_links_once_with_a_line_on_the_ticket(agent, supervisor):
    problem = rats(supervisor)
    ticket = open_ticket(agent)
    _link, created = services.link_ticket(problem=problem, ticket=ticket, by=agent)
    _again, created_again = services.link_ticket(problem=problem, ticket=ticket, by=agent)
    assert (created, created_again) == (True, False)
    assert ProblemTicket.objects.count() == 1
    assert TicketEvent.objects.filter(ticket=ticket, kind="problem_linked").count() == 1


def test_closing_without_a_corrective_action_is_refused(agent, supervisor):
    problem = rats(supervisor)
    services.link_ticket(problem=problem, ticket=open_ticket(agent), by=agent)
    before = written()
    with pytest.raises(ValidationError) as refused:
        services.close_problem(problem=problem, by=supervisor)
    assert "corrective_action" in refused.value.message_dict
    with pytest.raises(ValidationError):
        services.close_problem(problem=problem, by=supervisor, corrective_action="   ")
    assert written() == before


def test_closing_tells_each_customer_once_after_the_commit_and_again_tells_nobody(
    agent, supervisor, django_capture_on_commit_callbacks
):
    problem = rats(supervisor, corrective_action="改用防鼠咬光缆材料")
    first = customer_with_phone("+8613800000001")
    second = customer_with_phone("+8613800000002")
    silent = CustomerFactory()  # no phone, no e-mail: skipped
    for customer in (first, first, second, silent):
        services.link_ticket(problem=problem, ticket=open_ticket(agent, customer=customer), by=agent)
    with django_capture_on_commit_callbacks() as callbacks:
        closed, told = services.close_problem(problem=problem, by=supervisor, version=problem.version)
    assert told == 2
    assert closed.status == ProblemStatus.CLOSED
    assert closed.closed_by == supervisor
    messages = OutboxMessage.objects.order_by("address")
    assert [message.address for message in messages] == ["+8613800000001", "+8613800000002"]
    assert "防鼠咬光缆" in messages[0].body
    assert callbacks  # delivery is handed to the worker only after the commit
    assert TicketEvent.objects.filter(kind="problem_closed").count() == 4

    before = written()
    again, told_again = services.close_problem(problem=closed, by=supervisor)
    assert (again.status, told_again) == (ProblemStatus.CLOSED, 0)
    assert written() == before


def test_a_closed_problem_takes_no_link_and_no_change(agent, supervisor):
    problem = rats(supervisor, corrective_action="改用防鼠咬光缆")
    services.close_problem(problem=problem, by=supervisor)
    ticket = open_ticket(agent)
    before = written()
    with pytest.raises(services.ProblemClosed):
        services.link_ticket(problem=problem, ticket=ticket, by=agent)
    with pytest.raises(services.ProblemClosed):
        services.update_problem(problem=problem, by=supervisor, version=2, title="改名")
    assert written() == before
