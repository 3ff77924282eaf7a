"""Lookups by a whole phone number: audited for everyone, limited for roles that may not see
numbers, so a masked number (133****5518) cannot be recovered by trying its hidden digits."""

import datetime
import json

import pytest
from django.contrib.auth.models import Permission
from django.test import override_settings
from django.utils import timezone

from kefu.core.masking import redact_phone
from kefu.core.models import AuditAction, AuditEvent
from kefu.customers import lookups
from tests.factories import customer_with_phone, make_user

pytestmark = pytest.mark.django_db

# The customer whose number the technician tries to recover: 133 **** 5518.
HIDDEN = "+8613312345518"


@pytest.fixture
def target(db):
    return customer_with_phone(HIDDEN, name="陈女士")


def guesses():
    """Every number the masked form allows, in order: 13300005518, 13300015518, …"""
    for middle in range(10_000):
        yield f"133{middle:04d}5518"


def lookup_rows(user):
    return AuditEvent.objects.filter(actor=user, action=AuditAction.LOOKUP)


def test_a_technician_looping_over_the_hidden_digits_is_stopped_long_before_the_number(
    client, technician, target
):
    client.force_login(technician)
    answers = []
    for guess in guesses():
        response = client.get("/api/v1/customers", {"q": guess, "limit": 1})
        answers.append(response)
        if response.status_code == 429:
            break

    found = [r for r in answers if r.status_code == 200 and r.json()["items"]]
    assert found == []  # the real middle digits (1234) come far after the limit
    assert len(answers) == 21
    refusal = answers[-1]
    assert refusal.json()["code"] == "too_many_lookups"
    assert 0 < int(refusal["Retry-After"]) <= 3600
    assert lookup_rows(technician).count() == 20


def test_at_the_limit_recovering_one_number_takes_days_not_minutes(settings):
    """The arithmetic the limits promise: ten thousand candidates at PHONE_LOOKUPS_PER_DAY a day."""
    days_for_all = 10_000 / min(
        settings.KEFU_PHONE_LOOKUPS_PER_DAY, 24 * settings.KEFU_PHONE_LOOKUPS_PER_HOUR
    )

    assert days_for_all / 2 >= 7  # even the expected half of the space takes more than a week


def test_each_lookup_by_a_whole_number_is_audited_with_the_number_redacted(agent_client, agent, target):
    agent_client.get("/api/v1/customers", {"q": "133 1234 5518"})

    row = lookup_rows(agent).get()
    assert row.target_repr == "133****5518"
    assert row.changes == {"phone": redact_phone(HIDDEN)}
    assert "13312345518" not in json.dumps(row.changes) + row.target_repr


def test_an_agent_who_may_reveal_numbers_is_never_held_back(agent_client, agent, target):
    statuses = {
        agent_client.get("/api/v1/customers", {"q": guess}).status_code for guess in list(guesses())[:60]
    }

    assert statuses == {200}
    assert lookup_rows(agent).count() == 60


def test_last_four_digits_and_names_are_neither_limited_nor_audited(client, technician, target):
    client.force_login(technician)
    for _ in range(30):
        assert client.get("/api/v1/customers", {"q": "5518"}).status_code == 200
        assert client.get("/api/v1/customers", {"q": "陈"}).status_code == 200

    assert not lookup_rows(technician).exists()


@override_settings(KEFU_PHONE_LOOKUPS_PER_HOUR=3, KEFU_PHONE_LOOKUPS_PER_DAY=5)
def test_the_hourly_limit_frees_up_after_an_hour_and_the_daily_one_after_a_day(technician, target):
    start = timezone.now()
    for _ in range(3):
        lookups.record_phone_lookup(by=technician, text=HIDDEN, now=start)
    with pytest.raises(lookups.TooManyLookups) as refusal:
        lookups.record_phone_lookup(by=technician, text=HIDDEN, now=start)
    assert 3500 <= refusal.value.retry_after <= 3601

    later = start + datetime.timedelta(hours=1, minutes=1)
    lookups.record_phone_lookup(by=technician, text=HIDDEN, now=later)
    lookups.record_phone_lookup(by=technician, text=HIDDEN, now=later)
    with pytest.raises(lookups.TooManyLookups) as refusal:  # five today
        lookups.record_phone_lookup(by=technician, text=HIDDEN, now=later)
    assert refusal.value.retry_after > 20 * 3600

    lookups.record_phone_lookup(by=technician, text=HIDDEN, now=start + datetime.timedelta(days=1, minutes=1))


def test_the_search_page_answers_429_with_a_way_forward(client, technician, target):
    client.force_login(technician)
    for guess in list(guesses())[:20]:
        client.get("/customers/", {"q": guess})

    response = client.get("/customers/", {"q": HIDDEN})

    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert response.context["throttled"]
    assert "陈女士" not in response.content.decode()  # whether the number is known stays hidden


def test_the_admin_search_is_limited_the_same_way(client, target):
    staff = make_user(None, username="archive-clerk", is_staff=True)
    staff.user_permissions.add(Permission.objects.get(codename="view_customer"))
    client.force_login(staff)
    url = "/admin/customers/customer/"
    for guess in list(guesses())[:20]:
        assert client.get(url, {"q": guess}).status_code == 200

    response = client.get(url, {"q": HIDDEN})

    assert response.status_code == 200
    assert list(response.context["cl"].result_list) == []
    assert lookup_rows(staff).count() == 20


def test_the_admin_search_reads_five_to_ten_digits_as_the_last_four_for_a_masked_role(client, target):
    """The admin's search box probes no hidden middle digits either (as the search page)."""
    other = customer_with_phone("+8613900005518", name="张先生")
    staff = make_user(None, username="archive-clerk", is_staff=True)
    staff.user_permissions.add(Permission.objects.get(codename="view_customer"))
    client.force_login(staff)

    response = client.get("/admin/customers/customer/", {"q": "12345518"})

    assert response.status_code == 200
    assert {c.pk for c in response.context["cl"].result_list} == {target.pk, other.pk}


@pytest.mark.postgresql
def test_a_lookup_inside_another_transaction_leaves_its_commit_durable(agent, target):
    from django.db import connection, transaction

    with transaction.atomic():
        lookups.record_phone_lookup(by=agent, text=HIDDEN)
        with connection.cursor() as cursor:
            cursor.execute("SHOW synchronous_commit")
            (setting,) = cursor.fetchone()

    assert setting == "on"
