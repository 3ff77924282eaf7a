"""What staff and customers see of promises: the clock in each of its states (grey, orange in the
last quarter, red once past due, kept, paused), the clocks on a ticket's page and in the queues'
rows (one query for a page of rows), the due-soon and breached tabs, the customer's link saying
what was promised and whether it was kept. The promise-kept figure: test_figures.py.

Promises are written directly here to set each scene (the services that make them are tested in
test_services.py); the texts are checked in English, the structure (data-clock, classes) in any.
"""

import datetime
from types import SimpleNamespace

import pytest
from django.db import connection
from django.template import Context, Template
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from kefu.promises import display
from kefu.promises.models import PolicyTarget, PromisePolicy, TicketPromise, WorkCalendar
from kefu.tickets import portal
from kefu.tickets.models import Ticket
from tests.tickets.factories import TicketFactory

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2026, 6, 3, 10, 0, tzinfo=datetime.UTC)
HOUR = datetime.timedelta(hours=1)
MINUTE = datetime.timedelta(minutes=1)


def shaped(started, due, *, kind="first_response", met=None, breached=None, paused=None):
    return SimpleNamespace(
        kind=kind, started_at=started, due_at=due, met_at=met, breached_at=breached, paused_since=paused
    )


def make_policy(name="测试·城市上门", **targets) -> PromisePolicy:
    calendar, _ = WorkCalendar.objects.get_or_create(name="测试·全天候", defaults={"kind": "always"})
    policy = PromisePolicy.objects.create(name=name, calendar=calendar, description="城区有网点，当天可上门")
    for kind, minutes in targets.items():
        PolicyTarget.objects.create(policy=policy, kind=kind, minutes=minutes)
    return policy


def promise(ticket, policy, kind, *, started, due, **fields) -> TicketPromise:
    TicketPromise.objects.filter(ticket=ticket, kind=kind).delete()
    return TicketPromise.objects.create(
        ticket=ticket,
        kind=kind,
        policy=policy,
        minutes=int((due - started).total_seconds() // 60),
        started_at=started,
        due_at=due,
        **fields,
    )


# --- The clock --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "state", "css", "text"),
    [
        ({"started": NOW - HOUR, "due": NOW + 2 * HOUR}, "running", "kf-grey", "Due in 2 hours"),
        # 4-hour span, 59 minutes left: inside the last quarter.
        (
            {"started": NOW - 3 * HOUR - MINUTE, "due": NOW + 59 * MINUTE},
            "due_soon",
            "kf-orange",
            "Due in 59 minutes",
        ),
        # Exactly a quarter left is inside it too; just over a quarter is not.
        ({"started": NOW - 3 * HOUR, "due": NOW + HOUR}, "due_soon", "kf-orange", "Due in 1 hour"),
        (
            {"started": NOW - 3 * HOUR, "due": NOW + HOUR + MINUTE},
            "running",
            "kf-grey",
            "Due in 1 hour 1 minute",
        ),
        # Past due is red at once, before the sweep marks the breach.
        ({"started": NOW - 3 * HOUR, "due": NOW - 35 * MINUTE}, "overdue", "kf-bad", "Overdue by 35 minutes"),
        (
            {"started": NOW - 3 * HOUR, "due": NOW - 35 * MINUTE, "breached": NOW - 30 * MINUTE},
            "overdue",
            "kf-bad",
            "Overdue by 35 minutes",
        ),
        ({"started": NOW - 3 * HOUR, "due": NOW + HOUR, "paused": NOW - HOUR}, "paused", "kf-grey", "Paused"),
        ({"started": NOW - 3 * HOUR, "due": NOW + HOUR, "met": NOW - HOUR}, "kept", "kf-ok", "Met"),
        (
            {
                "started": NOW - 50 * HOUR,
                "due": NOW - 26 * HOUR,
                "met": NOW - 2 * HOUR,
                "breached": NOW - 26 * HOUR,
            },
            "kept_late",
            "kf-bad",
            "Met 1 day late",
        ),
    ],
)
def test_a_clock_says_its_state_in_words_and_colour(fields, state, css, text):
    with translation.override("en"):
        clock = display.clock(shaped(**fields), NOW)

    assert (clock.state, clock.css, clock.text) == (state, css, text)


def test_the_template_filter_renders_the_clock_as_a_badge_with_its_due_time():
    due = timezone.now() - 35 * MINUTE
    row = shaped(due - 2 * HOUR, due, kind="arrival")
    with translation.override("en"):
        html = Template("{% load promise_clocks %}{{ p|promise_clock }}").render(Context({"p": row}))

    assert 'class="kf-clock kf-status kf-bad"' in html
    assert 'data-clock="overdue"' in html
    assert 'data-kind="arrival"' in html
    assert "On-site arrival" in html
    assert "Overdue by 3" in html
    assert timezone.localtime(due).strftime("%Y-%m-%d %H:%M") in html


# --- The ticket's page and the queues ---------------------------------------------------------


@pytest.fixture
def policy(db):
    return make_policy(first_response=120, arrival=1440, resolution=2880)


def test_the_ticket_page_shows_each_promise_as_a_clock_and_the_policy_behind_them(client, agent, policy):
    ticket = TicketFactory(owner=agent)
    now = timezone.now()
    promise(ticket, policy, "first_response", started=now - 3 * HOUR, due=now - HOUR, breached_at=now - HOUR)
    promise(ticket, policy, "arrival", started=now - 3 * HOUR, due=now + 21 * HOUR)
    client.force_login(agent)

    page = client.get(reverse("tickets:detail", args=[ticket.number])).content.decode()

    head = page[page.index('id="ticket-promises"') :]
    assert head.index('data-kind="first_response"') < head.index('data-kind="arrival"')
    assert 'data-clock="overdue"' in head
    assert "kf-bad" in head
    assert 'data-clock="running"' in head
    assert policy.name in head
    assert policy.description in head


def test_a_ticket_without_promises_shows_no_clocks(client, agent):
    ticket = TicketFactory(owner=agent)
    client.force_login(agent)

    page = client.get(reverse("tickets:detail", args=[ticket.number])).content.decode()

    assert "ticket-promises" not in page


def link(ticket) -> str:
    return f'href="{reverse("tickets:detail", args=[ticket.number])}"'


def queue_page(client, queue):
    return client.get(reverse("tickets:queue"), {"queue": queue}).content.decode()


def test_a_queue_row_shows_the_most_urgent_clock_and_the_queue_costs_the_same_for_3_and_12_rows(
    client, agent, policy
):
    now = timezone.now()
    late = TicketFactory(owner=agent)
    promise(late, policy, "first_response", started=now - 3 * HOUR, due=now - 10 * MINUTE)
    promise(late, policy, "resolution", started=now - 3 * HOUR, due=now + 40 * HOUR)
    client.force_login(agent)

    page = queue_page(client, "mine")

    row = page[page.index(reverse("tickets:detail", args=[late.number])) :]
    row = row[: row.index("</tr>")]
    assert 'data-clock="overdue"' in row
    assert 'data-kind="first_response"' in row
    assert 'data-kind="resolution"' not in row

    def queries(count):
        for _ in range(count):
            ticket = TicketFactory(owner=agent)
            promise(ticket, policy, "arrival", started=now, due=now + 5 * HOUR)
        with CaptureQueriesContext(connection) as captured:
            queue_page(client, "mine")
        return len(captured)

    assert queries(2) == queries(9)


def test_the_due_soon_and_breached_tabs_hold_their_tickets(client, supervisor, agent, policy):
    now = timezone.now()
    breached = TicketFactory(owner=agent)
    promise(
        breached, policy, "first_response", started=now - 3 * HOUR, due=now - HOUR, breached_at=now - HOUR
    )
    soon = TicketFactory(owner=agent)
    promise(soon, policy, "first_response", started=now - 90 * MINUTE, due=now + 30 * MINUTE)
    later = TicketFactory(owner=agent)
    promise(later, policy, "resolution", started=now, due=now + 40 * HOUR)
    Ticket.objects.filter(pk=breached.pk).update(due_at=now - HOUR)
    Ticket.objects.filter(pk=soon.pk).update(due_at=now + 30 * MINUTE)
    Ticket.objects.filter(pk=later.pk).update(due_at=now + 40 * HOUR)
    client.force_login(supervisor)

    page = queue_page(client, "mine")
    assert 'href="?queue=due_soon"' in page
    assert 'href="?queue=breached"' in page

    shown = queue_page(client, "breached")
    assert link(breached) in shown
    assert link(soon) not in shown
    assert link(later) not in shown
    assert 'data-clock="overdue"' in shown

    shown = queue_page(client, "due_soon")
    assert link(soon) in shown
    assert link(breached) not in shown
    assert link(later) not in shown


# --- The customer's link ----------------------------------------------------------------------


def portal_page(ticket, client, agent):
    url, _ = portal.portal_link(ticket, by=agent)
    return client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()


def test_the_customers_link_says_what_was_promised_and_whether_it_was_kept(client, agent, policy):
    ticket = TicketFactory(owner=agent)
    now = timezone.now()
    due = now + 5 * HOUR
    promise(ticket, policy, "first_response", started=now - HOUR, due=now + HOUR, met_at=now - 10 * MINUTE)
    promise(ticket, policy, "arrival", started=now - HOUR, due=due)
    promise(
        ticket,
        policy,
        "resolution",
        started=now - 50 * HOUR,
        due=now - 35 * MINUTE,
        breached_at=now - 30 * MINUTE,
    )

    page = portal_page(ticket, client, agent)

    block = page[page.index('id="portal-promises"') :]
    with translation.override("en"):
        when = display.customer_time(due)
    assert 'data-kind="first_response" data-state="kept"' in block
    assert "as promised" in block
    assert 'data-kind="arrival" data-state="promised"' in block
    assert when in block
    assert 'data-kind="resolution" data-state="late"' in block
    assert "We are sorry" in block


def test_a_promise_kept_late_is_owned_up_to_on_the_customers_link(client, agent, policy):
    ticket = TicketFactory(owner=agent)
    now = timezone.now()
    promise(
        ticket,
        policy,
        "first_response",
        started=now - 3 * HOUR,
        due=now - HOUR,
        met_at=now - 25 * MINUTE,
        breached_at=now - HOUR,
    )

    page = portal_page(ticket, client, agent)

    assert 'data-state="late"' in page
    assert "35 minutes later than promised" in page


def test_the_customer_sentence_in_chinese_names_the_day_and_time():
    due = datetime.datetime(2026, 6, 3, 10, 0, tzinfo=datetime.UTC)  # 18:00 in Shanghai
    with translation.override("zh-hans"), timezone.override("Asia/Shanghai"):
        sentence = display.customer_sentence(shaped(due - HOUR, due), due - 2 * HOUR)

    assert sentence["state"] == "promised"
    assert "18:00" in sentence["text"]
