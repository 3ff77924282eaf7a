"""Nobody grants a right they do not hold: the user and group admin pages, driven as a browser does.

The editor is a staff user in the `admin` role who is not a superuser. What that role lacks is
read from the database, not assumed: a group with `customers.view_full_phone` stands for any
right beyond it, and every check first asserts that the role really lacks it.
"""

import pytest
from django.contrib.auth.models import Group, Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from kefu.accounts.models import User
from kefu.core.models import AuditAction, AuditEvent
from tests.admin_pages import admin_url, form_data
from tests.factories import PASSWORD, make_user

BEYOND = "customers.view_full_phone"


def permission(dotted: str) -> Permission:
    app_label, codename = dotted.split(".")
    return Permission.objects.get(content_type__app_label=app_label, codename=codename)


def permission_ids(group: Group) -> set[int]:
    return set(group.permissions.values_list("pk", flat=True))


@pytest.fixture
def editor(db) -> User:
    user = make_user("admin", username="admin-role", is_staff=True)
    assert not user.is_superuser
    assert not user.has_perm(BEYOND), "the admin role must lack the right these tests withhold"
    return user


@pytest.fixture
def editor_client(client, editor):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    client.force_login(editor)
    return client


@pytest.fixture
def full_numbers(db) -> Group:
    """A group holding a permission the admin role lacks."""
    group = Group.objects.create(name="full numbers")
    group.permissions.add(permission(BEYOND))
    return group


@pytest.fixture
def superuser(db) -> User:
    return make_user(None, username="root", is_staff=True, is_superuser=True)


def password_url(user: User) -> str:
    return reverse("admin:auth_user_password_change", args=[user.pk])


def user_updates(user: User) -> int:
    return AuditEvent.objects.filter(action=AuditAction.UPDATE, target_id=str(user.pk)).count()


def test_an_admin_role_user_cannot_make_itself_superuser(editor_client, editor):
    url = admin_url(User, "change", editor.pk)
    page = editor_client.get(url)
    data = form_data(page)
    data["is_superuser"] = "on"
    response = editor_client.post(url, data)
    assert response.status_code in (200, 302)
    editor.refresh_from_db()
    assert not editor.is_superuser
    assert "is_superuser" not in page.context["adminform"].form.fields, "shown read-only"


def test_an_admin_role_user_is_offered_only_the_groups_it_holds_in_full(
    editor_client, editor, agent, full_numbers
):
    held = set(Permission.objects.filter(group__user=editor).values_list("pk", flat=True))
    expected = {group.pk for group in Group.objects.all() if permission_ids(group) <= held}
    page = editor_client.get(admin_url(User, "change", agent.pk))
    form = page.context["adminform"].form
    assert set(form.fields["groups"].queryset.values_list("pk", flat=True)) == expected
    assert full_numbers.pk not in expected
    assert set(form.fields["user_permissions"].queryset.values_list("pk", flat=True)) == held


@pytest.mark.parametrize("whom", ["itself", "an agent"])
def test_an_admin_role_user_cannot_give_a_group_holding_a_permission_it_lacks(
    editor_client, editor, agent, full_numbers, whom
):
    target = editor if whom == "itself" else agent
    groups_before = set(target.groups.values_list("pk", flat=True))
    url = admin_url(User, "change", target.pk)
    data = form_data(editor_client.get(url))
    data["groups"] = [*data["groups"], full_numbers.pk]
    response = editor_client.post(url, data)
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["groups"] == [
        "You may give only the roles whose every permission you hold yourself."
    ]
    assert set(target.groups.values_list("pk", flat=True)) == groups_before
    assert not User.objects.get(pk=target.pk).has_perm(BEYOND)
    assert user_updates(target) == 0


def test_an_admin_role_user_cannot_grant_an_individual_permission_it_lacks(editor_client, editor, agent):
    url = admin_url(User, "change", agent.pk)
    data = form_data(editor_client.get(url))
    data["user_permissions"] = [permission(BEYOND).pk]
    response = editor_client.post(url, data)
    assert response.status_code == 200
    assert "user_permissions" in response.context["adminform"].form.errors
    assert not agent.user_permissions.exists()
    assert user_updates(agent) == 0


def test_an_admin_role_user_may_only_view_a_superuser(editor_client, superuser):
    url = admin_url(User, "change", superuser.pk)
    page = editor_client.get(url)
    assert page.status_code == 200
    assert not page.context["has_change_permission"]
    assert "This account holds rights that you do not hold" in page.content.decode()
    response = editor_client.post(url, {"username": "root", "display_name": "taken over", "is_staff": "on"})
    assert response.status_code == 403
    superuser.refresh_from_db()
    assert (superuser.display_name, superuser.is_active, superuser.is_superuser) == ("", True, True)
    assert user_updates(superuser) == 0


def test_an_admin_role_user_cannot_change_a_superusers_password(editor_client, superuser):
    url = password_url(superuser)
    assert editor_client.get(url).status_code == 403
    response = editor_client.post(url, {"password1": "a-new-Secret-42", "password2": "a-new-Secret-42"})
    assert response.status_code == 403
    superuser.refresh_from_db()
    assert superuser.check_password(PASSWORD)
    assert user_updates(superuser) == 0


def test_an_admin_role_user_cannot_change_a_user_holding_a_permission_it_lacks(
    editor_client, agent, full_numbers
):
    agent.groups.add(full_numbers)
    url = admin_url(User, "change", agent.pk)
    assert not editor_client.get(url).context["has_change_permission"]
    response = editor_client.post(url, {"username": "agent", "display_name": "taken over"})
    assert response.status_code == 403
    assert User.objects.get(pk=agent.pk).display_name == ""
    new_password = {"password1": "x-Secret-4242", "password2": "x-Secret-4242"}
    assert editor_client.post(password_url(agent), new_password).status_code == 403
    assert User.objects.get(pk=agent.pk).check_password(PASSWORD)


def test_an_admin_role_user_with_delete_rights_cannot_delete_a_superuser(
    editor_client, editor, superuser, agent
):
    editor.user_permissions.add(permission("accounts.delete_user"))
    assert editor_client.post(admin_url(User, "delete", superuser.pk), {"post": "yes"}).status_code == 403
    response = editor_client.post(
        admin_url(User, "changelist"),
        {"action": "delete_selected", "_selected_action": [superuser.pk, agent.pk], "post": "yes"},
    )
    assert response.status_code == 403
    assert User.objects.filter(pk__in=[superuser.pk, agent.pk]).count() == 2


def test_the_changelist_tells_an_admin_role_user_which_accounts_it_may_edit(
    editor_client, editor, superuser, agent, supervisor, full_numbers
):
    supervisor.groups.add(full_numbers)
    url = admin_url(User, "changelist")
    response = editor_client.get(url)
    assert "You may edit" in response.content.decode()
    cl = response.context["cl"]
    may_edit = {user.username: cl.model_admin.may_edit(user) for user in cl.result_list}
    assert may_edit == {"admin-role": True, "agent": True, "root": False, "supervisor": False}
    with CaptureQueriesContext(connection) as few:
        editor_client.get(url)
    for n in range(5):
        make_user("technician", username=f"technician-{n}")
    with CaptureQueriesContext(connection) as many:
        editor_client.get(url)
    assert len(many) == len(few)


def test_a_group_editor_cannot_put_a_permission_it_lacks_into_a_group_but_may_take_one_out(
    editor_client, editor, full_numbers
):
    editor.user_permissions.add(permission("auth.change_group"))
    admin_role = Group.objects.get(name="admin")
    before = permission_ids(admin_role)
    url = admin_url(Group, "change", admin_role.pk)
    data = form_data(editor_client.get(url))
    data["permissions"] = [*data["permissions"], permission(BEYOND).pk]
    response = editor_client.post(url, data)
    assert response.status_code == 200
    assert "permissions" in response.context["adminform"].form.errors
    assert permission_ids(admin_role) == before
    # Taking a permission out of its own role is allowed, and audited.
    dropped = permission("core.view_businessday")
    data["permissions"] = [pk for pk in data["permissions"] if pk not in (dropped.pk, permission(BEYOND).pk)]
    assert editor_client.post(url, data).status_code == 302
    assert permission_ids(admin_role) == before - {dropped.pk}
    event = AuditEvent.objects.get(action=AuditAction.UPDATE, target_id=str(admin_role.pk))
    assert event.changes["permissions"] == [sorted(before), sorted(before - {dropped.pk})]
    # Nor may it rename or strip a group that holds more than it does.
    full_numbers_url = admin_url(Group, "change", full_numbers.pk)
    assert editor_client.post(full_numbers_url, {"name": "renamed"}).status_code == 403
    assert Group.objects.filter(name="full numbers").exists()


def test_a_superuser_may_grant_every_right_and_the_trail_records_it(client, superuser, agent, full_numbers):
    client.force_login(superuser)
    url = admin_url(User, "change", agent.pk)
    data = form_data(client.get(url))
    data["is_superuser"] = "on"
    data["groups"] = [*data["groups"], full_numbers.pk]
    data["user_permissions"] = [permission(BEYOND).pk]
    assert client.post(url, data).status_code == 302
    agent = User.objects.get(pk=agent.pk)
    assert agent.is_superuser
    assert full_numbers in agent.groups.all()
    changes = AuditEvent.objects.get(action=AuditAction.UPDATE, target_id=str(agent.pk)).changes
    assert changes["is_superuser"] == [False, True]
    assert full_numbers.pk in changes["groups"][1]
    assert changes["user_permissions"] == [[], [permission(BEYOND).pk]]


def test_an_admin_role_user_may_give_a_role_it_holds_in_full_and_the_trail_records_it(
    editor_client, editor, agent
):
    held = set(Permission.objects.filter(group__user=editor).values_list("pk", flat=True))
    manager = Group.objects.get(name="manager")
    assert permission_ids(manager) <= held, "the admin role holds every right of the manager role"
    url = admin_url(User, "change", agent.pk)
    data = form_data(editor_client.get(url))
    data["groups"] = [*data["groups"], manager.pk]
    assert editor_client.post(url, data).status_code == 302
    assert set(agent.groups.values_list("name", flat=True)) == {"agent", "manager"}
    event = AuditEvent.objects.get(action=AuditAction.UPDATE, target_id=str(agent.pk))
    assert event.actor == editor
    assert manager.pk in event.changes["groups"][1]


def test_an_admin_role_user_may_remove_rights_its_own_included_and_the_trail_records_it(
    editor_client, editor, supervisor
):
    url = admin_url(User, "change", supervisor.pk)
    data = form_data(editor_client.get(url))
    data["groups"] = []
    assert editor_client.post(url, data).status_code == 302
    assert not supervisor.groups.exists()
    assert (
        AuditEvent.objects.get(action=AuditAction.UPDATE, target_id=str(supervisor.pk)).changes["groups"][1]
        == []
    )
    own_url = admin_url(User, "change", editor.pk)
    data = form_data(editor_client.get(own_url))
    data["groups"] = []
    assert editor_client.post(own_url, data).status_code == 302
    assert not User.objects.get(pk=editor.pk).has_perm("accounts.change_user")


def test_the_add_page_ignores_a_crafted_superuser_flag_and_groups(editor_client, full_numbers):
    response = editor_client.post(
        admin_url(User, "add"),
        {
            "username": "new-technician",
            "usable_password": "true",
            "password1": "a-new-Secret-42",
            "password2": "a-new-Secret-42",
            "is_superuser": "on",
            "is_staff": "on",
            "groups": [full_numbers.pk],
            "user_permissions": [permission(BEYOND).pk],
        },
    )
    assert response.status_code == 302, response.context and response.context["errors"]
    created = User.objects.get(username="new-technician")
    assert (created.is_superuser, created.is_staff) == (False, False)
    assert not created.groups.exists()
    assert not created.user_permissions.exists()
    assert AuditEvent.objects.filter(action=AuditAction.CREATE, target_id=str(created.pk)).exists()
