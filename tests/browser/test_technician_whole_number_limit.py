"""A technician, who may not see phone numbers, tries whole numbers in the search box one after
another: after the hourly limit the page says to wait and offers the last four digits instead,
and the customer behind the masked number stays hidden."""

import pytest
from django.contrib.auth.models import Group
from django.test import override_settings
from playwright.sync_api import expect

from kefu.accounts.roles import sync_roles
from kefu.customers import services
from tests.factories import PASSWORD, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def target():
    if not Group.objects.filter(name="agent").exists():
        sync_roles()
    make_user("technician")
    return services.create_customer(by=make_user("agent"), name="陈女士", phones=["133 1234 5518"])


@override_settings(KEFU_PHONE_LOOKUPS_PER_HOUR=3)
def test_the_search_box_stops_a_technician_guessing_the_hidden_digits(page, live_server, target, screenshot):
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", "technician")
    page.fill("input[name=password]", PASSWORD)
    page.press("input[name=password]", "Enter")
    search = page.locator("header [data-kf-search]")

    for middle in ("0000", "0001", "0002", "1234"):
        search.fill(f"133{middle}5518")
        search.press("Enter")
        page.wait_for_load_state("load")

    expect(page.get_by_role("heading", name="按完整号码查询次数过多")).to_be_visible()
    expect(page.locator("main")).to_contain_text("后四位")
    expect(page.locator("main")).not_to_contain_text("陈女士")
    screenshot(page, "search-whole-number-limit")

    search.fill("5518")
    search.press("Enter")
    expect(page).to_have_url(f"{live_server.url}/customers/{target.pk}/")
    expect(page.locator("#phones")).to_contain_text("133****5518")
