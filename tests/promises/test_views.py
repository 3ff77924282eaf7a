"""What staff and customers see of promises: the clock in each of its states (grey, orange in the
last quarter, red once past due, kept, paused), the clocks on a ticket's page and in the queues'
rows (one query for a page of rows), the due-soon and breached tabs, the customer's link saying
what was promised and whether it was kept, and the promise-kept figure's page, CSV and API on a
small known data set.

Promises are written directly here to set each scene (the services that make them are tested in
test_services.py); the texts are checked in English, the structure (data-clock, classes) in any.
"""

import csv
import datetime
import io
from types import SimpleNamespace

import pytest
from django.db import connection
from django.template import Context, Template
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from kefu.promises import display, selectors
from kefu.promises.models import PolicyTarget, PromisePolicy, PromiseTally, TicketPromise, WorkCalendar
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


# --- The promise-kept figure ------------------------------------------------------------------

DAY = datetime.date(2026, 6, 1)


@pytest.fixture
def tallies(db):
    """Two policies over three days; one tally outside the range asked for."""
    city = make_policy("测试·城市上门24小时", first_response=120, arrival=1440)
    summer = make_policy("测试·夏季空调", arrival=240)
    rows = [
        (DAY, city, "first_response", 9, 1),
        (DAY + datetime.timedelta(days=1), city, "first_response", 8, 2),
        (DAY, city, "arrival", 3, 1),
        (DAY + datetime.timedelta(days=2), summer, "arrival", 1, 3),
        (DAY - datetime.timedelta(days=1), summer, "arrival", 50, 0),  # before the range
    ]
    for day, policy, kind, kept, missed in rows:
        PromiseTally.objects.create(day=day, policy=policy, kind=kind, kept=kept, missed=missed)
    return city, summer


RANGE = {"from": "2026-06-01", "to": "2026-06-07"}


def test_the_figure_sums_the_tally_per_policy_and_kind_in_two_queries(tallies, django_assert_num_queries):
    city, summer = tallies
    with django_assert_num_queries(2):
        figure = selectors.promise_kept(date_from=DAY, date_to=DAY + datetime.timedelta(days=6))

    found = {(row.policy_id, row.kind): (row.kept, row.missed, row.target_minutes) for row in figure.rows}
    assert found == {
        (city.pk, "first_response"): (17, 3, 120),
        (city.pk, "arrival"): (3, 1, 1440),
        (summer.pk, "arrival"): (1, 3, 240),
    }
    assert {row.kind: (row.kept, row.missed) for row in figure.kinds} == {
        "first_response": (17, 3),
        "arrival": (4, 4),
    }
    # Policies by name, kinds in their order.
    assert [(row.policy_id, row.kind) for row in figure.rows] == [
        (city.pk, "first_response"),
        (city.pk, "arrival"),
        (summer.pk, "arrival"),
    ]
    assert figure.rows[0].kept_rate == pytest.approx(0.85)


def test_the_figure_page_shows_the_table_and_the_chart_for_a_supervisor(client, supervisor, tallies):
    city, _summer = tallies
    client.force_login(supervisor)

    page = client.get(reverse("promises:figures"), RANGE).content.decode()

    table = page[page.index('id="figure-table"') :]
    row = table[table.index(f'data-policy="{city.pk}" data-kind="first_response"') :]
    row = row[: row.index("</tr>")]
    assert ">17<" in row
    assert ">3<" in row
    assert "85.0%" in row
    assert 'id="promise-chart"' in page
    assert 'id="promise-chart-data"' in page
    assert "vendor/echarts/echarts.min.js" in page
    assert f'href="{reverse("promises:figures")}"' in page  # the menu's entry


def test_the_figure_exports_as_csv(client, supervisor, tallies):
    client.force_login(supervisor)

    response = client.get(reverse("promises:figures"), {**RANGE, "kind": "arrival", "format": "csv"})

    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert len(rows) == 1 + 2 + 1  # the header, two policies, the total for arrival
    assert [row[3:5] for row in rows[1:]] == [["3", "1"], ["1", "3"], ["4", "4"]]


def test_a_bad_range_is_refused_beside_its_field(client, supervisor, tallies):
    client.force_login(supervisor)

    page = client.get(
        reverse("promises:figures"), {"from": "2026-06-07", "to": "2026-06-01"}
    ).content.decode()

    assert "invalid-feedback" in page
    assert 'id="figure-table"' not in page


def test_agents_do_not_see_the_figure(client, agent):
    client.force_login(agent)

    assert client.get(reverse("promises:figures")).status_code == 403
    page = client.get(reverse("tickets:queue")).content.decode()
    assert reverse("promises:figures") not in page


def test_the_api_answers_the_figure_with_its_filters(client, manager, tallies):
    city, summer = tallies
    client.force_login(manager)

    answer = client.get("/api/v1/figures/promise-kept", {**RANGE, "kind": "arrival"}).json()

    assert (answer["from"], answer["to"]) == ("2026-06-01", "2026-06-07")
    assert [(row["policy"], row["kept"], row["missed"], row["kept_rate"]) for row in answer["rows"]] == [
        (city.pk, 3, 1, 0.75),
        (summer.pk, 1, 3, 0.25),
    ]
    assert [row["target_minutes"] for row in answer["rows"]] == [1440, 240]
    assert answer["kinds"] == [
        {
            "policy": None,
            "policy_name": "",
            "kind": "arrival",
            "kind_label": answer["kinds"][0]["kind_label"],
            "target_minutes": None,
            "kept": 4,
            "missed": 4,
            "kept_rate": 0.5,
        }
    ]
    one = client.get("/api/v1/figures/promise-kept", {**RANGE, "policy": city.pk}).json()
    assert {row["policy"] for row in one["rows"]} == {city.pk}


@pytest.mark.parametrize(
    "query",
    [
        {"from": "2026-06-07", "to": "2026-06-01"},
        {"from": "2000-01-01", "to": "2026-06-01"},
        {"from": "yesterday"},
        {"to": "0"},
        {"to": "2026-02-30"},
        {"kind": "lunch"},
        {"policy": "0"},
    ],
)
def test_the_api_refuses_a_bad_filter_with_a_4xx(client, manager, query):
    client.force_login(manager)

    response = client.get("/api/v1/figures/promise-kept", query)

    assert response.status_code in (400, 422)
    assert response.json()["code"]
