"""An agent who may not see full numbers edits a customer whose two numbers mask alike
(133****5518 twice) and saves: both numbers stay, in their order, and nothing else changes."""

import pytest
from django.contrib.auth.models import Group
from playwright.sync_api import expect

from kefu.accounts.roles import sync_roles
from kefu.customers import services
from tests.factories import PASSWORD, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def household():
    if not Group.objects.filter(name="agent").exists():
        sync_roles()  # a transactional test may run after another one flushed the tables
    agent = make_user("agent")
    return services.create_customer(
        by=agent,
        name="陈女士",
        phones=["133 1234 5518", "133 9876 5518"],
        addresses=[{"province": "湖北省", "city": "武汉市", "district": "洪山区", "detail": "珞喻路 1 号"}],
    )


def test_saving_an_edit_keeps_two_numbers_that_mask_alike(page, live_server, household, screenshot):
    page.goto(f"{live_server.url}/accounts/login/?next=/customers/{household.pk}/edit/")
    page.fill("input[name=username]", "agent")
    page.fill("input[name=password]", PASSWORD)
    page.press("input[name=password]", "Enter")
    expect(page).to_have_url(f"{live_server.url}/customers/{household.pk}/edit/")
    expect(page.locator("textarea[name=phones]")).to_have_value("133****5518\n133****5518")
    screenshot(page, "customer-edit-masked-alike")

    page.get_by_role("button", name="保存").click()

    expect(page).to_have_url(f"{live_server.url}/customers/{household.pk}/")
    expect(page.locator("#phones")).to_contain_text("133****5518")
    household.refresh_from_db()
    assert list(household.phones.values_list("number", "is_primary")) == [
        ("+8613312345518", True),
        ("+8613398765518", False),
    ]
    assert household.version == 1
    assert page.console_errors == []
