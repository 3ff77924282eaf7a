"""Follow-ups (回访): made by the tickets' hook at resolution, once per ticket; generated
set-based for what the hook missed; account revisits; the overdue escalation; the outcome."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from kefu.core.errors import PermissionDenied
from kefu.core.models import AuditEvent
from kefu.customers.models import CustomerEvent
from kefu.feedback import followups, services_followups
from kefu.feedback.models import AccountRep, FollowUp, FollowUpKind, FollowUpRule, FollowUpStatus, Survey
from kefu.notifications.models import Notification
from kefu.tickets import services as ticket_services
from kefu.tickets.models import Ticket, TicketLink
from tests.factories import customer_with_phone, make_user
from tests.feedback.scene import open_ticket, resolve

pytestmark = pytest.mark.django_db
DAY = datetime.timedelta(days=1)


def resolved(agent, **fields) -> Ticket:
    return resolve(open_ticket(agent, **fields), agent)


def follow_up_of(ticket: Ticket) -> FollowUp:
    return FollowUp.objects.get(kind=FollowUpKind.AFTER_TICKET, ticket=ticket)


def counts() -> tuple:
    return (
        FollowUp.objects.count(),
        Ticket.objects.count(),
        Survey.objects.filter(answered_at__isnull=False).count(),
        CustomerEvent.objects.count(),
        AuditEvent.objects.count(),
    )


# --- Rules ----------------------------------------------------------------------------------------


def test_default_rules_are_seeded_once():
    assert FollowUpRule.objects.filter(kind=FollowUpKind.AFTER_TICKET, ticket_type="", tier="").exists()
    assert followups.seed_rules() == 0


def test_the_closest_rule_wins():
    assert followups.rule_for(kind="after_ticket", ticket_type="complaint", tier="vip").days == 1
    assert followups.rule_for(kind="after_ticket", ticket_type="repair", tier="regular").days == 3
    assert followups.rule_for(kind="after_ticket", ticket_type="repair", tier="vip").days == 1
    assert followups.rule_for(kind="account_revisit", tier="vip").days == 30


def test_script_fills_the_customer_and_ticket_and_tolerates_odd_braces():
    assert (
        followups.render_script("{customer}您好 {ticket}", {"customer": "张先生", "ticket": "KF1"})
        == "张先生您好 KF1"
    )
    assert followups.render_script("{unknown} {", {"customer": "x"}) == "{unknown} {"


# --- The hook -------------------------------------------------------------------------------------


def test_resolving_makes_one_follow_up_for_the_owner(agent, team):
    ticket = resolved(agent)
    follow_up = follow_up_of(ticket)
    assert follow_up.assignee == agent
    assert follow_up.status == FollowUpStatus.PENDING
    assert follow_up.method == "phone"
    assert follow_up.due_on == timezone.localdate(ticket.resolved_at) + 3 * DAY


def test_reopen_cancels_and_resolving_again_brings_back_the_same_one(agent, team):
    ticket = resolved(agent)
    first = follow_up_of(ticket)
    ticket = ticket_services.transition_ticket(ticket=ticket, by=agent, status="open")
    assert follow_up_of(ticket).status == FollowUpStatus.CANCELLED
    resolve(ticket, agent)
    again = follow_up_of(ticket)
    assert again.pk == first.pk
    assert again.status == FollowUpStatus.PENDING
    assert again.done_at is None
    assert FollowUp.objects.filter(ticket=ticket).count() == 1


def test_an_inactive_owner_hands_the_follow_up_to_the_supervisor(agent, supervisor, team):
    ticket = open_ticket(agent)
    agent.is_active = False
    agent.save(update_fields=["is_active"])
    ticket.refresh_from_db()
    resolve(ticket, supervisor)
    assert follow_up_of(ticket).assignee == supervisor


@override_settings(KEFU_FOLLOW_UP_DESK="回访组")
def test_a_follow_up_desk_takes_them_in_rotation(agent, team):
    from kefu.accounts.models import Team

    desk = Team.objects.create(name="回访组")
    callers = [make_user("agent", username=f"desk{i}", team=desk) for i in range(2)]
    tickets = [resolved(agent) for _ in range(4)]
    assignees = [follow_up_of(ticket).assignee_id for ticket in tickets]
    assert set(assignees) == {caller.pk for caller in callers}
    assert assignees == [callers[ticket.pk % 2].pk for ticket in tickets]


def test_no_active_rule_no_follow_up(agent, team):
    FollowUpRule.objects.filter(kind=FollowUpKind.AFTER_TICKET).update(is_active=False)
    ticket = resolved(agent)
    assert not FollowUp.objects.filter(ticket=ticket).exists()


# --- The set-based generation ---------------------------------------------------------------------


def test_generation_makes_what_the_hook_missed_by_the_same_rules_and_is_idempotent(agent, supervisor, team):
    vip = customer_with_phone("+8613900000001", tier="vip")
    tickets = [resolved(agent), resolved(agent, customer=vip), resolved(agent, type="complaint")]
    expected = {t.pk: (f.assignee_id, f.method, f.due_on) for t in tickets for f in [follow_up_of(t)]}
    FollowUp.objects.all().delete()
    assert services_followups.generate_follow_ups(batch=2) == 3  # in batches of two ticket ids
    made = {f.ticket_id: (f.assignee_id, f.method, f.due_on) for f in FollowUp.objects.all()}
    assert made == expected
    assert services_followups.generate_follow_ups() == 0
    assert FollowUp.objects.count() == 3


def test_generation_skips_open_merged_and_windowed_out_tickets(agent, team):
    open_ticket(agent)
    old = resolved(agent)
    FollowUp.objects.all().delete()
    Ticket.objects.filter(pk=old.pk).update(resolved_at=timezone.now() - 60 * DAY)
    assert services_followups.generate_follow_ups(resolved_since=timezone.now() - 30 * DAY) == 0
    assert services_followups.generate_follow_ups() == 1


def test_the_hourly_window_runs_only_the_batches_of_tickets_resolved_in_it(agent, team):
    tickets = [resolved(agent) for _ in range(5)]
    FollowUp.objects.all().delete()
    old = [t.pk for t in tickets[:3]]
    Ticket.objects.filter(pk__in=old).update(resolved_at=timezone.now() - 60 * DAY)

    with CaptureQueriesContext(connection) as queries:
        made = services_followups.generate_follow_ups(resolved_since=timezone.now() - 30 * DAY, batch=1)

    assert made == 2
    assert sorted(FollowUp.objects.values_list("ticket_id", flat=True)) == [t.pk for t in tickets[3:]]
    inserts = [
        q for q in queries.captured_queries if "INSERT INTO" in q["sql"] and "feedback_followup" in q["sql"]
    ]
    assert len(inserts) == 2  # the older tickets' batches are not run at all
    assert services_followups.generate_follow_ups(resolved_since=timezone.now() - 90 * DAY, batch=1) == 3


@pytest.mark.postgresql
def test_the_hourly_window_finds_its_batches_on_the_resolved_index(agent, team):
    resolved(agent)
    sql, params = services_followups._window_batches_statement(timezone.now() - 30 * DAY, 50_000)
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())

    assert "ticket_resolved_idx" in plan


def test_generation_falls_back_to_the_supervisor_and_skips_tickets_nobody_can_do(agent, supervisor, team):
    ticket = resolved(agent)
    FollowUp.objects.all().delete()
    agent.is_active = False
    agent.save(update_fields=["is_active"])
    assert services_followups.generate_follow_ups() == 1
    assert follow_up_of(ticket).assignee == supervisor
    FollowUp.objects.all().delete()
    supervisor.is_active = False
    supervisor.save(update_fields=["is_active"])
    assert services_followups.generate_follow_ups() == 0


# --- Account revisits -----------------------------------------------------------------------------


def test_revisit_sweep_makes_due_revisits_and_moves_the_date_on(db):
    sales = make_user("sales")
    today = timezone.localdate()
    vip = customer_with_phone("+8613900000002", tier="vip")
    regular = customer_with_phone("+8613900000003")
    later = customer_with_phone("+8613900000004")
    AccountRep.objects.create(customer=vip, sales_rep=sales, next_revisit_on=today)
    AccountRep.objects.create(customer=regular, sales_rep=sales, next_revisit_on=today - 200 * DAY)
    AccountRep.objects.create(customer=later, sales_rep=sales, next_revisit_on=today + DAY)
    result = services_followups.sweep_revisits(today=today)
    assert (result.created, result.moved) == (2, 2)
    revisits = {f.customer_id: f for f in FollowUp.objects.filter(kind=FollowUpKind.ACCOUNT_REVISIT)}
    assert set(revisits) == {vip.pk, regular.pk}
    assert revisits[vip.pk].method == "visit"
    assert revisits[vip.pk].assignee == sales
    reps = {rep.customer_id: rep.next_revisit_on for rep in AccountRep.objects.all()}
    assert reps[vip.pk] == today + 30 * DAY
    assert reps[regular.pk] == today + 90 * DAY  # far behind: from today
    assert reps[later.pk] == today + DAY
    again = services_followups.sweep_revisits(today=today)
    assert (again.created, again.moved) == (0, 0)


# --- Escalation -----------------------------------------------------------------------------------


def test_overdue_follow_ups_are_escalated_once_to_the_supervisor(agent, supervisor, team):
    tickets = [resolved(agent) for _ in range(2)]
    FollowUp.objects.filter(ticket__in=tickets).update(due_on=timezone.localdate() - DAY)
    result = services_followups.escalate_overdue()
    assert (result.escalated, result.notified) == (2, 1)
    notice = Notification.objects.get(recipient=supervisor)
    assert "2" in notice.title
    assert services_followups.escalate_overdue().escalated == 0
    assert Notification.objects.filter(recipient=supervisor).count() == 1


# --- The outcome ----------------------------------------------------------------------------------


def test_reached_with_a_survey_answer_answers_the_survey_by_call(agent, team):
    ticket = resolved(agent)
    follow_up = services_followups.record_follow_up_outcome(
        follow_up=follow_up_of(ticket), by=agent, outcome="reached", satisfied=True, notes="客户很满意"
    )
    assert follow_up.status == FollowUpStatus.DONE
    assert follow_up.outcome == "reached"
    survey = Survey.objects.get(ticket=ticket)
    assert survey.is_satisfied is True
    assert survey.answered_via == "call"
    assert follow_up.survey == survey
    assert CustomerEvent.objects.filter(
        kind=services_followups.FOLLOW_UP_DONE, customer=ticket.customer
    ).exists()


def test_not_satisfied_on_the_call_opens_the_recovery_case(agent, team):
    ticket = resolved(agent)
    services_followups.record_follow_up_outcome(
        follow_up=follow_up_of(ticket), by=agent, outcome="reached", satisfied=False, comment="师傅迟到"
    )
    assert Survey.objects.get(ticket=ticket).recovery_ticket is not None


def test_not_reached_counts_attempts_until_the_limit(agent, team):
    follow_up = follow_up_of(resolved(agent))
    for attempt in (1, 2):
        follow_up = services_followups.record_follow_up_outcome(
            follow_up=follow_up, by=agent, outcome="not_reached"
        )
        assert (follow_up.attempts, follow_up.status) == (attempt, FollowUpStatus.PENDING)
    follow_up = services_followups.record_follow_up_outcome(
        follow_up=follow_up, by=agent, outcome="not_reached"
    )
    assert (follow_up.status, follow_up.outcome) == (FollowUpStatus.DONE, "not_reached")


def test_a_new_problem_opens_a_linked_ticket_for_the_customer(agent, team):
    ticket = resolved(agent)
    follow_up = services_followups.record_follow_up_outcome(
        follow_up=follow_up_of(ticket), by=agent, outcome="reached", new_problem="冰箱也不制冷了"
    )
    new = follow_up.new_ticket
    assert new.customer_id == ticket.customer_id
    assert new.subject == "冰箱也不制冷了"
    assert TicketLink.objects.filter(from_ticket=new, to_ticket=ticket, kind="related").exists()


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"outcome": "maybe"}, "outcome"),
        ({"outcome": "not_reached", "satisfied": True}, "satisfied"),
        ({"outcome": "not_reached", "new_problem": "又坏了"}, "new_problem"),
        ({"outcome": "reached", "notes": "x" * 2001}, "notes"),
        ({"outcome": "reached", "new_problem": "又坏了", "new_ticket_type": "nonsense"}, "new_ticket_type"),
        ({"outcome": "reached", "satisfied": False, "reason": "no-such-reason"}, "reason"),
    ],
)
def test_bad_outcomes_are_refused_and_write_nothing(agent, team, fields, field):
    follow_up = follow_up_of(resolved(agent))
    before = counts()
    with pytest.raises(ValidationError) as refused:
        services_followups.record_follow_up_outcome(follow_up=follow_up, by=agent, **fields)
    assert field in refused.value.message_dict
    assert counts() == before
    follow_up.refresh_from_db()
    assert (follow_up.status, follow_up.attempts, follow_up.version) == (FollowUpStatus.PENDING, 0, 1)


def test_a_survey_already_answered_is_refused_and_writes_nothing(agent, team):
    ticket = resolved(agent)
    Survey.objects.filter(ticket=ticket).update(
        answered_at=timezone.now(), is_satisfied=True, answered_via="link"
    )
    before = counts()
    with pytest.raises(ValidationError):
        services_followups.record_follow_up_outcome(
            follow_up=follow_up_of(ticket), by=agent, outcome="reached", satisfied=False
        )
    assert counts() == before


def test_someone_else_may_not_record_and_nothing_is_written(agent, team):
    follow_up = follow_up_of(resolved(agent))
    other = make_user("agent", username="other-agent")
    before = counts()
    with pytest.raises(PermissionDenied):
        services_followups.record_follow_up_outcome(follow_up=follow_up, by=other, outcome="reached")
    assert counts() == before


def test_a_done_follow_up_or_a_stale_version_is_a_conflict(agent, team):
    follow_up = follow_up_of(resolved(agent))
    from kefu.core.errors import Conflict

    with pytest.raises(Conflict):
        services_followups.record_follow_up_outcome(
            follow_up=follow_up, by=agent, outcome="reached", version=9
        )
    services_followups.record_follow_up_outcome(follow_up=follow_up, by=agent, outcome="reached")
    before = counts()
    with pytest.raises(Conflict):
        services_followups.record_follow_up_outcome(follow_up=follow_up, by=agent, outcome="reached")
    assert counts() == before


def test_supervisor_records_for_their_team(agent, supervisor, team):
    follow_up = follow_up_of(resolved(agent))
    done = services_followups.record_follow_up_outcome(follow_up=follow_up, by=supervisor, outcome="reached")
    assert done.done_by == supervisor


def test_a_done_follow_up_reads_on_the_customers_timeline(agent, team):
    from kefu.customers import timeline

    ticket = resolved(agent)
    services_followups.record_follow_up_outcome(
        follow_up=follow_up_of(ticket), by=agent, outcome="reached", new_problem="冰箱也坏了"
    )
    entry = CustomerEvent.objects.get(kind=services_followups.FOLLOW_UP_DONE)
    text = timeline.describe(entry)
    assert ticket.number in text
    assert follow_up_of(ticket).new_ticket.number in text


def test_overdue_with_no_supervisor_goes_to_the_managers(agent, manager):
    ticket = resolved(agent)  # the agent has no team
    FollowUp.objects.filter(ticket=ticket).update(due_on=timezone.localdate() - DAY)
    assert services_followups.escalate_overdue().notified == 1
    assert Notification.objects.filter(recipient=manager).count() == 1


# --- The rules' and accounts' writes (the admin's) -------------------------------------------------


def test_a_second_active_rule_for_the_same_criteria_is_refused_and_writes_nothing(manager):
    from kefu.feedback import services_followup_rules

    before = (FollowUpRule.objects.count(), AuditEvent.objects.count())
    with pytest.raises(ValidationError) as refused:
        services_followup_rules.save_rule(by=manager, kind="after_ticket", days=5, method="phone")
    assert "is_active" in refused.value.message_dict
    with pytest.raises(ValidationError) as refused:
        services_followup_rules.save_rule(
            by=manager, kind="account_revisit", ticket_type="repair", tier="vip", days=0, method="fax"
        )
    assert set(refused.value.message_dict) >= {"ticket_type", "days", "method"}
    assert (FollowUpRule.objects.count(), AuditEvent.objects.count()) == before


def test_changing_a_rule_bumps_its_version_and_a_stale_one_is_refused(manager):
    from kefu.core.errors import StaleVersion
    from kefu.feedback import services_followup_rules

    rule = FollowUpRule.objects.get(kind="after_ticket", ticket_type="", tier="")
    changed = services_followup_rules.save_rule(by=manager, rule=rule, version=rule.version, days=4)
    assert (changed.days, changed.version) == (4, rule.version + 1)
    with pytest.raises(StaleVersion):
        services_followup_rules.save_rule(by=manager, rule=rule, version=rule.version, days=5)
    assert FollowUpRule.objects.get(pk=rule.pk).days == 4


def test_an_inactive_account_rep_is_refused(manager):
    from kefu.feedback import services_followup_rules

    gone = make_user("sales", username="gone-sales", is_active=False)
    with pytest.raises(ValidationError):
        services_followup_rules.assign_account_rep(by=manager, customer=customer_with_phone(), sales_rep=gone)
    assert not AccountRep.objects.exists()


@pytest.mark.postgresql
@pytest.mark.django_db(transaction=True)
def test_generation_on_two_connections_makes_each_follow_up_once(agent, supervisor, team):
    tickets = [resolved(agent) for _ in range(6)]
    FollowUp.objects.all().delete()
    assert services_followups.generate_follow_ups(batch=1, workers=2) == 6
    assert sorted(FollowUp.objects.values_list("ticket_id", flat=True)) == sorted(t.pk for t in tickets)
    assert services_followups.generate_follow_ups(batch=1, workers=2) == 0
