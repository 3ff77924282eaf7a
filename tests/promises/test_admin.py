"""The admin of promises and of the business calendar's provisional years: a policy is added and
changed through the service (its refusals shown, nothing written), a provisional year warns until
an administrator confirms it."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from kefu.core.calendar import ensure_years, provisional_years, seed_provisional_years
from kefu.core.models import AuditEvent, BusinessDay
from kefu.promises.models import PolicyTarget, PromisePolicy, WorkCalendar
from tests.admin_pages import admin_url, form_data

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, administrator):
    client.force_login(administrator)
    return client


def provisional_warning(year: int) -> str:
    with translation.override("en"):
        return f"The business calendar for {year} is a provisional estimate"


def test_a_provisional_year_warns_on_the_admin_and_the_calendar_page_until_confirmed(admin_client):
    next_year = timezone.localdate().year + 1
    BusinessDay.objects.filter(date__year=next_year).delete()
    seed_provisional_years([next_year])
    with translation.override("en"):
        index = admin_client.get(reverse("admin:index"), headers={"accept-language": "en"})
        page = admin_client.get(admin_url(BusinessDay, "changelist"), headers={"accept-language": "en"})
    assert provisional_warning(next_year) in index.content.decode()
    assert provisional_warning(next_year) in page.content.decode()

    days = BusinessDay.objects.filter(date__year=next_year)
    response = admin_client.post(
        admin_url(BusinessDay, "changelist"),
        {"action": "confirm_years", "_selected_action": [str(days.first().pk)]},
    )
    assert response.status_code == 302
    assert next_year not in provisional_years()
    assert not BusinessDay.objects.filter(date__year=next_year, provisional=True).exists()
    assert AuditEvent.objects.filter(changes__provisional=[True, False]).exists()
    page = admin_client.get(admin_url(BusinessDay, "changelist"), headers={"accept-language": "en"})
    assert provisional_warning(next_year) not in page.content.decode()


def test_ensuring_the_years_is_idempotent():
    assert ensure_years() == {}
    count = BusinessDay.objects.count()
    assert ensure_years() == {}
    assert BusinessDay.objects.count() == count


def policy_form(**fields) -> dict:
    return {
        "name": "热水器报修承诺",
        "description": "",
        "active": "on",
        "product_category": "",
        "ticket_type": "repair",
        "priority": "",
        "customer_tier": "",
        "season_start": "",
        "season_end": "",
        "calendar": str(WorkCalendar.objects.get(code="always").pk),
        "target_first_response": "60",
        "target_arrival": "",
        "target_resolution": "2880",
        "pause_statuses": ["pending_customer"],
        "escalate_supervisor_after": "0",
        "escalate_director_after": "240",
        "escalate_hq_after": "1440",
        **fields,
    }


def test_an_administrator_adds_a_policy_through_the_service(admin_client):
    response = admin_client.post(admin_url(PromisePolicy, "add"), policy_form(priority="high"))
    assert response.status_code == 302, response.content.decode()[:2000]
    policy = PromisePolicy.objects.get(name="热水器报修承诺")
    assert policy.specificity == 2
    assert {t.kind: t.minutes for t in PolicyTarget.objects.filter(policy=policy)} == {
        "first_response": 60,
        "resolution": 2880,
    }
    assert AuditEvent.objects.filter(target_id=str(policy.pk), action="create").exists()


def test_the_admin_refuses_an_overlapping_policy_and_writes_nothing(admin_client):
    count = PromisePolicy.objects.count()
    # Same criteria as the shipped repair policy.
    response = admin_client.post(admin_url(PromisePolicy, "add"), policy_form())
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert "报修服务承诺" in str(errors["name"])  # beside the field, naming the other policy
    assert PromisePolicy.objects.count() == count


def test_the_admin_refuses_a_season_with_one_end_beside_the_field(admin_client):
    count = PromisePolicy.objects.count()
    response = admin_client.post(
        admin_url(PromisePolicy, "add"), policy_form(priority="high", season_start="06-01")
    )
    assert response.status_code == 200
    assert "season_end" in response.context["adminform"].form.errors
    assert PromisePolicy.objects.count() == count


def test_the_admin_refuses_a_negative_target_beside_the_field(admin_client):
    count = PromisePolicy.objects.count()
    response = admin_client.post(
        admin_url(PromisePolicy, "add"), policy_form(priority="high", target_first_response="-5")
    )
    assert response.status_code == 200
    assert "target_first_response" in response.context["adminform"].form.errors
    assert PromisePolicy.objects.count() == count


def test_an_administrator_changes_a_target_and_the_version_goes_up(admin_client):
    policy = PromisePolicy.objects.get(code="repair")
    page = admin_client.get(admin_url(PromisePolicy, "change", policy.pk))
    data = form_data(page)
    data["target_arrival"] = "480"
    response = admin_client.post(admin_url(PromisePolicy, "change", policy.pk), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    policy.refresh_from_db()
    assert policy.version == 2
    assert PolicyTarget.objects.get(policy=policy, kind="arrival").minutes == 480


def test_the_policy_list_says_what_each_applies_to(admin_client):
    with translation.override("en"):
        page = admin_client.get(admin_url(PromisePolicy, "changelist"), headers={"accept-language": "en"})
    assert page.status_code == 200
    assert "Ticket type: Repair" in page.content.decode()


def test_ensure_years_seeds_next_year_provisionally_when_the_package_does_not_know_it():
    next_year = timezone.localdate().year + 1
    BusinessDay.objects.filter(date__year=next_year).delete()
    added = ensure_years()
    if next_year > 2026:  # chinese-calendar 1.11 knows up to 2026
        assert added[next_year] > 0
        assert BusinessDay.objects.filter(date__year=next_year, provisional=True).exists()
    assert datetime.date(next_year, 10, 1) in set(
        BusinessDay.objects.filter(date__year=next_year).values_list("date", flat=True)
    )
