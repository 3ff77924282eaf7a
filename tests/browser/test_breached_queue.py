"""Issue 13's browser acceptance: a supervisor sees a breached ticket in the breached queue with a
red clock, and its escalation on the ticket's timeline.

The scene is made through the services: a policy promising a first response in 2 hours, a ticket
opened three hours ago (the clock of the opening is set back, nothing else is written by hand),
then the breach sweep at the real time marks the breach and climbs the chain to the supervisor.
"""

import datetime
from unittest import mock

import pytest
from django.contrib.auth.models import Group
from django.utils import timezone
from playwright.sync_api import expect

from kefu.accounts.models import Team
from kefu.accounts.roles import sync_roles
from kefu.customers import services as customer_services
from kefu.promises import services_policies, sweep
from kefu.promises.models import CalendarKind, PromisePolicy, PromiseTally, TicketPromise, WorkCalendar
from kefu.tickets import services
from tests.browser.test_readable_colours_and_skip_link import MEASURE, contrast
from tests.factories import PASSWORD, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def scene():
    if not Group.objects.filter(name="supervisor").exists():
        sync_roles()  # a transactional test may run after another one flushed the tables
    supervisor = make_user("supervisor", display_name="王主管")
    team = Team.objects.create(name="热线一组", supervisor=supervisor)
    agent = make_user("agent", team=team, display_name="李客服")
    # The shipped policies may be gone (an earlier transactional test flushed them): make our own,
    # and keep any shipped ones out of the match.
    PromisePolicy.objects.update(active=False)
    calendar = WorkCalendar.objects.create(name="测试·全天候", kind=CalendarKind.ALWAYS)
    services_policies.create_policy(
        by=None,
        name="测试·两小时响应",
        description="所有报修两小时内首次响应",
        calendar=calendar,
        targets={"first_response": 120},
        escalate_supervisor_after=0,
    )
    customer = customer_services.create_customer(by=agent, name="陈女士", phones=["138 1234 5678"])
    three_hours_ago = timezone.now() - datetime.timedelta(hours=3)
    with mock.patch("django.utils.timezone.now", return_value=three_hours_ago):
        ticket = services.open_ticket(
            by=agent, customer=customer, subject="空调不制冷", type="repair", channel="phone", owner=agent
        )
    result = sweep.sweep()
    assert result.breached == 1
    assert TicketPromise.objects.get(ticket=ticket).escalation_level >= 2
    return supervisor, ticket


def test_a_supervisor_sees_the_breached_ticket_with_a_red_clock_and_its_escalation(page, live_server, scene):
    supervisor, ticket = scene
    page.goto(live_server.url + "/accounts/login/?next=/tickets/")
    page.fill("input[name=username]", supervisor.username)
    page.fill("input[name=password]", PASSWORD)
    page.press("input[name=password]", "Enter")

    page.locator('.kf-tabs a[href="?queue=breached"]').click()
    expect(page).to_have_url(f"{live_server.url}/tickets/?queue=breached")
    row = page.locator("tr", has_text=ticket.number)
    expect(row).to_have_count(1)
    clock = row.locator(".kf-clock")
    expect(clock).to_have_attribute("data-clock", "overdue")
    expect(clock.locator("time")).not_to_be_empty()
    colours = page.evaluate(MEASURE, ".kf-queue .kf-clock.kf-bad")
    red, back = colours["fore"], colours["back"]
    assert red[0] > 150, red  # red, not grey or orange
    assert max(red[1], red[2]) < 80, red
    assert contrast(red, back) >= 4.5

    row.locator("a").first.click()
    expect(page.locator("#ticket-promises .kf-clock.kf-bad")).to_be_visible()
    # The chain's first two steps: the owner at once, the supervisor (after 0 minutes past due).
    escalations = page.locator("#timeline .kf-entry-promise_escalated")
    expect(escalations).to_have_count(2)
    expect(escalations.filter(has_text=supervisor.display_name)).to_have_count(1)
    expect(page.locator("#timeline .kf-entry-promise_breached")).to_have_count(1)
    assert page.console_errors == []


def test_the_promise_kept_figure_draws_its_chart_from_the_vendored_echarts(page, live_server):
    if not Group.objects.filter(name="manager").exists():
        sync_roles()
    manager = make_user("manager")
    calendar = WorkCalendar.objects.create(name="测试·全天候", kind=CalendarKind.ALWAYS)
    policy = services_policies.create_policy(
        by=None, name="测试·城市上门", calendar=calendar, targets={"arrival": 1440}, active=False
    )
    today = timezone.localdate()
    PromiseTally.objects.create(day=today, policy=policy, kind="arrival", kept=9, missed=1)
    page.goto(live_server.url + "/accounts/login/?next=/promises/figures/")
    page.fill("input[name=username]", manager.username)
    page.fill("input[name=password]", PASSWORD)
    page.press("input[name=password]", "Enter")

    expect(page.locator("#figure-table")).to_contain_text("90.0%")
    expect(page.locator("#promise-chart svg")).to_have_count(1)  # drawn: the script ran under the CSP
    assert page.console_errors == []
