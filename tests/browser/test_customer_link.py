"""The customer's journey on a phone (390 px wide): open the link from the SMS, see the progress,
answer with a photo, urge; no login, no sideways scrolling."""

import pytest
from django.contrib.auth.models import Group
from playwright.sync_api import expect

from kefu.accounts.roles import sync_roles
from kefu.tickets import portal, services
from kefu.tickets.models import Comment, Ticket
from tests.factories import customer_with_phone, make_user
from tests.tickets.test_attachments import PNG

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}


@pytest.fixture
def link(settings, tmp_path):
    """A ticket waiting for the customer, with a public reply and an internal note."""
    settings.MEDIA_ROOT = tmp_path
    if not Group.objects.filter(name="agent").exists():
        sync_roles()  # a transactional test may run after another one flushed the tables
    agent = make_user("agent")
    ticket = services.open_ticket(
        by=agent,
        customer=customer_with_phone("+8613812345678", name="陈女士"),
        subject="空调不制冷",
        type="repair",
        channel="phone",
    )
    services.transition_ticket(ticket=ticket, by=agent, status="open")
    services.add_comment(ticket=ticket, by=agent, body="请拍一张外机铭牌的照片", public=True)
    services.add_comment(ticket=ticket, by=agent, body="内部：客户上次投诉过", public=False)
    services.transition_ticket(ticket=ticket, by=agent, status="pending_customer")
    return ticket, f"/t/{portal.make_token(ticket)}/"


def no_sideways_scrolling(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


@pytest.mark.parametrize("page", [PHONE], indirect=True)
def test_the_customer_follows_answers_and_urges_on_a_phone(page, live_server, link, screenshot, tmp_path):
    ticket, path = link

    page.goto(live_server.url + path)

    expect(page.locator("h1")).to_have_text("空调不制冷")
    current = page.locator('.kf-steps li[aria-current="step"]')
    expect(current).to_contain_text("处理中")
    expect(current).to_contain_text("等待您的回复")
    expect(page.get_by_text("请拍一张外机铭牌的照片")).to_be_visible()
    expect(page.get_by_text("内部：客户上次投诉过")).to_have_count(0)
    expect(page.get_by_text("陈女士")).to_have_count(0)
    no_sideways_scrolling(page)
    screenshot(page, "customer-link-phone")

    photo = tmp_path / "铭牌.png"
    photo.write_bytes(PNG)
    page.locator("textarea[name=body]").fill("铭牌照片在附件里")
    page.locator("input[name=files]").set_input_files(str(photo))
    page.get_by_role("button", name="发送回复").click()

    expect(page.locator(".alert-success")).to_be_visible()
    expect(page.get_by_text("铭牌照片在附件里")).to_be_visible()
    expect(page.get_by_role("link", name="铭牌.png")).to_be_visible()
    # Answering a ticket that waited for the customer puts it back in the agent's hands.
    expect(page.locator('.kf-steps li[aria-current="step"]')).not_to_contain_text("等待您的回复")

    page.get_by_role("button", name="催办").click()
    expect(page.locator(".alert-success")).to_be_visible()
    page.get_by_role("button", name="催办").click()
    expect(page.locator(".alert-success")).to_contain_text("已经")
    no_sideways_scrolling(page)

    ticket.refresh_from_db()
    assert ticket.urge_count == 2
    assert Comment.objects.get(ticket=ticket, by_customer=True).attachments.count() == 1
    assert page.console_errors == []


@pytest.mark.parametrize("page", [PHONE], indirect=True)
def test_a_wrong_link_says_so_plainly(page, live_server, link):
    _ticket, path = link

    response = page.goto(live_server.url + path[:-3] + "xx/")

    assert response.status == 404
    expect(page.locator("h1")).to_have_text("此链接无法打开")
    assert Ticket.objects.count() == 1
