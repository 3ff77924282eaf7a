"""The ticket's page updates in place: a reply lands on the timeline and the box empties without
the page reloading (htmx), a second reply posts too (its CSRF token is fresh), and "Earlier
entries" brings older entries into the same page.

One journey, to keep the browser run short; the parts themselves are tested through Django's
test client in tests/tickets/test_ticket_page.py.
"""

import datetime

import pytest
from django.contrib.auth.models import Group
from django.utils import timezone
from playwright.sync_api import expect

from kefu.accounts.roles import sync_roles
from kefu.tickets import services, views
from kefu.tickets.models import Comment, TicketEvent
from tests.browser.test_hotline_journey import log_in
from tests.factories import customer_with_phone, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def ticket():
    if not Group.objects.filter(name="agent").exists():
        sync_roles()  # a transactional test may run after another one flushed the tables
    agent = make_user("agent", display_name="王客服")
    ticket = services.open_ticket(
        by=agent, customer=customer_with_phone(), subject="空调外机噪音大", type="repair", channel="phone"
    )
    start = timezone.now() - datetime.timedelta(days=2)
    TicketEvent.objects.bulk_create(
        TicketEvent(
            ticket=ticket,
            customer_id=ticket.customer_id,
            occurred_at=start + datetime.timedelta(minutes=i),
            kind="ticket_urged",
            actor=agent,
            is_public=True,
            data={"number": ticket.number, "via": "phone", "note": f"第{i}次来电", "urge_count": i + 1},
        )
        for i in range(views.TIMELINE_PAGE_SIZE + 2)
    )
    return ticket


def test_a_reply_and_earlier_entries_arrive_without_a_reload(page, live_server, ticket, screenshot):
    log_in(page, live_server, "agent")
    page.goto(f"{live_server.url}/tickets/{ticket.number}/")
    page.evaluate("window.kfSamePage = true")  # gone if the page reloads

    page.fill("#reply textarea[name=body]", "您好，师傅明天上午上门。")
    page.locator("#reply button[type=submit]").click()
    expect(page.locator("#timeline")).to_contain_text("您好，师傅明天上午上门。")
    expect(page.locator("#ticket-flash .alert")).to_be_visible()
    expect(page.locator("#reply textarea[name=body]")).to_have_value("")

    page.locator("#reply input[value=internal]").check()
    page.fill("#reply textarea[name=body]", "客户下午不在家")
    page.locator("#reply button[type=submit]").click()
    expect(page.locator("#timeline .kf-entry-note")).to_contain_text("客户下午不在家")
    screenshot(page, "ticket-page-reply-in-place")

    # The oldest urges are not on the first page; the button brings them in, in place.
    expect(page.locator("#timeline")).not_to_contain_text("第0次来电")
    page.locator("#timeline .kf-timeline-earlier a").click()
    expect(page.locator("#timeline")).to_contain_text("第0次来电")
    expect(page.locator("#timeline .kf-timeline-earlier")).to_have_count(0)

    assert page.evaluate("window.kfSamePage") is True
    assert Comment.objects.filter(ticket=ticket).count() == 2
    assert page.console_errors == []
