"""Recovery: every "not satisfied" opens exactly one recovery case — a complaint-type ticket owned
by the supervisor of the team that served the customer, related to the original ticket, with its
own promise and the customer's words on top."""

import pytest
from django.db import IntegrityError

from kefu.accounts.models import Team
from kefu.feedback import services
from kefu.feedback.models import CustomerMood, SatisfactionTally, Survey
from kefu.notifications.models import Notification
from kefu.promises.models import TicketPromise
from kefu.tickets.models import Priority, Ticket, TicketLink, TicketType
from kefu.tickets.services import intake_user
from tests.factories import make_user
from tests.feedback.scene import resolved_survey

pytestmark = pytest.mark.django_db


def test_not_satisfied_opens_a_recovery_case_for_the_teams_supervisor(agent, supervisor, team):
    survey = resolved_survey(agent)
    services.record_survey_answer(
        survey=survey, satisfied=False, reason="promise_broken", comment="约好上午来，下午才到", via="link"
    )
    survey.refresh_from_db()
    case = survey.recovery_ticket
    assert case is not None
    assert (case.type, case.priority, case.owner, case.customer_id) == (
        TicketType.COMPLAINT,
        Priority.HIGH,
        supervisor,
        survey.customer_id,
    )
    lines = case.description.splitlines()
    assert "没有按约定的时间" in lines[1]
    assert "约好上午来，下午才到" in lines[2]
    assert survey.ticket.number in case.description
    assert TicketLink.objects.filter(from_ticket=case, to_ticket=survey.ticket, kind="related").exists()
    # Its own promise, from the complaint policy, through the promises app's hook.
    promises = TicketPromise.objects.filter(ticket=case)
    assert promises.exists()
    assert promises.first().policy.ticket_type == "complaint"
    # Counted, the customer marked unhappy, the supervisor told.
    total = SatisfactionTally.objects.get(dimension="all")
    assert (total.answered, total.dissatisfied) == (1, 1)
    assert CustomerMood.objects.get(customer=survey.customer).unhappy_ticket_id == survey.ticket_id
    assert Notification.objects.filter(recipient=supervisor, kind="feedback.recovery_opened").count() == 1


def test_a_call_answer_not_satisfied_opens_the_case_too(agent, supervisor, team):
    survey = resolved_survey(agent)
    services.record_survey_answer(survey=survey, satisfied=False, via="call", by=agent)
    survey.refresh_from_db()
    assert survey.recovery_ticket.owner == supervisor
    assert survey.recovery_ticket.opened_by == agent


def test_a_recovery_case_is_never_opened_twice(agent, supervisor, team):
    survey = resolved_survey(agent)
    services.record_survey_answer(survey=survey, satisfied=False, reason="slow", via="link")
    cases = Ticket.objects.filter(type=TicketType.COMPLAINT).count()
    with pytest.raises(services.AlreadyAnswered):
        services.record_survey_answer(survey=survey, satisfied=False, reason="slow", via="link")
    survey.refresh_from_db()
    # Opening it directly again is refused, and the refused case is not left behind.
    with pytest.raises(services.RecoveryCaseExists):
        services.open_recovery_case(survey=survey)
    assert Ticket.objects.filter(type=TicketType.COMPLAINT).count() == cases == 1


def test_satisfied_opens_no_case(agent, team):
    survey = resolved_survey(agent)
    services.record_survey_answer(survey=survey, satisfied=True, via="link")
    assert not Ticket.objects.filter(type=TicketType.COMPLAINT).exists()


def test_without_a_team_supervisor_the_case_goes_to_the_current_teams_then_the_unassigned_queue(
    agent, supervisor
):
    # The serving team has no supervisor; the ticket's current team has one.
    serving = Team.objects.create(name="无主管组")
    agent.team = serving
    agent.save(update_fields=["team"])
    survey = resolved_survey(agent)
    other = make_user("supervisor", username="supervisor2")
    current = Team.objects.create(name="二组", supervisor=other)
    Ticket.objects.filter(pk=survey.ticket_id).update(team=current)
    survey.ticket.refresh_from_db()
    assert services.recovery_owner(survey) == other
    # No supervisor anywhere: the unassigned queue, and the managers are told.
    Ticket.objects.filter(pk=survey.ticket_id).update(team=serving)
    survey.ticket.refresh_from_db()
    manager = make_user("manager")
    services.record_survey_answer(survey=survey, satisfied=False, via="link")
    survey.refresh_from_db()
    assert survey.recovery_ticket.owner == intake_user()
    assert Notification.objects.filter(recipient=manager, kind="feedback.recovery_opened").exists()


def test_a_refused_recovery_case_undoes_the_answer(agent, supervisor, team, monkeypatch):
    """The answer and its case commit together: if the case cannot be opened, nothing is written."""
    survey = resolved_survey(agent)

    def broken(**kwargs):
        raise IntegrityError("boom")

    monkeypatch.setattr(services, "open_recovery_case", broken)
    with pytest.raises(IntegrityError):
        services.record_survey_answer(survey=survey, satisfied=False, via="link")
    survey.refresh_from_db()
    assert survey.answered_at is None
    assert not SatisfactionTally.objects.exists()
    assert not Survey.objects.filter(recovery_ticket__isnull=False).exists()


def test_the_survey_and_its_recovery_case_are_on_the_customers_timeline(client, agent, supervisor, team):
    from kefu.customers import selectors as customer_selectors
    from kefu.customers import timeline as customer_timeline

    survey = resolved_survey(agent)
    services.record_survey_answer(survey=survey, satisfied=False, reason="slow", via="link")
    kinds = customer_timeline.kinds_for(["satisfaction"])
    assert set(kinds) >= {"survey_sent", "survey_answered", "recovery_opened"}
    page = customer_selectors.customer_timeline(survey.customer, user=supervisor, kinds=kinds)
    texts = [customer_timeline.describe(entry) for entry in page.items]
    assert any("等待时间太长" in text for text in texts)
    assert any(survey.ticket.number in text and "KF" in text for text in texts)
    client.force_login(supervisor)
    html = client.get(f"/customers/{survey.customer_id}/").content.decode()
    assert "等待时间太长" in html


def test_a_complaint_opened_or_changed_into_marks_the_customer_unhappy(agent, team):
    from kefu.tickets import services as ticket_services
    from tests.feedback.scene import open_ticket

    complaint = open_ticket(agent, type="complaint", subject="师傅态度差")
    mood = CustomerMood.objects.get(customer=complaint.customer)
    assert (mood.last_unhappy_at, mood.unhappy_ticket) == (complaint.created_at, complaint)
    repair = open_ticket(agent)
    assert not CustomerMood.objects.filter(customer=repair.customer).exists()
    ticket_services.update_ticket(ticket=repair, by=agent, version=repair.version, type="complaint")
    assert CustomerMood.objects.get(customer=repair.customer).unhappy_ticket == repair
