"""A hotline agent's first call: log in, find the caller by four digits, read the 360° page."""

import datetime

import pytest
from django.contrib.auth.models import Group
from playwright.sync_api import expect

from kefu.accounts.roles import sync_roles
from kefu.customers import services
from kefu.customers.models import ProductCategory, Tier
from tests.factories import PASSWORD, ProductModelFactory, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def scene():
    """The demo agent and 陈女士, a VIP who bought a washing machine the day her daughter was born."""
    if not Group.objects.filter(name="agent").exists():
        sync_roles()  # a transactional test may run after another one flushed the tables
    agent = make_user("agent")
    category, _created = ProductCategory.objects.get_or_create(
        code="washing_machine", defaults={"name": "Washing machine"}
    )
    washer = ProductModelFactory(category=category, code="XQG100-HB14", name="滚筒洗衣机 10公斤")
    customer = services.create_customer(
        by=agent,
        name="陈女士",
        phones=["138 1234 5678"],
        tier=Tier.VIP,
        preferred_time="工作日晚上",
        addresses=[
            {"province": "重庆市", "city": "重庆市", "district": "南岸区", "detail": "南坪正街 8 号 3-2"}
        ],
        consents={"care": True, "marketing": False},
    )
    product = services.register_product(
        by=agent,
        customer=customer,
        model=washer,
        purchased_on=datetime.date(2021, 3, 9),
        serial_number="XQG2021030900042",
        notes="买洗衣机当天女儿出生",
    )
    services.record_life_event(
        by=agent,
        customer=customer,
        occurred_on=datetime.date(2021, 3, 9),
        description="女儿出生",
        kind="birth",
        product=product,
    )
    return customer


def log_in(page, live_server):
    page.goto(live_server.url + "/")
    expect(page).to_have_url(f"{live_server.url}/accounts/login/?next=/")
    page.fill("input[name=username]", "agent")
    page.fill("input[name=password]", PASSWORD)
    page.press("input[name=password]", "Enter")
    expect(page).to_have_url(live_server.url + "/")


def test_agent_finds_the_caller_by_four_digits_and_reads_the_360_page(page, live_server, scene, screenshot):
    log_in(page, live_server)

    search = page.locator("header [data-kf-search]")
    page.wait_for_load_state("load")  # kefu.js is deferred
    page.keyboard.press("/")  # the keyboard habit: "/" jumps to the search box
    expect(search).to_be_focused()
    search.fill("5678")
    search.press("Enter")

    expect(page).to_have_url(f"{live_server.url}/customers/{scene.pk}/")
    expect(page.locator("h1")).to_have_text("陈女士")
    expect(page.locator("#phones")).to_contain_text("138****5678")
    assert "13812345678" not in page.content()
    expect(page.locator(".kf-product")).to_contain_text("XQG2021030900042")
    expect(page.locator(".kf-product")).to_contain_text("女儿出生")
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    expect(page.get_by_role("heading", name="时间线")).to_be_visible()
    expect(page.locator(".kf-product")).to_contain_text("在保")
    screenshot(page, "customer-360-zh")

    page.get_by_role("button", name="显示").click()
    expect(page.locator("#phones")).to_contain_text("13812345678")

    page.click(".kf-lang button[value=en]")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page).to_have_url(f"{live_server.url}/customers/{scene.pk}/")
    expect(page.get_by_role("heading", name="Timeline")).to_be_visible()
    expect(page.locator(".kf-page-actions").get_by_role("link", name="Edit", exact=True)).to_be_visible()
    expect(page.locator(".kf-product")).to_contain_text("In warranty")
    screenshot(page, "customer-360-en")

    assert page.console_errors == []


@pytest.mark.parametrize("page", [{"width": 390, "height": 844}], indirect=True)
def test_the_360_page_fits_a_phone_without_sideways_scrolling(page, live_server, scene, screenshot):
    log_in(page, live_server)

    page.goto(f"{live_server.url}/customers/{scene.pk}/")
    expect(page.locator("h1")).to_have_text("陈女士")

    width = page.evaluate("document.documentElement.scrollWidth")
    screenshot(page, "customer-360-phone")
    assert width <= 390
    page.goto(f"{live_server.url}/customers/{scene.pk}/products/new/")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.goto(f"{live_server.url}/customers/new/")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(page, "customer-form-phone")
