"""Promise policies and business-calendar days through /api/v1/: each answer, each refusal (its
status, its field, nothing written), idempotent creates, versions, and what a list costs."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from kefu.core.calendar import seed_provisional_years
from kefu.core.models import AuditEvent, BusinessDay
from kefu.promises import services_policies
from kefu.promises.models import PromisePolicy, WorkCalendar
from tests.tickets.test_api import assert_refused, send

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def manager_client(client, manager):
    client.force_login(manager)
    return client


def get(client, path: str):
    return client.get(f"/api/v1{path}")


def always() -> WorkCalendar:
    return WorkCalendar.objects.get(code="always")


def body(**fields) -> dict:
    return {
        "name": "冰箱报修承诺",
        "description": "冰箱坏了，食物等不起。",
        "product_category": "refrigerator",
        "ticket_type": "repair",
        "calendar": always().pk,
        "targets": {"first_response": 60, "arrival": 720},
        **fields,
    }


def nothing_written(before: tuple[int, int]) -> None:
    assert (PromisePolicy.objects.count(), AuditEvent.objects.count()) == before


def counts() -> tuple[int, int]:
    return PromisePolicy.objects.count(), AuditEvent.objects.count()


# --- Policies ---------------------------------------------------------------------------------------


def test_a_manager_adds_a_policy_and_reads_it_back(manager_client):
    response = send(manager_client, "post", "/promise-policies", body())
    assert response.status_code == 201, response.content
    created = response.json()
    assert created["product_category"] == "refrigerator"
    assert created["targets"] == {"first_response": 60, "arrival": 720, "resolution": None}
    assert created["specificity"] == 2
    assert created["customer_tier"] is None
    assert created["season_start"] is None
    assert created["pause_statuses"] == ["pending_customer"]
    assert len(created["reasons"]) == 2
    assert created["version"] == 1
    again = get(manager_client, f"/promise-policies/{created['id']}")
    assert again.json() == created


def test_one_idempotency_key_adds_one_policy(manager_client):
    first = send(manager_client, "post", "/promise-policies", body(), **{"Idempotency-Key": "p-1"})
    second = send(manager_client, "post", "/promise-policies", body(), **{"Idempotency-Key": "p-1"})
    assert (first.status_code, second.status_code) == (201, 201)
    assert first.json() == second.json()
    assert PromisePolicy.objects.filter(name="冰箱报修承诺").count() == 1


@pytest.mark.parametrize(
    ("changes", "status", "field"),
    [
        ({"targets": {"first_response": -30}}, 400, "targets"),
        ({"targets": {"first_response": 0}}, 400, "targets"),
        ({"targets": {}}, 422, "targets"),
        ({"season_start": "06-01"}, 422, "season_end"),
        ({"season_start": "13-01", "season_end": "02-01"}, 422, "season_start"),
        ({"product_category": "spaceship"}, 422, "product_category"),
        ({"calendar": 999999}, 422, "calendar"),
        ({"pause_statuses": ["closed"]}, 422, "pause_statuses"),
        ({"ticket_type": "repair", "product_category": None, "name": "又一个报修承诺"}, 422, "name"),
    ],
)
def test_bad_policies_are_refused_with_their_field_and_nothing_is_written(
    manager_client, changes, status, field
):
    before = counts()
    response = send(manager_client, "post", "/promise-policies", body(**changes))
    answer = assert_refused(response, status)
    assert field in answer["fields"], answer
    nothing_written(before)


def test_overlapping_seasons_of_equal_specificity_are_a_422_naming_the_other_policy(manager_client):
    summer = {"product_category": "air_conditioner", "ticket_type": "installation"}
    first = send(
        manager_client,
        "post",
        "/promise-policies",
        body(name="夏季安装", season_start="06-01", season_end="08-31", **summer),
    )
    assert first.status_code == 201, first.content
    before = counts()
    response = send(
        manager_client,
        "post",
        "/promise-policies",
        body(name="盛夏安装", season_start="07-15", season_end="09-15", **summer),
    )
    answer = assert_refused(response, 422, "season_start")
    assert "夏季安装" in answer["fields"]["season_start"][0]
    nothing_written(before)


def test_a_patch_changes_a_policy_and_a_stale_version_is_a_409(manager_client):
    policy = PromisePolicy.objects.get(code="repair")
    response = send(
        manager_client,
        "patch",
        f"/promise-policies/{policy.pk}",
        {"version": policy.version, "targets": {"arrival": 480}, "description": "24小时上门改为8小时"},
    )
    assert response.status_code == 200, response.content
    answer = response.json()
    assert answer["targets"]["arrival"] == 480
    assert answer["targets"]["first_response"] == 240  # a kind not named stays
    assert answer["version"] == policy.version + 1
    stale = send(
        manager_client,
        "patch",
        f"/promise-policies/{policy.pk}",
        {"version": policy.version, "active": False},
    )
    assert_refused(stale, 409, code="stale_version")
    assert stale.json()["current_version"] == policy.version + 1
    assert PromisePolicy.objects.get(pk=policy.pk).active is True


def test_a_patch_sets_a_criterion_to_any_with_null(manager_client):
    policy = services_policies.create_policy(
        by=None,
        name="VIP安装",
        calendar=always(),
        ticket_type="installation",
        customer_tier="vip",
        targets={"first_response": 60},
    )
    response = send(
        manager_client,
        "patch",
        f"/promise-policies/{policy.pk}",
        {"version": 1, "customer_tier": None, "ticket_type": "care"},
    )
    assert response.status_code == 200, response.content
    assert (response.json()["customer_tier"], response.json()["specificity"]) == (None, 1)


def test_an_agent_reads_policies_but_may_not_change_them(agent_client):
    assert get(agent_client, "/promise-policies").status_code == 200
    before = counts()
    assert_refused(send(agent_client, "post", "/promise-policies", body()), 403, code="forbidden")
    nothing_written(before)


def test_the_policy_list_pages_with_a_constant_number_of_queries(manager_client):
    for index in range(6):
        services_policies.create_policy(
            by=None,
            name=f"测试承诺{index}",
            calendar=always(),
            active=False,
            targets={"first_response": 60 + index},
        )
    get(manager_client, "/promise-policies?limit=2")  # warm the session and permission caches
    with CaptureQueriesContext(connection) as small:
        first = get(manager_client, "/promise-policies?limit=2")
    with CaptureQueriesContext(connection) as large:
        get(manager_client, "/promise-policies?limit=20")
    assert len(small) == len(large)
    seen = [item["id"] for item in first.json()["items"]]
    cursor = first.json()["next_cursor"]
    while cursor:
        page = get(manager_client, f"/promise-policies?limit=2&cursor={cursor}").json()
        seen += [item["id"] for item in page["items"]]
        cursor = page["next_cursor"]
    assert seen == sorted(PromisePolicy.objects.values_list("id", flat=True))


# --- Business calendar ---------------------------------------------------------------------------


def test_the_days_of_a_year_are_listed_by_date_in_pages(agent_client):
    response = get(agent_client, "/business-calendar/days?year=2026&limit=5")
    assert response.status_code == 200, response.content
    page = response.json()
    assert [item["date"] for item in page["items"]] == sorted(item["date"] for item in page["items"])
    assert all(item["date"].startswith("2026-") for item in page["items"])
    dates = [item["date"] for item in page["items"]]
    cursor = page["next_cursor"]
    while cursor:
        page = get(agent_client, f"/business-calendar/days?year=2026&limit=5&cursor={cursor}").json()
        dates += [item["date"] for item in page["items"]]
        cursor = page["next_cursor"]
    assert len(dates) == BusinessDay.objects.filter(date__year=2026).count()
    assert "2026-10-10" in dates  # the adjusted working Saturday


def test_provisional_days_are_marked(agent_client):
    BusinessDay.objects.filter(date__year=2027).delete()
    seed_provisional_years([2027])
    items = get(agent_client, "/business-calendar/days?year=2027&provisional=true&limit=200").json()["items"]
    assert items
    assert all(item["provisional"] for item in items)
    assert "2027-10-01" in [item["date"] for item in items]


def test_a_manager_enters_a_day_and_a_date_entered_twice_is_a_409_with_nothing_written(manager_client):
    day = {"date": "2031-10-01", "kind": "holiday", "name": "国庆节"}
    created = send(manager_client, "post", "/business-calendar/days", day)
    assert created.status_code == 201, created.content
    assert created.json()["provisional"] is False
    before = (BusinessDay.objects.count(), AuditEvent.objects.count())
    again = send(manager_client, "post", "/business-calendar/days", {**day, "kind": "workday"})
    answer = assert_refused(again, 409, "date", code="date_taken")
    assert answer["existing"] == created.json()["id"]
    assert (BusinessDay.objects.count(), AuditEvent.objects.count()) == before
    assert BusinessDay.objects.get(date=datetime.date(2031, 10, 1)).kind == "holiday"


def test_bad_days_are_refused(manager_client):
    before = BusinessDay.objects.count()
    assert (
        send(
            manager_client, "post", "/business-calendar/days", {"date": "2031-02-30", "kind": "holiday"}
        ).status_code
        == 400
    )
    assert (
        send(
            manager_client, "post", "/business-calendar/days", {"date": "2031-03-01", "kind": "party"}
        ).status_code
        == 400
    )
    assert BusinessDay.objects.count() == before


def test_an_agent_may_not_enter_days(agent_client):
    response = send(
        agent_client, "post", "/business-calendar/days", {"date": "2031-10-01", "kind": "holiday"}
    )
    assert_refused(response, 403, code="forbidden")
    assert not BusinessDay.objects.filter(date=datetime.date(2031, 10, 1)).exists()
