"""The tickets' part of the demo data (`manage.py load_demo_data`): tickets in every state, told
through the services over the last weeks, with the demo teams."""

import datetime
import io
import re
from collections import Counter

import pytest
from django.core.management import call_command
from django.db.models import Count, F, Q
from django.test import override_settings
from django.utils import timezone

from kefu.accounts.models import User
from kefu.tickets import demo, services, timeline
from kefu.tickets.models import OPEN_STATUSES, Comment, Status, Ticket, TicketEvent

pytestmark = pytest.mark.django_db


def load(*args) -> str:
    out = io.StringIO()
    with override_settings(DEBUG=True):
        call_command("load_demo_data", "--customers", "30", "--seed", "3", *args, stdout=out)
    return out.getvalue()


@pytest.fixture(scope="module")
def loaded(module_db):
    """Loaded once for the tests that read it (each test is its own transaction inside)."""
    with module_db():
        return load("--tickets", "80")


def test_tickets_in_every_state_with_bouncing_urged_merged_and_unassigned_ones(loaded):
    # The demo's own tickets, besides the recovery cases the surveys' demo step opens.
    assert Ticket.objects.filter(recovery_for__isnull=True).count() == 80
    statuses = Counter(Ticket.objects.values_list("status", flat=True))
    assert set(statuses) == set(Status.values)
    intake = services.intake_user()
    assert Ticket.objects.filter(owner=intake, status__in=OPEN_STATUSES).exists()
    assert Ticket.objects.filter(bounce_count__gte=2).exists()
    assert Ticket.objects.filter(urge_count__gt=0).exists()
    assert Ticket.objects.filter(reopen_count__gt=0, status=Status.OPEN).exists()
    merged = Ticket.objects.filter(merged_into__isnull=False)
    assert merged.exists()
    assert not merged.exclude(customer_id=F("merged_into__customer_id")).exists()
    assert "80 demo tickets" in loaded
    assert "bouncing" in loaded


def test_the_demo_agent_and_supervisor_share_a_team_the_supervisor_leads(loaded):
    agent = User.objects.select_related("team").get(username="agent")
    supervisor = User.objects.get(username="supervisor")
    assert agent.team is not None
    assert agent.team_id == supervisor.team_id
    assert agent.team.supervisor_id == supervisor.pk
    # the colleagues tickets are handed to are agents of the supervisor's teams, and cannot sign in
    for username in demo.COLLEAGUES:
        colleague = User.objects.select_related("team").get(username=username)
        assert colleague.team.supervisor_id == supervisor.pk
        assert not colleague.has_usable_password()
        assert colleague.groups.filter(name="agent").exists()
    # the demo agent has work in their queue
    assert Ticket.objects.filter(owner=agent, status__in=OPEN_STATUSES).exists()


def test_the_stories_are_spread_over_weeks_and_each_timeline_is_in_order(loaded):
    now = timezone.now()
    created = list(Ticket.objects.values_list("created_at", flat=True))
    assert max(created) <= now
    assert now - min(created) > datetime.timedelta(days=20)
    assert not TicketEvent.objects.filter(occurred_at__lt=F("ticket__created_at")).exists()
    assert not TicketEvent.objects.filter(occurred_at__gt=now).exists()
    for ticket in Ticket.objects.all():
        match = re.fullmatch(r"KF(\d{6})\d{4}", ticket.number)
        assert match
        assert match[1] == timezone.localtime(ticket.created_at).strftime("%y%m%d")
    # the open tickets are the recent ones on the whole
    open_ages = [now - at for at in Ticket.objects.open().values_list("created_at", flat=True)]
    done_ages = [
        now - at for at in Ticket.objects.filter(status=Status.CLOSED).values_list("created_at", flat=True)
    ]
    assert sorted(open_ages)[len(open_ages) // 2] < sorted(done_ages)[len(done_ages) // 2]


def test_the_services_wrote_what_they_always_write(loaded):
    # every ticket opened on its timeline; the counts agree with the rows
    opened = TicketEvent.objects.filter(kind=timeline.TICKET_OPENED, ticket__recovery_for__isnull=True)
    assert opened.count() == 80
    assert not (
        Ticket.objects.annotate(
            bounces=Count("transfers", filter=Q(transfers__is_bounce=True), distinct=True),
            urges=Count("events", filter=Q(events__kind=timeline.TICKET_URGED), distinct=True),
        )
        .filter(~Q(bounces=F("bounce_count")) | ~Q(urges=F("urge_count")))
        .exists()
    )
    # each comment's time is its event's
    for comment in Comment.objects.all():
        event = TicketEvent.objects.get(ticket_id=comment.ticket_id, data__comment=comment.pk)
        assert event.occurred_at == comment.created_at
    assert Comment.objects.filter(by_customer=True).exists()
    assert Comment.objects.filter(is_public=False).exists()
    subjects = set(Ticket.objects.values_list("subject", flat=True))
    assert all(re.search(r"[\u4e00-\u9fff]", subject) for subject in subjects)


def test_loading_again_adds_no_tickets(loaded):
    output = load("--tickets", "80")
    assert Ticket.objects.filter(recovery_for__isnull=True).count() == 80
    assert "no demo tickets added" in output


def test_zero_tickets_asked_adds_none():
    load("--tickets", "0")
    assert not Ticket.objects.exists()


def test_a_small_archive_gets_at_most_three_tickets_per_customer():
    with override_settings(DEBUG=True):
        call_command("load_demo_data", "--customers", "4", "--seed", "2", stdout=io.StringIO())
    # Besides the recovery cases the surveys' demo step opens for its "not satisfied" answers.
    assert Ticket.objects.filter(recovery_for__isnull=True).count() == 12
