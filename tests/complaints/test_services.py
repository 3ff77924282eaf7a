"""Complaints' services: the row from the tickets' hooks, classification with the tallies kept right
through every reclassification, apologies, compensation, escalation to HQ, and the causes. Every
refusal asserts that nothing was written."""

import datetime
import decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from kefu.complaints import services
from kefu.complaints.models import (
    Apology,
    Compensation,
    Complaint,
    ComplaintCause,
    ComplaintTally,
    Outcome,
)
from kefu.core.errors import StaleVersion
from kefu.core.models import AuditEvent
from kefu.notifications.models import Notification
from kefu.tickets import services as ticket_services
from kefu.tickets.models import TicketEvent
from tests.factories import customer_with_phone, make_user

pytestmark = pytest.mark.django_db


def open_complaint(by, **fields):
    values = {"subject": "师傅迟到两小时", "type": "complaint", "channel": "phone", **fields}
    return ticket_services.open_ticket(
        by=by, customer=fields.pop("customer", None) or customer_with_phone(), **values
    )


def cause(code: str) -> ComplaintCause:
    return ComplaintCause.objects.get(code=code)


def tallies() -> dict[tuple[str, int, int], None] | set:
    return {(row.cause, row.complaints, row.resolved_not_our_fault) for row in ComplaintTally.objects.all()}


def written() -> tuple:
    return (
        tuple(Complaint.objects.values_list("ticket_id", "version", "cause_id", "outcome", "fault_party")),
        Apology.objects.count(),
        Compensation.objects.count(),
        AuditEvent.objects.count(),
        TicketEvent.objects.count(),
        tuple(ComplaintTally.objects.values_list("cause", "complaints", "resolved_not_our_fault")),
        Notification.objects.count(),
    )


# --- The row from the hooks ----------------------------------------------------------------------


def test_the_seven_causes_are_seeded():
    assert set(ComplaintCause.objects.values_list("code", flat=True)) >= {
        "promise_not_kept",
        "expectation_gap",
        "product_quality",
        "attitude",
        "delivery_error",
        "not_our_fault",
        "other",
    }


def test_a_complaint_ticket_gets_its_row_counted_unclassified_in_its_week(agent):
    ticket = open_complaint(agent)
    complaint = Complaint.objects.get(pk=ticket.pk)
    assert complaint.week == services.week_of(ticket.created_at)
    assert complaint.week.weekday() == 0
    assert tallies() == {("", 1, 0)}


def test_another_type_gets_no_row(agent):
    open_complaint(agent, type="repair")
    assert not Complaint.objects.exists()
    assert not ComplaintTally.objects.exists()


def test_a_ticket_that_becomes_a_complaint_gets_its_row_once(agent):
    ticket = open_complaint(agent, type="repair")
    ticket = ticket_services.update_ticket(ticket=ticket, by=agent, version=ticket.version, type="complaint")
    ticket = ticket_services.update_ticket(ticket=ticket, by=agent, version=ticket.version, type="repair")
    ticket_services.update_ticket(ticket=ticket, by=agent, version=ticket.version, type="complaint")
    assert Complaint.objects.filter(pk=ticket.pk).count() == 1
    assert tallies() == {("", 1, 0)}


# --- Classification and the tallies --------------------------------------------------------------


def test_reclassifying_moves_the_count_and_the_achievement(agent):
    ticket = open_complaint(agent)
    open_complaint(agent)  # a second one stays unclassified
    complaint = services.update_complaint(
        ticket=ticket, by=agent, version=1, cause=cause("attitude"), severity="major"
    )
    assert complaint.version == 2
    assert tallies() == {("", 1, 0), ("attitude", 1, 0)}

    complaint = services.update_complaint(
        ticket=ticket,
        by=agent,
        version=2,
        cause=cause("not_our_fault"),
        fault_party="third_party",
        outcome=Outcome.RESOLVED_NOT_OUR_FAULT,
    )
    assert tallies() == {("", 1, 0), ("attitude", 0, 0), ("not_our_fault", 1, 1)}

    # The outcome changes, the cause does not: only the achievement moves.
    complaint = services.update_complaint(ticket=ticket, by=agent, version=3, outcome=Outcome.RESOLVED)
    assert tallies() == {("", 1, 0), ("attitude", 0, 0), ("not_our_fault", 1, 0)}

    # Back to the achievement and then unclassified: the count follows to "" with it.
    complaint = services.update_complaint(
        ticket=ticket, by=agent, version=4, outcome=Outcome.RESOLVED_NOT_OUR_FAULT
    )
    complaint = services.update_complaint(ticket=ticket, by=agent, version=5, cause=None)
    assert tallies() == {("", 2, 1), ("attitude", 0, 0), ("not_our_fault", 0, 0)}
    assert complaint.version == 6
    kinds = list(
        TicketEvent.objects.filter(ticket=ticket, kind="complaint_classified").values_list("kind", flat=True)
    )
    assert len(kinds) == 5
    # The tallies add up to the complaints, whatever happened.
    assert sum(row.complaints for row in ComplaintTally.objects.all()) == Complaint.objects.count()


def test_a_change_that_changes_nothing_writes_nothing(agent):
    ticket = open_complaint(agent)
    before = written()
    complaint = services.update_complaint(ticket=ticket, by=agent, version=1, severity="minor")
    assert complaint.version == 1
    assert written() == before


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"severity": "huge"}, "severity"),
        ({"fault_party": "the weather"}, "fault_party"),
        ({"outcome": "forgotten"}, "outcome"),
        ({"outcome": Outcome.RESOLVED_NOT_OUR_FAULT}, "outcome"),  # the fault is still unknown
        ({"outcome": Outcome.RESOLVED_NOT_OUR_FAULT, "fault_party": "us"}, "outcome"),
        ({"cause": "attitude"}, "cause"),  # a code, not a cause
    ],
)
def test_a_bad_classification_is_refused_and_writes_nothing(agent, changes, field):
    ticket = open_complaint(agent)
    before = written()
    with pytest.raises(ValidationError) as refused:
        services.update_complaint(ticket=ticket, by=agent, version=1, **changes)
    assert field in refused.value.message_dict
    assert written() == before


def test_a_hidden_cause_is_refused_for_a_new_classification(agent):
    hidden = services.update_cause(cause=cause("other"), by=agent, is_active=False)
    ticket = open_complaint(agent)
    before = written()
    with pytest.raises(ValidationError):
        services.update_complaint(ticket=ticket, by=agent, version=1, cause=hidden)
    assert written() == before


def test_a_stale_version_is_a_conflict_that_writes_nothing(agent):
    ticket = open_complaint(agent)
    services.update_complaint(ticket=ticket, by=agent, version=1, severity="major")
    before = written()
    with pytest.raises(StaleVersion) as refused:
        services.update_complaint(ticket=ticket, by=agent, version=1, cause=cause("attitude"))
    assert refused.value.current_version == 2
    assert written() == before


def test_a_ticket_that_is_no_complaint_is_refused(agent):
    ticket = open_complaint(agent, type="repair")
    before = written()
    with pytest.raises(services.NotAComplaint):
        services.update_complaint(ticket=ticket, by=agent, version=1, severity="major")
    with pytest.raises(services.NotAComplaint):
        services.record_apology(ticket=ticket, by=agent, method="phone", made_on=timezone.localdate())
    assert written() == before


# --- Apologies and compensation ------------------------------------------------------------------


def test_an_apology_is_recorded_with_its_line(agent):
    ticket = open_complaint(agent)
    apology = services.record_apology(
        ticket=ticket, by=agent, method="visit", made_on=timezone.localdate(), notes="带了水果登门致歉"
    )
    assert apology.made_by == agent
    assert TicketEvent.objects.filter(ticket=ticket, kind="complaint_apology").exists()


def test_an_apology_in_the_future_is_refused(agent):
    ticket = open_complaint(agent)
    before = written()
    with pytest.raises(ValidationError) as refused:
        services.record_apology(
            ticket=ticket, by=agent, method="phone", made_on=timezone.localdate() + datetime.timedelta(days=1)
        )
    assert "made_on" in refused.value.message_dict
    assert written() == before


def test_a_compensation_approved_by_a_supervisor_is_recorded_by_an_agent(agent, supervisor):
    ticket = open_complaint(agent)
    compensation = services.add_compensation(
        ticket=ticket, by=agent, kind="gift", value="199.5", approved_by=supervisor, description="电饭煲一台"
    )
    assert compensation.value == decimal.Decimal("199.50")
    assert (compensation.approved_by, compensation.recorded_by) == (supervisor, agent)
    event = TicketEvent.objects.get(ticket=ticket, kind="complaint_compensation")
    assert event.data["value"] == "199.50"


def test_a_manager_may_approve_and_a_free_service_may_be_worth_nothing(agent, manager):
    ticket = open_complaint(agent)
    compensation = services.add_compensation(
        ticket=ticket, by=agent, kind="free_service", value=0, approved_by=manager
    )
    assert compensation.value == 0


@pytest.mark.parametrize(
    ("value", "approver", "field"),
    [
        ("-1", "supervisor", "value"),
        ("100000.01", "supervisor", "value"),
        ("1e9", "supervisor", "value"),
        ("12.345", "supervisor", "value"),
        ("NaN", "supervisor", "value"),
        ("two hundred", "supervisor", "value"),
        ("100", "agent", "approved_by"),  # an agent may not approve
        ("100", "inactive", "approved_by"),
        ("100", None, "approved_by"),
    ],
)
def test_a_bad_compensation_is_refused_and_writes_nothing(agent, supervisor, value, approver, field):
    ticket = open_complaint(agent)
    approvers = {
        "supervisor": supervisor,
        "agent": agent,
        "inactive": make_user("supervisor", username="left", is_active=False),
        None: None,
    }
    before = written()
    with pytest.raises(ValidationError) as refused:
        services.add_compensation(
            ticket=ticket, by=agent, kind="refund", value=value, approved_by=approvers[approver]
        )
    assert field in refused.value.message_dict
    assert written() == before


# --- Escalation to HQ ----------------------------------------------------------------------------


def test_escalating_to_hq_tells_every_manager_once(agent, supervisor, manager):
    second = make_user("manager", username="hq-director")
    ticket = open_complaint(agent)
    visit = timezone.localdate() + datetime.timedelta(days=2)
    complaint = services.escalate_to_hq(
        ticket=ticket,
        by=supervisor,
        reason="送错型号且迟到，客户投诉到总部",
        apology_visit_on=visit,
        apology_visit_by="区域经理",
    )
    assert complaint.escalated_to_hq_at is not None
    assert complaint.escalated_by == supervisor
    assert set(Notification.objects.values_list("recipient", flat=True)) == {manager.pk, second.pk}
    assert TicketEvent.objects.filter(ticket=ticket, kind="complaint_escalated_hq").count() == 1

    before = written()
    with pytest.raises(services.AlreadyEscalated):
        services.escalate_to_hq(ticket=ticket, by=supervisor, reason="再次升级")
    assert written() == before


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"reason": ""}, "reason"),
        ({"reason": "x" * 201}, "reason"),
        ({"reason": "升级", "apology_visit_by": "区域经理"}, "apology_visit_on"),
        ({"reason": "升级", "apology_visit_on": datetime.date(2000, 1, 1)}, "apology_visit_on"),
    ],
)
def test_a_bad_escalation_is_refused_and_writes_nothing(agent, supervisor, manager, fields, field):
    ticket = open_complaint(agent)
    before = written()
    with pytest.raises(ValidationError) as refused:
        services.escalate_to_hq(ticket=ticket, by=supervisor, **fields)
    assert field in refused.value.message_dict
    assert written() == before


# --- Causes --------------------------------------------------------------------------------------


def test_a_cause_is_added_and_renamed_through_the_services(agent):
    added = services.create_cause(by=agent, code="installation", name="安装问题", sort_order=75)
    services.update_cause(cause=added, by=agent, name="安装不规范")
    added.refresh_from_db()
    assert (added.code, added.name) == ("installation", "安装不规范")


@pytest.mark.parametrize(("code", "name"), [("Bad Code", "坏"), ("attitude", "重复"), ("fine_code", "")])
def test_a_bad_cause_is_refused(agent, code, name):
    before = ComplaintCause.objects.count(), AuditEvent.objects.count()
    with pytest.raises(ValidationError):
        services.create_cause(by=agent, code=code, name=name)
    assert (ComplaintCause.objects.count(), AuditEvent.objects.count()) == before


def test_a_causes_code_cannot_change(agent):
    with pytest.raises(ValidationError):
        services.update_cause(cause=cause("other"), by=agent, code="misc")
