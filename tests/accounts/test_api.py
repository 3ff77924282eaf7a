"""API tokens, staff users and the caller's profile through /api/v1/."""

import datetime
import json

import pytest
from django.contrib.auth.models import Group, Permission
from django.utils import timezone

from kefu.accounts import services
from kefu.accounts.models import ApiToken, User, hash_token
from kefu.core.models import AuditAction, AuditEvent
from tests.factories import PASSWORD, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """Users are made per test; the production hasher's slowness buys nothing here."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


TOKENS = "/api/v1/auth/tokens"


def post_json(client, path, data, **headers):
    return client.post(path, json.dumps(data), content_type="application/json", headers=headers)


def bearer(raw: str) -> dict:
    return {"Authorization": f"Bearer {raw}"}


def assert_error(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.content
    body = response.json()
    assert body["code"] == code
    assert body["message"]
    assert "fields" in body
    return body


# --- Issuing ---------------------------------------------------------------------------------


def test_a_token_is_issued_for_a_username_and_password(client, agent):
    response = post_json(client, TOKENS, {"username": "agent", "password": PASSWORD, "name": "呼叫中心"})

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["token"].startswith("kf_")
    assert body["name"] == "呼叫中心"
    assert body["expires_at"] is None
    token = ApiToken.objects.get(pk=body["id"])
    assert token.user == agent
    assert body["token"].startswith(token.prefix)


def test_only_the_hash_of_the_token_is_stored(client, agent):
    raw = post_json(client, TOKENS, {"username": "agent", "password": PASSWORD}).json()["token"]

    token = ApiToken.objects.get()
    assert token.digest == hash_token(raw)
    stored = [str(value) for value in ApiToken.objects.values_list().get()]
    assert not any(raw in value for value in stored)
    assert not AuditEvent.objects.filter(changes__icontains=raw).exists()


def test_issuing_a_token_is_audited(client, agent):
    post_json(client, TOKENS, {"username": "agent", "password": PASSWORD})

    event = AuditEvent.objects.get(action=AuditAction.CREATE, target_type__model="apitoken")
    assert event.actor == agent
    assert "digest" not in event.changes


def test_a_token_may_expire_at_a_given_time(client, agent):
    expires = (timezone.now() + datetime.timedelta(days=30)).isoformat()

    response = post_json(client, TOKENS, {"username": "agent", "password": PASSWORD, "expires_at": expires})

    assert response.status_code == 201
    assert ApiToken.objects.get().expires_at is not None


def test_an_expiry_in_the_past_is_refused_naming_the_field(client, agent):
    past = (timezone.now() - datetime.timedelta(days=1)).isoformat()

    response = post_json(client, TOKENS, {"username": "agent", "password": PASSWORD, "expires_at": past})

    assert list(assert_error(response, 422, "invalid")["fields"]) == ["expires_at"]
    assert not ApiToken.objects.exists()


def test_a_wrong_password_is_401_and_issues_nothing(client, agent):
    response = post_json(client, TOKENS, {"username": "agent", "password": "wrong"})

    assert_error(response, 401, "invalid_credentials")
    assert not ApiToken.objects.exists()


def test_a_missing_password_is_400_naming_the_field(client, agent):
    response = post_json(client, TOKENS, {"username": "agent"})

    assert list(assert_error(response, 400, "invalid")["fields"]) == ["password"]


def test_an_inactive_user_gets_no_token(client):
    make_user("agent", is_active=False)

    assert_error(
        post_json(client, TOKENS, {"username": "agent", "password": PASSWORD}), 401, "invalid_credentials"
    )


def test_five_wrong_passwords_lock_the_username_out_with_429(client, agent):
    for _attempt in range(4):
        assert post_json(client, TOKENS, {"username": "agent", "password": "wrong"}).status_code == 401
    fifth = post_json(client, TOKENS, {"username": "agent", "password": "wrong"})

    assert_error(fifth, 429, "locked")
    assert int(fifth["Retry-After"]) > 0
    # Even the right password is refused while the lock lasts.
    locked = post_json(client, TOKENS, {"username": "agent", "password": PASSWORD})
    assert_error(locked, 429, "locked")
    assert locked["Content-Type"].startswith("application/json")
    assert not ApiToken.objects.exists()


# --- Using ----------------------------------------------------------------------------------


@pytest.fixture
def agent_token(agent):
    _token, raw = services.issue_token(user=agent, name="test")
    return raw


def test_a_bearer_token_opens_the_api(client, agent_token):
    response = client.get("/api/v1/users/me", headers=bearer(agent_token))

    assert response.status_code == 200
    assert response.json()["username"] == "agent"


def test_using_a_token_marks_when_it_was_last_used_at_most_once_a_minute(client, agent_token):
    client.get("/api/v1/users/me", headers=bearer(agent_token))
    first = ApiToken.objects.get().last_used_at
    client.get("/api/v1/users/me", headers=bearer(agent_token))

    assert first is not None
    assert ApiToken.objects.get().last_used_at == first


def test_a_bearer_write_needs_no_csrf_token(agent_token):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    response = post_json(
        client, "/api/v1/customers", {"name": "李女士", "phones": ["13812345678"]}, **bearer(agent_token)
    )

    assert response.status_code == 201, response.content


def test_an_unknown_token_is_401(client, agent_token):
    response = client.get("/api/v1/users/me", headers=bearer("kf_not-a-real-token"))

    assert_error(response, 401, "not_authenticated")
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_a_revoked_token_is_401(client, agent, agent_token):
    services.revoke_token(token=ApiToken.objects.get(), by=agent)

    assert_error(client.get("/api/v1/users/me", headers=bearer(agent_token)), 401, "not_authenticated")


def test_an_expired_token_is_401(client, agent_token):
    ApiToken.objects.update(expires_at=timezone.now() - datetime.timedelta(seconds=1))

    assert_error(client.get("/api/v1/users/me", headers=bearer(agent_token)), 401, "not_authenticated")


def test_a_bad_token_is_401_even_with_a_session(agent_client):
    response = agent_client.get("/api/v1/users/me", headers=bearer("kf_wrong"))

    assert_error(response, 401, "not_authenticated")


def test_a_token_of_a_deactivated_user_is_401(client, agent, agent_token):
    agent.is_active = False
    agent.save()

    assert_error(client.get("/api/v1/users/me", headers=bearer(agent_token)), 401, "not_authenticated")


# --- Listing and revoking -------------------------------------------------------------------


def test_a_user_lists_their_own_tokens_without_the_secrets(client, agent, supervisor, agent_token):
    services.issue_token(user=supervisor)

    response = client.get(TOKENS, headers=bearer(agent_token))

    assert response.status_code == 200
    items = response.json()["items"]
    assert [item["name"] for item in items] == ["test"]
    assert "token" not in items[0]
    assert "digest" not in items[0]


def test_a_user_revokes_their_own_token(client, agent, agent_token):
    token = ApiToken.objects.get()

    response = client.post(f"{TOKENS}/{token.pk}/revoke", headers=bearer(agent_token))

    assert response.status_code == 200, response.content
    assert response.json()["revoked_at"] is not None
    assert AuditEvent.objects.filter(action=AuditAction.UPDATE, target_id=str(token.pk)).exists()
    assert client.get("/api/v1/users/me", headers=bearer(agent_token)).status_code == 401


def test_another_users_token_is_not_found(client, supervisor, agent_token):
    other, _raw = services.issue_token(user=supervisor)

    response = client.post(f"{TOKENS}/{other.pk}/revoke", headers=bearer(agent_token))

    assert_error(response, 404, "not_found")
    other.refresh_from_db()
    assert other.revoked_at is None


def test_revoking_twice_is_a_conflict(agent_client, agent):
    token, _raw = services.issue_token(user=agent)
    agent_client.post(f"{TOKENS}/{token.pk}/revoke")

    assert_error(agent_client.post(f"{TOKENS}/{token.pk}/revoke"), 409, "conflict")


# --- Users ----------------------------------------------------------------------------------


def test_users_are_listed_with_their_roles(agent_client, agent, technician, supervisor):
    response = agent_client.get("/api/v1/users", headers={"Accept-Language": "en"})

    assert response.status_code == 200
    body = response.json()
    assert body["next_cursor"] is None
    by_name = {item["username"]: item for item in body["items"]}
    assert set(by_name) == {"agent", "technician", "supervisor"}
    assert by_name["technician"]["roles"] == [{"code": "technician", "label": "Technician"}]


def test_users_are_filtered_by_role_and_text(agent_client, agent, technician, supervisor):
    make_user("technician", username="tech-wuhan", display_name="武汉师傅")

    by_role = agent_client.get("/api/v1/users?role=technician").json()["items"]
    by_text = agent_client.get("/api/v1/users?q=武汉").json()["items"]

    assert {item["username"] for item in by_role} == {"technician", "tech-wuhan"}
    assert [item["username"] for item in by_text] == ["tech-wuhan"]


def test_an_unknown_role_is_400(agent_client):
    body = assert_error(agent_client.get("/api/v1/users?role=wizard"), 400, "invalid")

    assert list(body["fields"]) == ["role"]


def test_inactive_users_are_not_listed(agent_client, agent):
    make_user("agent", username="gone", is_active=False)

    names = [item["username"] for item in agent_client.get("/api/v1/users").json()["items"]]

    assert "gone" not in names


def test_the_users_list_pages_with_a_cursor(agent_client, agent):
    for n in range(4):
        make_user("agent", username=f"agent{n}")

    first = agent_client.get("/api/v1/users?limit=3").json()
    second = agent_client.get(f"/api/v1/users?limit=3&cursor={first['next_cursor']}").json()

    assert len(first["items"]) == 3
    assert len(second["items"]) == 2
    assert second["next_cursor"] is None


def test_the_users_list_costs_the_same_queries_for_one_and_thirty_users(
    agent_client, agent, django_assert_num_queries
):
    agent_client.get("/api/v1/users")  # warm the caches every request shares
    with django_assert_num_queries(4) as one:  # session, user, page, roles
        agent_client.get("/api/v1/users")
    technicians = Group.objects.get(name="technician")
    for user in User.objects.bulk_create(User(username=f"tech{n}") for n in range(29)):
        user.groups.add(technicians)  # no password: hashing 29 of them would be slow
    with django_assert_num_queries(len(one.captured_queries)):
        response = agent_client.get("/api/v1/users")
    assert len(response.json()["items"]) == 30


def test_me_tells_roles_and_what_the_caller_may_do(agent_client):
    body = agent_client.get("/api/v1/users/me", headers={"Accept-Language": "en"}).json()

    assert body["roles"] == [{"code": "agent", "label": "Hotline agent"}]
    assert body["permissions"]["can_reveal_phone"] is True
    assert body["permissions"]["can_view_full_phone"] is False
    assert body["permissions"]["can_add_customer"] is True
    assert body["permissions"]["can_add_product_model"] is False


def test_me_for_a_technician_and_a_manager(client, technician, manager):
    client.force_login(technician)
    technician_may = client.get("/api/v1/users/me").json()["permissions"]
    client.force_login(manager)
    manager_may = client.get("/api/v1/users/me").json()["permissions"]

    assert technician_may["can_reveal_phone"] is False
    assert technician_may["can_add_customer"] is False
    assert manager_may["can_add_product_model"] is True


def test_me_shows_a_directly_granted_permission(client, agent):
    agent.user_permissions.add(Permission.objects.get(codename="view_full_phone"))
    client.force_login(agent)

    assert client.get("/api/v1/users/me").json()["permissions"]["can_view_full_phone"] is True
