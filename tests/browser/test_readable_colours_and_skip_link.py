"""What the browser really paints: the colours of a 360° page pass WCAG AA once Tabler and
kefu.css are both applied, and Tab then Enter on a page jumps past the menu to the content."""

import datetime

import pytest
from django.contrib.auth.models import Group
from playwright.sync_api import expect

from kefu.accounts.roles import sync_roles
from kefu.customers import services
from kefu.customers.models import ProductCategory, Tier
from tests.factories import PASSWORD, ProductModelFactory, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# The colour of each element's text and of what lies under it, composited in a canvas so that
# Tabler's color-mix() and transparent layers come out as the pixels a reader sees.
MEASURE = r"""
(selector) => {
  const el = document.querySelector(selector);
  if (!el) return null;
  const canvas = document.createElement('canvas');
  canvas.width = canvas.height = 1;
  const ctx = canvas.getContext('2d', {willReadFrequently: true});
  const layers = [];
  for (let e = el; e; e = e.parentElement) layers.unshift(getComputedStyle(e).backgroundColor);
  ctx.fillStyle = '#ffffff';
  ctx.fillRect(0, 0, 1, 1);
  for (const layer of layers) { ctx.fillStyle = layer; ctx.fillRect(0, 0, 1, 1); }
  const back = Array.from(ctx.getImageData(0, 0, 1, 1).data).slice(0, 3);
  ctx.fillStyle = getComputedStyle(el).color;
  ctx.fillRect(0, 0, 1, 1);
  const fore = Array.from(ctx.getImageData(0, 0, 1, 1).data).slice(0, 3);
  return {fore, back};
}
"""

CHECKED = {
    "在保 (in warranty)": ".kf-status.kf-ok",
    "过保 (expired)": ".kf-status.kf-bad",
    "the VIP badge": ".badge.kf-vip",
    "a product category badge": ".badge.bg-blue-lt",
    "muted text on a card": ".card .kf-muted",
    "fact labels": ".kf-facts dt",
    "times on the timeline": ".kf-timeline time",
}


def luminance(rgb) -> float:
    def channel(value: float) -> float:
        value /= 255
        return value / 12.92 if value <= 0.04045 else ((value + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(v) for v in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(one, other) -> float:
    light, dark = sorted((luminance(one), luminance(other)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


@pytest.fixture
def vip_with_two_products():
    if not Group.objects.filter(name="agent").exists():
        sync_roles()  # a transactional test may run after another one flushed the tables
    agent = make_user("agent")
    category, _created = ProductCategory.objects.get_or_create(
        code="washing_machine", defaults={"name": "Washing machine"}
    )
    model = ProductModelFactory(category=category)
    customer = services.create_customer(by=agent, name="陈女士", phones=["138 1234 5678"], tier=Tier.VIP)
    today = datetime.date.today()
    for serial, bought in (
        ("SN-NEW-0001", today - datetime.timedelta(days=30)),
        ("SN-OLD-0001", datetime.date(2015, 5, 1)),
    ):
        services.register_product(
            by=agent,
            customer=customer,
            model=model,
            purchased_on=bought,
            serial_number=serial,
        )
    return customer


def log_in(page, live_server):
    page.goto(live_server.url + "/accounts/login/")
    page.fill("input[name=username]", "agent")
    page.fill("input[name=password]", PASSWORD)
    page.press("input[name=password]", "Enter")
    expect(page).to_have_url(live_server.url + "/")


def test_the_360_page_paints_every_checked_text_at_aa_contrast(
    page, live_server, vip_with_two_products, screenshot
):
    log_in(page, live_server)
    page.goto(f"{live_server.url}/customers/{vip_with_two_products.pk}/")
    page.wait_for_load_state("load")

    ratios = {}
    for what, selector in CHECKED.items():
        colours = page.evaluate(MEASURE, selector)
        assert colours is not None, f"{what}: no {selector} on the page"
        ratios[what] = contrast(colours["fore"], colours["back"])
    screenshot(page, "customer-360-colours")

    assert {what: round(ratio, 2) for what, ratio in ratios.items() if ratio < 4.5} == {}


def test_tab_then_enter_skips_the_menu_to_the_content(page, live_server, vip_with_two_products):
    log_in(page, live_server)
    page.wait_for_load_state("load")

    page.keyboard.press("Tab")
    skip = page.locator(".kf-skip")
    expect(skip).to_be_focused()
    expect(skip).to_have_text("跳到正文")
    box = skip.bounding_box()
    assert box is not None
    assert box["y"] >= 0  # shown while it has the focus
    colours = page.evaluate(MEASURE, ".kf-skip")
    assert contrast(colours["fore"], colours["back"]) >= 4.5

    page.keyboard.press("Enter")

    expect(page).to_have_url(live_server.url + "/#main")
    page.keyboard.press("Tab")  # the next stop is inside the content, not in the menu
    assert page.evaluate("document.activeElement.closest('main') !== null")


def test_the_skip_link_stays_out_of_sight_until_it_has_the_focus(page, live_server, vip_with_two_products):
    log_in(page, live_server)

    box = page.locator(".kf-skip").bounding_box()

    assert box is not None
    assert box["y"] + box["height"] <= 0
