"""Marking a notification read in the notification centre updates the bell's count in the top
bar at once, without reloading the page (the row and the bell come back together, htmx)."""

import pytest
from django.contrib.auth.models import Group
from playwright.sync_api import expect

from kefu.accounts.roles import sync_roles
from kefu.notifications.models import Notification
from tests.browser.test_hotline_journey import log_in
from tests.factories import make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_mark_read_lowers_the_bells_count_in_place(page, live_server, screenshot):
    if not Group.objects.filter(name="agent").exists():
        sync_roles()  # a transactional test may run after another one flushed the tables
    agent = make_user("agent")
    Notification.objects.bulk_create(
        Notification(recipient=agent, kind="tests.bell", title=title)
        for title in ("工单已转给您", "客户催办")
    )
    log_in(page, live_server, "agent")
    page.goto(f"{live_server.url}/notifications/")
    page.evaluate("window.kfSamePage = true")  # gone if the page reloads
    expect(page.locator("#kf-bell .kf-bell-count")).to_have_text("2")

    page.locator(".kf-notification-action button").first.click()
    expect(page.locator("#kf-bell .kf-bell-count")).to_have_text("1")
    expect(page.locator(".kf-notification.is-unread")).to_have_count(1)
    screenshot(page, "notification-bell-after-mark-read")

    page.locator(".kf-notification-action button").first.click()
    expect(page.locator("#kf-bell .kf-bell-count")).to_have_count(0)
    expect(page.locator("#kf-bell")).to_have_attribute("aria-current", "page")

    assert page.evaluate("window.kfSamePage") is True
    assert page.console_errors == []
