"""The start page shows each person the work their rights allow, and no action they may not take.

The panels come from the apps (core.workbench); the page is asserted here by what a person can
press: the hero search, "New customer" and the links into the admin site.
"""

import re

import pytest
from django.urls import reverse
from django.utils import timezone

from kefu.accounts.roles import Role
from kefu.core import workbench
from kefu.core.calendar import seed_provisional_years
from kefu.core.models import BusinessDay
from tests.factories import make_user

pytestmark = pytest.mark.django_db

HOME = "/"
SEARCH_BOX = 'id="hero-search"'
NEW_CUSTOMER = f'href="{reverse("customers:create")}"'
AUDIT = f'href="{reverse("admin:core_auditevent_changelist")}"'
CALENDAR = f'href="{reverse("admin:core_businessday_changelist")}"'
CATALOGUE = f'href="{reverse("admin:customers_productmodel_changelist")}"'
STAFF = f'href="{reverse("admin:accounts_user_changelist")}"'
ROLES = f'href="{reverse("admin:auth_group_changelist")}"'
TOKENS = f'href="{reverse("admin:accounts_apitoken_changelist")}"'
MASKED_NOTE = "limited number of times an hour and a day"
NO_ROLE = "Your account has no role yet"
EVERY_ACTION = {SEARCH_BOX, NEW_CUSTOMER, AUDIT, CALENDAR, CATALOGUE, STAFF, ROLES, TOKENS}

# What each role finds on its start page (demo staff flags: supervisors, managers and
# administrators open the admin site). Everything else in EVERY_ACTION must be absent.
EXPECTED = {
    Role.AGENT: {SEARCH_BOX, NEW_CUSTOMER},
    Role.SUPERVISOR: {SEARCH_BOX, NEW_CUSTOMER, AUDIT},
    Role.TECHNICIAN: {SEARCH_BOX, MASKED_NOTE},
    Role.SALES: {SEARCH_BOX, NEW_CUSTOMER},
    Role.CENTRE: {SEARCH_BOX, NEW_CUSTOMER},
    Role.MANAGER: {SEARCH_BOX, AUDIT, CALENDAR, CATALOGUE},
    Role.ADMIN: {SEARCH_BOX, NEW_CUSTOMER, AUDIT, CALENDAR, CATALOGUE, STAFF, ROLES},
}
STAFF_ROLES = {Role.SUPERVISOR, Role.MANAGER, Role.ADMIN}


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def start_page(client, user) -> str:
    """The page in English (the source text); the Chinese page is the same page translated."""
    client.force_login(user)
    response = client.get(HOME, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    return response.content.decode()


def main_content(html: str) -> str:
    """The page's <main>: the frame (menu, top bar) is not the start page's business."""
    return re.search(r"<main\b.*?</main>", html, re.S).group(0)


@pytest.mark.parametrize("role", list(Role))
def test_each_role_sees_its_own_work_and_no_action_it_may_not_take(client, role):
    user = make_user(role, is_staff=role in STAFF_ROLES)

    page = main_content(start_page(client, user))

    wanted = EXPECTED[role]
    for thing in wanted:
        assert thing in page, f"{role}: missing {thing}"
    for thing in (EVERY_ACTION | {MASKED_NOTE}) - wanted:
        assert thing not in page, f"{role}: shows {thing}"
    assert NO_ROLE not in page


def test_a_user_without_a_role_is_told_to_ask_for_one_and_offered_nothing(client, outsider):
    page = main_content(start_page(client, outsider))

    assert NO_ROLE in page
    for thing in EVERY_ACTION:
        assert thing not in page


def test_the_hotline_prompt_is_for_those_who_take_calls_not_for_a_technician(client, agent, technician):
    prompt = "A customer is calling?"

    assert prompt in start_page(client, agent)
    assert prompt not in start_page(client, technician)


def test_admin_links_need_the_admin_site_to_be_open_to_the_user(client, supervisor):
    """A supervisor who is not staff may read the audit trail but cannot open the admin site:
    the panel says where the trail is kept rather than offering a link that answers 403."""
    page = main_content(start_page(client, supervisor))

    assert 'data-panel="core.audit"' in page
    assert AUDIT not in page
    assert "marks your account as staff" in page


def test_each_admin_link_on_the_start_page_opens_for_that_role(client):
    for role in STAFF_ROLES:
        user = make_user(role, is_staff=True)
        page = main_content(start_page(client, user))
        for href in re.findall(r'href="(/admin/[^"]*)"', page):
            assert client.get(href).status_code == 200, (role, href)


def test_the_calendar_panel_warns_of_a_year_without_holidays_or_still_provisional(client, manager):
    manager.is_staff = True
    manager.save(update_fields=["is_staff"])
    next_year = timezone.localdate().year + 1
    BusinessDay.objects.filter(date__year=next_year).delete()

    page = main_content(start_page(client, manager))

    assert "The business calendar has no holidays for" in page
    # Estimated from the holidays package: a warning until an administrator confirms it (0025).
    seed_provisional_years([next_year])
    page = main_content(start_page(client, manager))
    assert f"The business calendar for {next_year} is a provisional estimate" in page


def test_a_superuser_sees_every_panel_and_every_link(client, administrator):
    page = main_content(start_page(client, administrator))

    for thing in EVERY_ACTION:
        assert thing in page
    for panel in workbench.registered():
        assert f'data-panel="{panel.key}"' in page


def test_the_start_page_greets_in_chinese_by_default(client, agent):
    client.force_login(agent)

    page = client.get(HOME).content.decode()

    assert "查找客户" in page
    assert "新建客户" in page
    assert "Find a customer" not in page


def test_an_inactive_user_is_shown_no_panel(rf, agent):
    request = rf.get(HOME)
    agent.is_active = False
    request.user = agent

    assert workbench.panels_for(request) == []


def test_panels_are_shown_in_their_order_and_registering_again_replaces():
    key = "tests.example"
    before = workbench.registered()
    try:
        workbench.register(workbench.Panel(key, "a.html", 1, lambda user: True))
        workbench.register(workbench.Panel(key, "b.html", 999, lambda user: True))
        after = workbench.registered()
        assert len(after) == len(before) + 1
        assert after[-1].template == "b.html"
        assert [p.order for p in after] == sorted(p.order for p in after)
    finally:
        workbench._PANELS.pop(key, None)
