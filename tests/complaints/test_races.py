"""Complaints under real concurrency (PostgreSQL): two classifications of one version — one wins,
the other is stale, the tallies still equal a recount; two closes of one problem tell each customer
once; two links of one ticket make one link."""

import pytest

from kefu.complaints import services, services_problems
from kefu.complaints.defaults import seed_causes
from kefu.complaints.models import Complaint, ComplaintCause, ProblemTicket
from kefu.core.errors import StaleVersion
from kefu.notifications.models import OutboxMessage
from kefu.tickets import services as ticket_services
from tests.complaints.test_tallies import recount, tallied
from tests.factories import customer_with_phone
from tests.races.parallel import race_behind

pytestmark = [pytest.mark.postgresql, pytest.mark.django_db(transaction=True)]


def hold_row(obj):
    """Lock the row as an editor would, so that every racer queues behind it."""
    return lambda: type(obj).objects.select_for_update().get(pk=obj.pk)


@pytest.fixture(autouse=True)
def causes():
    seed_causes()  # a transactional test may run after another one flushed the tables


@pytest.fixture
def customer():
    return customer_with_phone("+8613812345678")


def complaint_of(agent, customer):
    return ticket_services.open_ticket(
        by=agent, customer=customer, subject="送错型号", type="complaint", channel="phone"
    )


def test_two_classifications_of_one_version_one_wins_and_the_tallies_hold(agent, customer):
    ticket = complaint_of(agent, customer)

    def classify(code: str):
        return lambda: services.update_complaint(
            ticket=ticket, by=agent, version=1, cause=ComplaintCause.objects.get(code=code)
        )

    outcomes = race_behind(
        hold_row(Complaint.objects.get(pk=ticket.pk)), classify("attitude"), classify("other")
    )
    errors = [outcome.error for outcome in outcomes if outcome.error is not None]
    assert len(errors) == 1
    assert isinstance(errors[0], StaleVersion)
    assert Complaint.objects.get(pk=ticket.pk).version == 2
    assert tallied() == recount()


def test_two_closes_of_one_problem_tell_each_customer_once(agent, supervisor, customer):
    problem = services_problems.create_problem(
        by=supervisor, title="物流错发型号", owner=supervisor, corrective_action="出库扫码核对"
    )
    for someone in (customer, customer_with_phone("+8613987654321")):
        services_problems.link_ticket(problem=problem, ticket=complaint_of(agent, someone), by=agent)

    def close():
        return services_problems.close_problem(problem=problem, by=supervisor)

    outcomes = race_behind(hold_row(problem), close, close)
    assert [outcome.error for outcome in outcomes] == [None, None]
    assert sorted(outcome.value[1] for outcome in outcomes) == [0, 2]
    assert OutboxMessage.objects.count() == 2


def test_two_links_of_one_ticket_make_one_link(agent, supervisor, customer):
    problem = services_problems.create_problem(by=supervisor, title="热水器报E1", owner=supervisor)
    ticket = complaint_of(agent, customer)

    def link():
        return services_problems.link_ticket(problem=problem, ticket=ticket, by=agent)

    outcomes = race_behind(hold_row(problem), link, link)
    assert [outcome.error for outcome in outcomes] == [None, None]
    assert sorted(outcome.value[1] for outcome in outcomes) == [False, True]
    assert ProblemTicket.objects.count() == 1
