"""A supervisor opens a record for a caller whose number is already in the archive: Kefu warns
with a link to the existing record; the supervisor goes on anyway, then merges the old record into
the new one from its 360° page. The old record's products now show on the kept page, and the old
record's page says where it went."""

import datetime

import pytest
from django.contrib.auth.models import Group
from playwright.sync_api import expect

from kefu.accounts.roles import sync_roles
from kefu.customers import services
from kefu.customers.models import Customer, ProductCategory
from tests.factories import PASSWORD, ProductModelFactory, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def earlier_record():
    if not Group.objects.filter(name="supervisor").exists():
        sync_roles()  # a transactional test may run after another one flushed the tables
    supervisor = make_user("supervisor")
    category, _new = ProductCategory.objects.get_or_create(code="air_conditioner", defaults={"name": "空调"})
    customer = services.create_customer(by=supervisor, name="陈女士", phones=["138 1234 5678"])
    services.register_product(
        by=supervisor,
        customer=customer,
        model=ProductModelFactory(category=category, name="变频空调 1.5匹"),
        purchased_on=datetime.date(2021, 3, 9),
        serial_number="KFR2103090001",
    )
    return customer


def test_a_duplicate_number_is_warned_about_and_the_records_are_merged(
    page, live_server, earlier_record, screenshot
):
    page.goto(f"{live_server.url}/accounts/login/?next=/customers/new/")
    page.fill("input[name=username]", "supervisor")
    page.fill("input[name=password]", PASSWORD)
    page.press("input[name=password]", "Enter")
    expect(page).to_have_url(f"{live_server.url}/customers/new/")

    page.fill("input[name=name]", "陈静")
    page.fill("textarea[name=phones]", "13812345678")
    page.get_by_role("button", name="创建", exact=True).click()

    warning = page.locator("#duplicate-warning")
    expect(warning).to_be_visible()
    expect(warning.get_by_role("link")).to_have_attribute("href", f"/customers/{earlier_record.pk}/")
    assert Customer.objects.count() == 1
    screenshot(page, "customer-duplicate-warning")

    warning.get_by_role("button", name="仍然新建档案").click()
    kept = Customer.objects.exclude(pk=earlier_record.pk).get()
    expect(page).to_have_url(f"{live_server.url}/customers/{kept.pk}/")

    page.get_by_role("link", name="合并重复档案").click()
    expect(page).to_have_url(f"{live_server.url}/customers/{kept.pk}/merge/")
    screenshot(page, "customer-merge")
    page.get_by_role("button", name=f"将 #{earlier_record.pk} 合并到此档案").click()

    expect(page).to_have_url(f"{live_server.url}/customers/{kept.pk}/")
    expect(page.locator("#products-title")).to_contain_text("(1)")
    expect(page.locator("#timeline")).to_contain_text("已将 陈女士 的档案")
    assert Customer.objects.get(pk=earlier_record.pk).merged_into_id == kept.pk

    page.goto(f"{live_server.url}/customers/{earlier_record.pk}/")
    expect(page.locator("#merged-notice").get_by_role("link")).to_have_attribute(
        "href", f"/customers/{kept.pk}/"
    )
    assert page.console_errors == []
