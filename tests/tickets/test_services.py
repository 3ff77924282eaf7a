"""Every write to tickets: its happy path, each refusal (which writes nothing), and the timeline,
audit and transfer rows it leaves."""

import datetime
from unittest import mock

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from kefu.accounts.models import Team
from kefu.core.errors import PermissionDenied, StaleVersion
from kefu.core.models import AuditAction, AuditEvent
from kefu.customers.services import CustomerMerged
from kefu.tickets import selectors, services
from kefu.tickets.models import (
    Collaborator,
    Comment,
    LinkKind,
    Status,
    Ticket,
    TicketEvent,
    TicketLink,
    TicketNumberCounter,
    Transfer,
)
from tests.factories import CustomerFactory, OwnedProductFactory, customer_with_phone, make_user
from tests.tickets.factories import TicketFactory

pytestmark = pytest.mark.django_db


def open_one(by, customer=None, **fields):
    values = {"subject": "空调不制冷", "type": "repair", "channel": "phone", **fields}
    return services.open_ticket(by=by, customer=customer or customer_with_phone(), **values)


class Written:
    """The rows a write leaves; `unchanged()` says nothing was written since the snapshot."""

    MODELS = (Ticket, TicketEvent, Transfer, Comment, Collaborator, TicketLink, AuditEvent)

    def __init__(self, ticket: Ticket | None = None):
        self.ticket = ticket
        self.counts = self._counts()
        self.row = self._row()

    def _counts(self):
        return {model.__name__: model.objects.count() for model in self.MODELS}

    def _row(self):
        if self.ticket is None:
            return None
        return Ticket.objects.filter(pk=self.ticket.pk).values().get()

    def unchanged(self) -> bool:
        return self._counts() == self.counts and self._row() == self.row


# --- Numbers ------------------------------------------------------------------------------------


def test_numbers_count_each_shanghai_day_from_one():
    late_utc = datetime.datetime(2026, 11, 24, 16, 30, tzinfo=datetime.UTC)  # 00:30 on the 25th there
    first = services.next_ticket_number(late_utc)
    second = services.next_ticket_number(late_utc)
    assert (first, second) == ("KF2611250001", "KF2611250002")
    assert (
        services.next_ticket_number(datetime.datetime(2026, 11, 24, 3, tzinfo=datetime.UTC)) == "KF2611240001"
    )


def test_the_serial_grows_to_five_digits_after_9999():
    TicketNumberCounter.objects.create(day=datetime.date(2026, 11, 24), last=9999)
    at = datetime.datetime(2026, 11, 24, 3, tzinfo=datetime.UTC)
    assert services.next_ticket_number(at) == "KF26112410000"


# --- open_ticket --------------------------------------------------------------------------------


def test_the_opener_owns_the_ticket_and_the_opening_is_on_the_timeline_and_audited(agent):
    team = Team.objects.create(name="热线一组")
    agent.team = team
    agent.save()
    ticket = open_one(agent, tags=["空调", "加急", "空调"])
    assert ticket.owner == agent
    assert ticket.opened_by == agent
    assert ticket.team == team
    assert ticket.number.startswith("KF")
    assert ticket.status == Status.NEW
    assert sorted(ticket.tags.values_list("name", flat=True)) == ["加急", "空调"]
    event = TicketEvent.objects.get(ticket=ticket)
    assert (event.kind, event.is_public, event.actor, event.customer_id) == (
        "ticket_opened",
        True,
        agent,
        ticket.customer_id,
    )
    audit = AuditEvent.objects.get(action=AuditAction.CREATE, target_id=str(ticket.pk))
    assert audit.changes["subject"] == [None, "空调不制冷"]
    assert audit.actor == agent


def test_a_ticket_opened_by_nobody_on_staff_is_owned_by_the_intake_account():
    ticket = open_one(None, channel="portal")
    assert ticket.owner.username == "intake"
    assert ticket.opened_by is None
    assert not ticket.owner.has_usable_password()
    assert ticket.owner.is_active
    assert services.intake_user() == ticket.owner


def test_a_ticket_may_be_opened_for_one_of_the_customers_products(agent):
    product = OwnedProductFactory()
    ticket = open_one(
        agent, customer=product.customer, product=product, owner=make_user("agent", username="b")
    )
    assert ticket.product == product
    assert ticket.owner.username == "b"


@pytest.mark.parametrize(
    ("fields", "bad_field"),
    [
        ({"subject": "  "}, "subject"),
        ({"subject": "长" * 201}, "subject"),
        ({"type": "party"}, "type"),
        ({"channel": "pigeon"}, "channel"),
        ({"priority": "asap"}, "priority"),
        ({"status": "closed"}, "status"),
        ({"description": "x" * 5001}, "description"),
        ({"tags": ["x" * 31]}, "tags"),
        ({"tags": [f"t{n}" for n in range(11)]}, "tags"),
        ({"customer": None}, "customer"),
    ],
)
def test_each_refusal_of_open_ticket_names_the_field_and_writes_nothing(agent, fields, bad_field):
    customer = customer_with_phone()
    written = Written()
    with pytest.raises(ValidationError) as error:
        services.open_ticket(
            by=agent,
            **{"customer": customer, "subject": "空调", "type": "repair", "channel": "phone", **fields},
        )
    assert bad_field in error.value.message_dict
    assert written.unchanged()


def test_a_product_of_another_customer_is_refused(agent):
    product = OwnedProductFactory()
    written = Written()
    with pytest.raises(ValidationError) as error:
        open_one(agent, customer=CustomerFactory(), product=product)
    assert "product" in error.value.message_dict
    assert written.unchanged()


def test_an_inactive_owner_is_refused(agent):
    gone = make_user("agent", username="gone", is_active=False)
    written = Written()
    with pytest.raises(ValidationError) as error:
        open_one(agent, owner=gone)
    assert "owner" in error.value.message_dict
    assert written.unchanged()


def test_a_ticket_for_a_merged_customer_record_is_refused(agent):
    kept = CustomerFactory()
    merged = CustomerFactory(merged_into=kept)
    written = Written()
    with pytest.raises(CustomerMerged):
        open_one(agent, customer=merged)
    assert written.unchanged()


# --- update_ticket ------------------------------------------------------------------------------


def test_update_changes_the_fields_bumps_the_version_and_records_each_change(agent):
    ticket = open_one(agent, tags=["空调"])
    ticket = services.update_ticket(
        ticket=ticket, by=agent, version=1, subject="空调漏水", priority="high", tags=["漏水"]
    )
    assert (ticket.subject, ticket.priority, ticket.version) == ("空调漏水", "high", 2)
    assert list(ticket.tags.values_list("name", flat=True)) == ["漏水"]
    kinds = list(TicketEvent.objects.filter(ticket=ticket).order_by("id").values_list("kind", flat=True))
    assert kinds == ["ticket_opened", "ticket_updated", "ticket_tagged"]
    updated = TicketEvent.objects.get(kind="ticket_updated")
    assert updated.data["changes"] == {"subject": ["空调不制冷", "空调漏水"], "priority": ["normal", "high"]}
    audit = AuditEvent.objects.get(action=AuditAction.UPDATE)
    assert audit.changes["tags"] == {"added": ["漏水"], "removed": ["空调"]}


def test_an_update_that_changes_nothing_writes_nothing(agent):
    ticket = open_one(agent)
    written = Written(ticket)
    services.update_ticket(ticket=ticket, by=agent, version=1, subject="空调不制冷")
    assert written.unchanged()


def test_a_stale_version_is_refused_with_the_current_one(agent):
    ticket = open_one(agent)
    services.update_ticket(ticket=ticket, by=agent, version=1, priority="high")
    written = Written(ticket)
    with pytest.raises(StaleVersion) as error:
        services.update_ticket(ticket=ticket, by=agent, version=1, priority="low")
    assert error.value.current_version == 2
    assert written.unchanged()


def test_update_refuses_a_product_of_another_customer_and_bad_codes_at_once(agent):
    ticket = open_one(agent)
    written = Written(ticket)
    with pytest.raises(ValidationError) as error:
        services.update_ticket(
            ticket=ticket, by=agent, version=1, product=OwnedProductFactory(), type="party", subject=""
        )
    assert set(error.value.message_dict) == {"product", "type", "subject"}
    assert written.unchanged()


# --- transition_ticket --------------------------------------------------------------------------


def test_the_lifecycle_sets_and_clears_the_resolution_times_and_counts_reopens(agent):
    ticket = open_one(agent)
    ticket = services.transition_ticket(ticket=ticket, by=agent, status="open")
    ticket = services.transition_ticket(ticket=ticket, by=agent, status="resolved")
    assert ticket.resolved_at is not None
    assert ticket.closed_at is None
    ticket = services.transition_ticket(ticket=ticket, by=agent, status="closed")
    assert ticket.closed_at is not None
    assert ticket.resolved_at is not None
    ticket = services.transition_ticket(ticket=ticket, by=agent, status="open", version=ticket.version)
    assert (ticket.status, ticket.reopen_count, ticket.resolved_at, ticket.closed_at) == (
        "open",
        1,
        None,
        None,
    )
    reopen = TicketEvent.objects.filter(kind="ticket_status_changed").latest("id")
    assert reopen.data == {"number": ticket.number, "from": "closed", "to": "open", "reopened": True}
    assert reopen.is_public


@pytest.mark.parametrize(("start", "target"), [("new", "closed"), ("closed", "resolved"), ("open", "new")])
def test_an_illegal_transition_is_a_conflict_and_writes_nothing(agent, start, target):
    ticket = TicketFactory(owner=agent, status=start)
    written = Written(ticket)
    with pytest.raises(services.TransitionNotAllowed) as error:
        services.transition_ticket(ticket=ticket, by=agent, status=target)
    assert error.value.status == 409
    assert "status" in error.value.fields
    assert written.unchanged()


def test_an_unknown_status_names_the_field(agent):
    ticket = TicketFactory(owner=agent)
    written = Written(ticket)
    with pytest.raises(ValidationError) as error:
        services.transition_ticket(ticket=ticket, by=agent, status="done")
    assert "status" in error.value.message_dict
    assert written.unchanged()


def test_a_transition_with_a_stale_version_is_refused(agent):
    ticket = TicketFactory(owner=agent)
    written = Written(ticket)
    with pytest.raises(StaleVersion):
        services.transition_ticket(ticket=ticket, by=agent, status="open", version=7)
    assert written.unchanged()


def test_the_database_refuses_a_status_outside_the_lifecycle(agent):
    ticket = TicketFactory(owner=agent)
    with pytest.raises(IntegrityError), transaction.atomic():
        Ticket.objects.filter(pk=ticket.pk).update(status="done")


# --- transfer and claim -------------------------------------------------------------------------


def test_a_transfer_changes_owner_and_team_and_records_the_reason(agent, monkeypatch):
    told = mock.Mock()
    monkeypatch.setattr(services.notices, "transferred", told)
    team = Team.objects.create(name="售后二组")
    colleague = make_user("agent", username="colleague", team=team)
    ticket = open_one(agent)
    ticket = services.transfer_ticket(ticket=ticket, by=agent, to_user=colleague, reason="  客户在二组辖区 ")
    assert (ticket.owner, ticket.team, ticket.bounce_count, ticket.version) == (colleague, team, 1, 2)
    transfer = Transfer.objects.get()
    assert (transfer.from_user, transfer.to_user, transfer.by, transfer.reason, transfer.is_bounce) == (
        agent,
        colleague,
        agent,
        "客户在二组辖区",
        True,
    )
    event = TicketEvent.objects.get(kind="ticket_transferred")
    assert event.data["reason"] == "客户在二组辖区"
    assert not event.is_public
    assert AuditEvent.objects.get(action=AuditAction.UPDATE).reason == "客户在二组辖区"
    told.assert_called_once_with(ticket, transfer)


def test_the_ticket_is_flagged_as_bouncing_at_the_second_transfer(agent):
    colleague = make_user("agent", username="colleague")
    ticket = open_one(agent)
    ticket = services.transfer_ticket(ticket=ticket, by=agent, to_user=colleague, reason="不是我的片区")
    assert not ticket.is_bouncing
    ticket = services.transfer_ticket(ticket=ticket, by=colleague, to_user=agent, reason="也不是我的")
    assert ticket.bounce_count == 2
    assert ticket.is_bouncing


@pytest.mark.parametrize("case", ["oneself", "inactive", "intake", "no reason", "long reason", "nobody"])
def test_each_refused_transfer_names_the_field_and_writes_nothing(agent, case):
    ticket = open_one(agent)
    to_user = {
        "oneself": agent,
        "inactive": make_user("agent", username="gone", is_active=False),
        "intake": services.intake_user(),
        "nobody": None,
    }.get(case, make_user("agent", username="colleague"))
    reason = {"no reason": "  ", "long reason": "理" * 201}.get(case, "换人处理")
    written = Written(ticket)
    with pytest.raises(ValidationError) as error:
        services.transfer_ticket(ticket=ticket, by=agent, to_user=to_user, reason=reason)
    assert ("reason" if "reason" in case else "to_user") in error.value.message_dict
    assert written.unchanged()


def test_only_the_owner_or_a_supervisor_may_transfer(agent, supervisor):
    colleague = make_user("agent", username="colleague")
    ticket = open_one(agent)
    written = Written(ticket)
    with pytest.raises(PermissionDenied):
        services.transfer_ticket(ticket=ticket, by=colleague, to_user=colleague, reason="我来")
    assert written.unchanged()
    ticket = services.transfer_ticket(ticket=ticket, by=supervisor, to_user=colleague, reason="调度")
    assert ticket.owner == colleague


def test_claiming_an_unassigned_ticket_is_no_bounce(agent):
    ticket = open_one(None, channel="portal")
    ticket = services.claim_ticket(ticket=ticket, by=agent)
    assert (ticket.owner, ticket.bounce_count) == (agent, 0)
    assert Transfer.objects.get().is_bounce is False
    assert TicketEvent.objects.filter(ticket=ticket, kind="ticket_claimed").exists()


def test_a_ticket_somebody_owns_cannot_be_claimed(agent):
    ticket = open_one(agent)
    colleague = make_user("agent", username="colleague")
    written = Written(ticket)
    with pytest.raises(services.NotUnassigned):
        services.claim_ticket(ticket=ticket, by=colleague)
    assert written.unchanged()


# --- collaborators ------------------------------------------------------------------------------


def test_a_collaborator_helps_while_the_owner_stays_answerable(agent, technician):
    ticket = open_one(agent)
    collaborator = services.add_collaborator(ticket=ticket, by=agent, user=technician, note="上门检测")
    assert collaborator.note == "上门检测"
    ticket.refresh_from_db()
    assert ticket.owner == agent
    assert TicketEvent.objects.filter(ticket=ticket, kind="ticket_collaborator_added").exists()
    assert list(Ticket.objects.visible_to(technician)) == [ticket]


@pytest.mark.parametrize("case", ["owner", "twice", "inactive", "intake"])
def test_each_refused_collaborator_writes_nothing(agent, technician, case):
    ticket = open_one(agent)
    services.add_collaborator(ticket=ticket, by=agent, user=technician)
    user = {
        "owner": agent,
        "twice": technician,
        "inactive": make_user("technician", username="gone", is_active=False),
        "intake": services.intake_user(),
    }[case]
    written = Written(ticket)
    with pytest.raises(ValidationError) as error:
        services.add_collaborator(ticket=ticket, by=agent, user=user)
    assert "user" in error.value.message_dict
    assert written.unchanged()


# --- comments, customer replies, urges ----------------------------------------------------------


def test_a_public_reply_and_an_internal_note_are_told_apart_on_the_timeline(agent):
    ticket = open_one(agent)
    reply = services.add_comment(ticket=ticket, by=agent, body="师傅明天上午上门", public=True)
    note = services.add_comment(ticket=ticket, by=agent, body="客户脾气急", public=False)
    events = {event.kind: event for event in TicketEvent.objects.filter(ticket=ticket)}
    assert events["ticket_replied"].is_public
    assert events["ticket_replied"].data["comment"] == reply.pk
    assert not events["ticket_noted"].is_public
    assert events["ticket_noted"].data["comment"] == note.pk
    assert (reply.is_public, note.is_public) == (True, False)


def test_mentions_tell_active_staff_but_not_the_author(agent, monkeypatch):
    told = mock.Mock()
    monkeypatch.setattr(services.notices, "mentioned", told)
    colleague = make_user("agent", username="li.na")
    make_user("agent", username="gone", is_active=False)
    ticket = open_one(agent)
    comment = services.add_comment(
        ticket=ticket, by=agent, body="@li.na 请看 @gone @agent @nobody", public=False
    )
    told.assert_called_once_with(ticket, comment, [colleague])


@pytest.mark.parametrize("body", ["", "   ", "长" * 5001])
def test_an_empty_or_long_comment_is_refused(agent, body):
    ticket = open_one(agent)
    written = Written(ticket)
    with pytest.raises(ValidationError) as error:
        services.add_comment(ticket=ticket, by=agent, body=body, public=True)
    assert "body" in error.value.message_dict
    assert written.unchanged()


def test_the_customers_reply_is_public_reopens_a_pending_ticket_and_tells_the_owner(agent, monkeypatch):
    told = mock.Mock()
    monkeypatch.setattr(services.notices, "customer_replied", told)
    ticket = open_one(agent)
    services.transition_ticket(ticket=ticket, by=agent, status="pending_customer")
    comment = services.add_customer_reply(ticket=ticket, body="我明天在家")
    ticket.refresh_from_db()
    assert (comment.by_customer, comment.is_public, comment.author) == (True, True, None)
    assert ticket.status == "open"
    assert TicketEvent.objects.filter(ticket=ticket, kind="ticket_customer_replied", actor=None).exists()
    told.assert_called_once()


def test_the_customer_cannot_reply_on_a_closed_ticket(agent):
    ticket = TicketFactory(owner=agent, status="closed")
    written = Written(ticket)
    with pytest.raises(services.TicketNotOpen):
        services.add_customer_reply(ticket=ticket, body="还是坏的")
    assert written.unchanged()


def test_an_urge_counts_is_public_and_tells_the_owner(agent, monkeypatch):
    told = mock.Mock()
    monkeypatch.setattr(services.notices, "urged", told)
    ticket = open_one(agent)
    services.urge_ticket(ticket=ticket)
    ticket = services.urge_ticket(ticket=ticket, by=agent, via="phone", note="客户来电催促")
    assert ticket.urge_count == 2
    event = TicketEvent.objects.filter(kind="ticket_urged").latest("id")
    assert event.is_public
    assert event.data["via"] == "phone"
    assert event.actor == agent
    assert told.call_count == 2
    assert list(selectors.ticket_queue(user=agent, queue="mine").items) == [ticket]


@pytest.mark.parametrize("case", ["closed", "via", "note"])
def test_a_refused_urge_writes_nothing(agent, case):
    ticket = TicketFactory(owner=agent, status="closed" if case == "closed" else "open")
    written = Written(ticket)
    with pytest.raises((ValidationError, services.TicketNotOpen)):
        services.urge_ticket(
            ticket=ticket, via="fax" if case == "via" else "portal", note="催" * 501 if case == "note" else ""
        )
    assert written.unchanged()


# --- links and merges ---------------------------------------------------------------------------


def test_a_link_is_on_both_timelines(agent):
    customer = customer_with_phone()
    one, other = open_one(agent, customer), open_one(agent, customer)
    services.link_tickets(ticket=one, to_ticket=other, kind=LinkKind.RELATED, by=agent)
    assert TicketEvent.objects.filter(kind="ticket_linked").count() == 2
    written = Written()
    with pytest.raises(ValidationError):
        services.link_tickets(ticket=one, to_ticket=other, kind=LinkKind.RELATED, by=agent)
    with pytest.raises(ValidationError):
        services.link_tickets(ticket=one, to_ticket=one, kind=LinkKind.RELATED, by=agent)
    assert written.unchanged()


def test_a_merge_moves_nothing_and_the_original_shows_every_reply(agent, supervisor):
    customer = customer_with_phone()
    original, duplicate = open_one(agent, customer), open_one(agent, customer)
    services.add_comment(ticket=original, by=agent, body="原单回复", public=True)
    services.add_comment(ticket=duplicate, by=agent, body="重复单回复", public=True)
    services.add_comment(ticket=duplicate, by=agent, body="重复单备注", public=False)
    merged = services.merge_ticket(duplicate=duplicate, into=original, by=supervisor, reason="同一故障")
    assert (merged.status, merged.merged_into) == ("closed", original)
    assert Comment.objects.filter(ticket=duplicate).count() == 2
    assert TicketLink.objects.get().kind == LinkKind.DUPLICATE_OF
    page = selectors.ticket_timeline(original, user=agent)
    bodies = [event.comment.body for event in page.items if event.comment is not None]
    assert bodies == ["原单回复", "重复单回复", "重复单备注"]
    public = selectors.ticket_timeline(original, user=agent, public_only=True)
    assert [e.comment.body for e in public.items if e.comment is not None] == ["原单回复", "重复单回复"]
    assert TicketEvent.objects.filter(kind="ticket_merged").count() == 2
    assert AuditEvent.objects.filter(action=AuditAction.UPDATE, actor=supervisor).count() == 2


def test_a_merged_ticket_takes_no_changes_until_unmerged(agent, supervisor):
    customer = customer_with_phone()
    original, duplicate = open_one(agent, customer), open_one(agent, customer)
    services.merge_ticket(duplicate=duplicate, into=original, by=supervisor)
    duplicate.refresh_from_db()
    written = Written(duplicate)
    with pytest.raises(services.TicketMerged):
        services.add_comment(ticket=duplicate, by=agent, body="还在吗", public=True)
    with pytest.raises(services.TicketMerged):
        services.transition_ticket(ticket=duplicate, by=agent, status="open")
    assert written.unchanged()
    ticket = services.unmerge_ticket(ticket=duplicate, by=supervisor)
    assert (ticket.status, ticket.merged_into, ticket.reopen_count) == ("open", None, 1)
    assert TicketEvent.objects.filter(kind="ticket_unmerged").count() == 2
    assert TicketLink.objects.count() == 1  # kept, as a record


@pytest.mark.parametrize("case", ["itself", "other customer", "already merged", "into a merged one"])
def test_each_refused_merge_writes_nothing(agent, supervisor, case):
    customer = customer_with_phone()
    original, duplicate, third = (open_one(agent, customer) for _ in range(3))
    if case in ("already merged", "into a merged one"):
        services.merge_ticket(duplicate=third, into=original, by=supervisor)
        third.refresh_from_db()
    if case == "other customer":
        original = open_one(agent)
    written = Written()
    pair = {
        "itself": (duplicate, duplicate),
        "other customer": (duplicate, original),
        "already merged": (third, duplicate),
        "into a merged one": (duplicate, third),
    }[case]
    with pytest.raises((ValidationError, services.TicketMerged)):
        services.merge_ticket(duplicate=pair[0], into=pair[1], by=supervisor)
    assert written.unchanged()


def test_merging_a_ticket_others_were_merged_into_leaves_no_chain(agent, supervisor):
    customer = customer_with_phone()
    original, middle, first = (open_one(agent, customer) for _ in range(3))
    services.merge_ticket(duplicate=first, into=middle, by=supervisor)
    services.merge_ticket(duplicate=middle, into=original, by=supervisor)
    first.refresh_from_db()
    assert first.merged_into == original


def test_unmerging_a_ticket_that_is_not_merged_is_a_conflict(agent, supervisor):
    ticket = open_one(agent)
    written = Written(ticket)
    with pytest.raises(services.Conflict):
        services.unmerge_ticket(ticket=ticket, by=supervisor)
    assert written.unchanged()


def test_the_intake_account_has_no_role():
    intake = services.intake_user()
    assert not intake.groups.exists()
    assert not intake.has_perm("tickets.view_ticket")
