"""The hotline's journey with a ticket: a caller is found by phone, the agent opens a ticket for
her washing machine from the 360° page, replies, transfers it with a reason; the new owner is told
by the bell, finds it in their queue and resolves it. And the ticket's pages fit a 390-px phone.

Elements are found by their ids and data attributes, not their words, so the journey holds in
either language while translations are being filled in.
"""

import datetime

import pytest
from django.contrib.auth.models import Group
from playwright.sync_api import expect

from kefu.accounts.models import Team
from kefu.accounts.roles import sync_roles
from kefu.customers import services as customer_services
from kefu.customers.models import ProductCategory, Tier
from kefu.tickets.models import Status, Ticket, Transfer
from tests.factories import PASSWORD, ProductModelFactory, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def scene():
    """Two agents of one hotline team, and 陈女士 with her washing machine."""
    if not Group.objects.filter(name="agent").exists():
        sync_roles()  # a transactional test may run after another one flushed the tables
    team = Team.objects.create(name="热线一组")
    agent = make_user("agent", display_name="王客服", team=team)
    colleague = make_user("agent", username="colleague", display_name="李工程师", team=team)
    category, _created = ProductCategory.objects.get_or_create(
        code="washing_machine", defaults={"name": "Washing machine"}
    )
    washer = ProductModelFactory(category=category, code="XQG100-HB14", name="滚筒洗衣机 10公斤")
    customer = customer_services.create_customer(
        by=agent,
        name="陈女士",
        phones=["138 1234 5678"],
        tier=Tier.VIP,
        addresses=[{"province": "重庆市", "city": "重庆市", "district": "南岸区", "detail": "南坪正街 8 号"}],
    )
    product = customer_services.register_product(
        by=agent,
        customer=customer,
        model=washer,
        purchased_on=datetime.date(2021, 3, 9),
        serial_number="XQG2021030900042",
    )
    return {"agent": agent, "colleague": colleague, "customer": customer, "product": product}


def log_in(page, live_server, username: str):
    page.goto(live_server.url + "/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.press("input[name=password]", "Enter")
    expect(page).to_have_url(live_server.url + "/")


def log_out(page):
    page.locator(".kf-usermenu summary").click()
    page.locator(".kf-usermenu-panel button[type=submit]").click()


def test_a_call_becomes_a_ticket_that_changes_hands_and_is_resolved(page, live_server, scene, screenshot):
    customer, product, colleague = scene["customer"], scene["product"], scene["colleague"]
    log_in(page, live_server, "agent")

    # The caller's number in the top bar's search box opens her 360° page.
    search = page.locator("header [data-kf-search]")
    search.fill("138 1234 5678")
    search.press("Enter")
    expect(page).to_have_url(f"{live_server.url}/customers/{customer.pk}/")
    expect(page.locator("#open-tickets")).to_be_visible()

    # 新建工单 on the washing machine's card: the form comes with the product chosen (click 1).
    page.locator(f"[data-new-ticket-product='{product.pk}']").click()
    expect(page.locator("#id_ticket-product")).to_have_value(str(product.pk))
    expect(page.locator("#id_ticket-channel")).to_have_value("phone")
    screenshot(page, "ticket-new")
    page.fill("#id_ticket-subject", "洗衣机脱水时漏水")
    page.locator("#new-ticket button[type=submit]").click()  # click 2: the ticket is open

    ticket = Ticket.objects.get()
    expect(page).to_have_url(f"{live_server.url}/tickets/{ticket.number}/")
    expect(page.locator("#ticket-number")).to_have_text(ticket.number)
    expect(page.locator("#customer-card")).to_contain_text("138****5678")
    assert "13812345678" not in page.content()

    # A public reply.
    page.fill("#reply textarea[name=body]", "您好，师傅明天上午上门检查。")
    page.locator("#reply button[type=submit]").click()
    expect(page.locator("#timeline")).to_contain_text("您好，师傅明天上午上门检查。")

    # Transfer with a reason; a transfer without one is refused beside the field first.
    page.locator("#transfer summary").click()
    page.select_option("#transfer select[name=to_user]", str(colleague.pk))
    page.locator("#transfer button[type=submit]").click()
    expect(page.locator("#transfer .invalid-feedback")).to_be_visible()
    assert Transfer.objects.count() == 0
    page.fill("#transfer input[name=reason]", "需要维修工程师判断")
    page.locator("#transfer button[type=submit]").click()
    expect(page.locator("#ticket-owner")).to_contain_text("李工程师")
    expect(page.locator("#timeline")).to_contain_text("需要维修工程师判断")
    screenshot(page, "ticket-transferred")
    log_out(page)

    # The new owner finds it in their queue and resolves it.
    log_in(page, live_server, "colleague")
    expect(page.locator("[data-panel='tickets.mine']")).to_contain_text(ticket.number)
    # The bell says one thing is new: the transfer, with its reason.
    expect(page.locator(".kf-bell-count")).to_have_text("1")
    page.locator(".kf-bell").click()
    expect(page.locator(".kf-notifications")).to_contain_text(ticket.number)
    expect(page.locator(".kf-notifications")).to_contain_text("需要维修工程师判断")
    page.locator(".kf-nav a[href='/tickets/']").click()
    expect(page.locator(".kf-queue")).to_contain_text(ticket.number)
    screenshot(page, "ticket-queue")
    page.locator(".kf-queue a.kf-cell-link").first.click()
    expect(page).to_have_url(f"{live_server.url}/tickets/{ticket.number}/")
    page.locator("button[data-status='resolved']").click()
    # The header's status badge (not a promise's clock, which may be green too) says resolved.
    expect(page.locator(".kf-ticket-head [data-ticket-status='resolved']")).to_be_visible()

    ticket.refresh_from_db()
    assert ticket.status == Status.RESOLVED
    assert ticket.owner == colleague
    assert ticket.bounce_count == 1
    assert page.console_errors == []


def test_a_ticket_number_in_the_search_box_opens_the_ticket(page, live_server, scene):
    from kefu.tickets import services

    ticket = services.open_ticket(
        by=scene["agent"], customer=scene["customer"], subject="空调不制冷", type="repair", channel="phone"
    )
    log_in(page, live_server, "agent")

    search = page.locator("header [data-kf-search]")
    search.fill(ticket.number.lower())
    search.press("Enter")

    expect(page).to_have_url(f"{live_server.url}/tickets/{ticket.number}/")


@pytest.mark.parametrize("page", [{"width": 390, "height": 844}], indirect=True)
def test_the_ticket_pages_fit_a_phone_without_sideways_scrolling(page, live_server, scene, screenshot):
    from kefu.tickets import services

    ticket = services.open_ticket(
        by=scene["agent"],
        customer=scene["customer"],
        product=scene["product"],
        subject="洗衣机脱水时漏水，地上全是水，客户很着急",
        type="repair",
        channel="phone",
    )
    services.add_comment(ticket=ticket, by=scene["agent"], body="已安排师傅" * 20, public=True)
    log_in(page, live_server, "agent")

    for path in (
        f"/tickets/{ticket.number}/",
        "/tickets/",
        f"/tickets/new/?customer={scene['customer'].pk}",
        f"/customers/{scene['customer'].pk}/?new_ticket=1",
        "/",
    ):
        page.goto(live_server.url + path)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, path
    page.goto(f"{live_server.url}/tickets/{ticket.number}/")
    screenshot(page, "ticket-phone")
