"""A supervisor's complaint journey in a real browser: on a complaint ticket's page, classify it as
resolved although not our fault (the badge appears in the header), give a compensation they approve
themselves, then link the ticket to a problem and close the problem with its corrective action."""

import pytest
from django.contrib.auth.models import Group
from playwright.sync_api import expect

from kefu.accounts.models import Team
from kefu.accounts.roles import sync_roles
from kefu.complaints.defaults import seed_causes
from kefu.complaints.models import Compensation, Problem
from kefu.customers import services as customer_services
from kefu.notifications.models import OutboxMessage
from kefu.tickets import services
from tests.factories import PASSWORD, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def scene():
    if not Group.objects.filter(name="supervisor").exists():
        sync_roles()  # a transactional test may run after another one flushed the tables
    seed_causes()
    supervisor = make_user("supervisor", display_name="王主管")
    team = Team.objects.create(name="投诉处理组", supervisor=supervisor)
    agent = make_user("agent", team=team, display_name="李客服")
    customer = customer_services.create_customer(by=agent, name="陈女士", phones=["138 1234 5678"])
    ticket = services.open_ticket(
        by=agent,
        customer=customer,
        subject="空调漏水，外机是物业的安装队装的",
        type="complaint",
        channel="phone",
    )
    return supervisor, ticket


def test_a_supervisor_classifies_compensates_and_closes_the_problem(page, live_server, scene):
    supervisor, ticket = scene
    page.goto(live_server.url + f"/accounts/login/?next=/tickets/{ticket.number}/")
    page.fill("input[name=username]", supervisor.username)
    page.fill("input[name=password]", PASSWORD)
    page.press("input[name=password]", "Enter")

    card = page.locator("#complaint-card")
    expect(card).to_be_visible()
    card.locator("#complaint-classify summary").click()
    form = card.locator("#complaint-classify form")
    form.locator("select[name=cause]").select_option(label="非我方责任")
    form.locator("select[name=fault_party]").select_option("third_party")
    form.locator("select[name=outcome]").select_option("resolved_not_our_fault")
    form.locator("button[type=submit]").click()
    expect(page.locator("#ticket-achievement [data-achievement=not_our_fault]")).to_be_visible()

    page.locator("#complaint-compensation summary").click()
    form = page.locator("#complaint-compensation form")
    form.locator("select[name=kind]").select_option("gift")
    form.locator("input[name=value]").fill("88")
    form.locator("select[name=approved_by]").select_option(str(supervisor.pk))
    form.locator("button[type=submit]").click()
    expect(page.locator("#complaint-compensations")).to_contain_text("¥88.00")
    assert Compensation.objects.get().approved_by == supervisor

    page.goto(live_server.url + "/complaints/problems/")
    page.fill("input[name=title]", "物业安装队漏装排水管")
    page.locator('form[method=post][action="/complaints/problems/"] button[type=submit]').click()
    page.fill("input[name=ticket]", ticket.number)
    page.locator('form[action$="/link/"] button[type=submit]').click()
    expect(page.locator("#problem-tickets")).to_contain_text(ticket.number)
    close = page.locator('form[action$="/close/"]')
    close.locator("textarea[name=corrective_action]").fill("与物业约定安装队须持证上岗")
    close.locator("button[type=submit]").click()
    expect(page.locator('form[action$="/close/"]')).to_have_count(0)
    expect(page.locator("#problem-action")).to_contain_text("持证上岗")
    assert Problem.objects.get().status == "closed"
    assert OutboxMessage.objects.filter(address="+8613812345678").count() == 1
