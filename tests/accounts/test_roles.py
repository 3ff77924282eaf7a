"""Roles are groups kept in step with ROLE_PERMISSIONS after every migrate."""

import pytest
from django.contrib.auth.models import Group, Permission

from kefu.accounts.roles import ROLE_PERMISSIONS, Role, role_label, sync_roles

pytestmark = pytest.mark.django_db


def granted(group: Group) -> set[str]:
    return {
        f"{app}.{codename}"
        for app, codename in group.permissions.values_list("content_type__app_label", "codename")
    }


@pytest.mark.parametrize("role", list(Role))
def test_every_role_group_exists_after_migrate_with_its_permissions(role):
    group = Group.objects.get(name=role)
    assert set(ROLE_PERMISSIONS[role]) <= granted(group)


def test_sync_is_idempotent():
    before = {group.name: granted(group) for group in Group.objects.all()}
    count = Permission.objects.count()
    sync_roles()
    sync_roles()
    assert {group.name: granted(group) for group in Group.objects.all()} == before
    assert Permission.objects.count() == count


def test_sync_puts_back_a_removed_permission_and_keeps_an_extra_one():
    group = Group.objects.get(name=Role.AGENT)
    extra = Permission.objects.get(codename="view_auditevent")
    reveal = Permission.objects.get(codename="reveal_phone")
    group.permissions.remove(reveal)
    group.permissions.add(extra)
    sync_roles()
    assert {"customers.reveal_phone", "core.view_auditevent"} <= granted(group)


def test_an_agent_may_reveal_phones_and_a_technician_may_not(agent, technician):
    assert agent.has_perm("customers.reveal_phone")
    assert not technician.has_perm("customers.reveal_phone")
    assert technician.has_perm("customers.view_customer")


def test_a_user_without_a_role_sees_nothing_of_the_archive(outsider):
    assert not outsider.has_perm("customers.view_customer")


def test_role_codes_and_labels(agent):
    assert agent.role_codes == ["agent"]
    assert role_label("agent") == str(Role.AGENT.label)
    assert role_label("unknown") == "unknown"
