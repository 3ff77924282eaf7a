"""Issue 14's acceptance journey: an agent resolves a ticket → the customer opens the survey link
from the text message on a phone (390 × 844) → answers 不满意 with a reason and a comment, without
signing in → the supervisor finds the recovery case in their queue with its promise clock and
the customer's words."""

import pytest
from django.contrib.auth.models import Group
from playwright.sync_api import expect

from kefu.accounts.models import Team
from kefu.accounts.roles import sync_roles
from kefu.feedback import links
from kefu.feedback.models import Survey
from kefu.notifications.models import OutboxMessage
from kefu.tickets import services
from kefu.tickets.models import TicketType
from tests.factories import PASSWORD, customer_with_phone, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
WORDS = "约好上午来，师傅下午四点才到，也没打电话说一声"


@pytest.fixture
def scene():
    if not Group.objects.filter(name="agent").exists():
        sync_roles()  # a transactional test may run after another one flushed the tables
    agent = make_user("agent", display_name="坐席小王")
    supervisor = make_user("supervisor", display_name="值班主管")
    team = Team.objects.create(name="热线一组", supervisor=supervisor)
    agent.team = team
    agent.save(update_fields=["team"])
    ticket = services.open_ticket(
        by=agent,
        customer=customer_with_phone("+8613812345678", name="陈女士"),
        subject="空调不制冷",
        type="repair",
        channel="phone",
    )
    services.transition_ticket(ticket=ticket, by=agent, status="open")
    return {"agent": agent, "supervisor": supervisor, "ticket": ticket}


def log_in(page, live_server, username: str):
    page.goto(live_server.url + "/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.press("input[name=password]", "Enter")
    expect(page).to_have_url(live_server.url + "/")


def no_sideways_scrolling(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_not_satisfied_on_a_phone_lands_in_the_supervisors_recovery_queue(
    page, browser, live_server, scene, screenshot
):
    ticket = scene["ticket"]

    # The agent resolves the ticket: the survey goes out by text message.
    log_in(page, live_server, "agent")
    page.goto(f"{live_server.url}/tickets/{ticket.number}/")
    page.locator("button[data-status='resolved']").click()
    expect(page.locator(".kf-ticket-head [data-ticket-status='resolved']")).to_be_visible()
    survey = Survey.objects.get(ticket=ticket)
    path = links.link_path(survey)
    message = OutboxMessage.objects.get(kind="feedback.survey")
    assert message.address == "+8613812345678"
    assert path in message.body

    # The customer opens the link on a phone: no sign-in, two large buttons, nothing sideways.
    phone = browser.new_context(viewport=PHONE, locale="zh-CN", timezone_id="Asia/Shanghai")
    phone.set_default_timeout(10_000)
    customer = phone.new_page()
    customer.goto(live_server.url + path)
    satisfied = customer.locator("[data-kf-answer-button='satisfied']")
    unhappy = customer.locator("[data-kf-answer-button='not_satisfied']")
    expect(satisfied).to_be_visible()
    expect(unhappy).to_be_visible()
    for button in (satisfied, unhappy):
        box = button.bounding_box()
        assert box["height"] >= 80  # large enough for a thumb
        assert box["width"] >= 120
    expect(customer.get_by_text("陈女士")).to_have_count(0)
    no_sideways_scrolling(customer)
    screenshot(customer, "survey-phone")

    unhappy.click()
    customer.locator("label", has_text="没有按约定的时间").click()
    customer.locator("textarea[name=comment]").fill(WORDS)
    no_sideways_scrolling(customer)
    screenshot(customer, "survey-phone-not-satisfied")
    customer.locator("[data-kf-send='not_satisfied']").click()
    expect(customer.locator("[data-kf-answer='not_satisfied']")).to_be_visible()
    no_sideways_scrolling(customer)
    phone.close()

    survey.refresh_from_db()
    case = survey.recovery_ticket
    assert case is not None
    assert case.type == TicketType.COMPLAINT
    assert case.owner == scene["supervisor"]

    # The supervisor finds it in the recovery queue: the promise clock, the words, the original.
    page.context.clear_cookies()
    log_in(page, live_server, "supervisor")
    page.goto(f"{live_server.url}/feedback/recovery/")
    row = page.locator(f"#recovery-queue tr[data-kf-case='{case.number}']")
    expect(row).to_be_visible()
    expect(row.locator(".kf-clock")).to_have_count(1)
    expect(row).to_contain_text("没有按约定的时间")
    expect(row).to_contain_text(WORDS)
    expect(row).to_contain_text(ticket.number)
    screenshot(page, "recovery-queue")

    # The case itself: the customer's words on top, linked to the original ticket.
    row.locator(f"a[href='/tickets/{case.number}/']").click()
    expect(page.locator("#recovery-words")).to_contain_text(WORDS)
    expect(page.locator("[data-kf-recovery-of]")).to_contain_text(ticket.number)
    assert page.console_errors == []
