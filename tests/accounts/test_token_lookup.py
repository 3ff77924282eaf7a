"""A bearer token is judged in one statement: the token, its user, the user's team and the
permissions' generation, with the permissions they hold kept by the process under it (decision
0038). Nothing of the token is cached between requests, and the generation changes with every
write to permissions and roles, so a revoked token or a role taken away applies to the very next
request."""

import json

import pytest
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Group, Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext

from kefu.accounts import auth, services
from kefu.accounts.auth import user_for_token
from kefu.accounts.models import ApiToken, Team, User
from tests.factories import make_user

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def token_for(user: User) -> str:
    _token, raw = services.issue_token(user=user, name="test")
    user_for_token(raw)  # the first use marks last_used_at: a write the tests below leave out
    return raw


def bearer(raw: str) -> dict:
    return {"Authorization": f"Bearer {raw}"}


@pytest.fixture
def clerk():
    """Permissions of their own and through a group (as accounts/test_backends.py)."""
    user = User.objects.create_user("clerk", password="x", team=Team.objects.create(name="热线一组"))
    group = Group.objects.create(name="clerks")
    group.permissions.add(Permission.objects.get(codename="view_customer"))
    user.groups.add(group)
    user.user_permissions.add(Permission.objects.get(codename="view_auditevent"))
    return user


def test_the_token_its_user_their_team_and_permissions_come_in_one_statement(clerk):
    raw = token_for(clerk)
    with CaptureQueriesContext(connection) as queries:
        user = user_for_token(raw)
        assert user == clerk
        assert user.team.name == "热线一组"
        assert user.has_perm("customers.view_customer")
        assert user.has_perm("core.view_auditevent")
        assert not user.has_perm("customers.add_customer")
        assert user.has_module_perms("customers")
    assert len(queries) == 1, [query["sql"] for query in queries]


def test_the_token_brings_the_permissions_djangos_backend_counts(clerk, agent, technician, outsider):
    for user in (clerk, agent, technician, outsider):
        held = user_for_token(token_for(user)).get_all_permissions()
        assert held == ModelBackend().get_all_permissions(User.objects.get(pk=user.pk)), user
    assert user_for_token(token_for(agent)).get_all_permissions()  # not vacuous
    assert user_for_token(token_for(outsider)).get_all_permissions() == set()


def test_a_superusers_token_holds_every_permission():
    boss = User.objects.create_superuser("boss", password="x")
    user = user_for_token(token_for(boss))
    assert user.has_perm("tickets.merge_ticket")
    assert user.get_all_permissions() == ModelBackend().get_all_permissions(User.objects.get(pk=boss.pk))


def test_a_role_taken_away_applies_to_the_next_request(client, agent):
    raw = token_for(agent)
    assert client.get("/api/v1/tickets", headers=bearer(raw)).status_code == 200
    agent.groups.clear()
    assert client.get("/api/v1/tickets", headers=bearer(raw)).status_code == 403


def test_a_revoked_token_and_a_deactivated_user_apply_to_the_next_request(client, agent):
    raw = token_for(agent)
    assert client.get("/api/v1/users/me", headers=bearer(raw)).status_code == 200
    services.revoke_token(token=ApiToken.objects.get(), by=agent)
    assert client.get("/api/v1/users/me", headers=bearer(raw)).status_code == 401

    other = token_for(agent)
    assert client.get("/api/v1/users/me", headers=bearer(other)).status_code == 200
    User.objects.filter(pk=agent.pk).update(is_active=False)
    assert client.get("/api/v1/users/me", headers=bearer(other)).status_code == 401


def test_a_token_request_asks_no_more_about_its_user(client, agent):
    """users/me answers with the user's roles: the token's statement, the roles, nothing else
    about the user (no second read of the user or of the permissions)."""
    raw = token_for(make_user("agent", username="colleague"))
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/api/v1/users/me", headers=bearer(raw))
    assert response.status_code == 200, response.content
    assert json.loads(response.content)["username"] == "colleague"
    permission_reads = [query for query in queries if "auth_permission" in query["sql"]]
    assert permission_reads == [], [query["sql"] for query in queries]  # kept since the first use


def test_the_tokens_permissions_are_the_grants_rule_each_once(clerk):
    """The token's statement reads accounts.grants.granted_permissions, the set the backend and
    the admin read: a permission held both directly and through a role comes once."""
    clerk.user_permissions.add(Permission.objects.get(codename="view_customer"))  # also the role's
    raw = token_for(clerk)

    token = ApiToken.objects.get(user=clerk)
    held = auth._HELD.first(token=token.pk).held.split(auth.PERMISSION_SEPARATOR)

    assert sorted(held) == ["core.view_auditevent", "customers.view_customer"]
    assert user_for_token(raw).get_all_permissions() == set(held)


def test_the_permissions_are_read_again_only_when_their_generation_changed(clerk):
    raw = token_for(clerk)  # read and kept
    with CaptureQueriesContext(connection) as kept:
        user_for_token(raw)
    assert len(kept) == 1

    clerk.user_permissions.add(Permission.objects.get(codename="add_customer"))
    with CaptureQueriesContext(connection) as changed:
        user = user_for_token(raw)
    assert len(changed) == 2  # the token, then the permissions under the new generation
    assert user.has_perm("customers.add_customer")


@pytest.mark.parametrize(
    "change",
    [
        lambda group, user: group.permissions.clear(),  # the role's permissions
        lambda group, user: user.groups.remove(group),  # the member
        lambda group, user: group.delete(),  # the role
        lambda group, user: Permission.objects.filter(codename="view_customer").update(
            codename="view_customer_renamed"
        ),
    ],
    ids=["role-permissions", "membership", "role-deleted", "permission-renamed"],
)
def test_every_way_of_changing_a_role_reaches_the_next_request(clerk, change):
    raw = token_for(clerk)
    assert user_for_token(raw).has_perm("customers.view_customer")
    change(Group.objects.get(name="clerks"), clerk)
    assert not user_for_token(raw).has_perm("customers.view_customer")
