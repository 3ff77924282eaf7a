"""Roles are groups kept in step, after every migrate, with what each app grants them."""

import pytest
from django.contrib.auth.models import Group, Permission
from django.core.exceptions import ImproperlyConfigured

from kefu.accounts import roles
from kefu.accounts.roles import Role, declare_grants, role_label, role_permissions, sync_roles

ROLE_PERMISSIONS = role_permissions()

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


def test_each_app_declares_its_own_grants_and_accounts_collects_them():
    from kefu.customers.permissions import ROLE_GRANTS
    from kefu.tickets.permissions import ROLE_GRANTS as TICKET_GRANTS

    assert set(roles._GRANTS) >= {"accounts", "customers", "tickets"}
    assert set(ROLE_GRANTS[Role.TECHNICIAN]) <= set(ROLE_PERMISSIONS[Role.TECHNICIAN])
    assert "core.view_auditevent" in ROLE_PERMISSIONS[Role.SUPERVISOR]  # granted by accounts for core
    # A technician's rights are the two apps' declarations and nothing else.
    declared = set(ROLE_GRANTS[Role.TECHNICIAN]) | set(TICKET_GRANTS.get(Role.TECHNICIAN, []))
    assert set(ROLE_PERMISSIONS[Role.TECHNICIAN]) == declared


def test_a_new_apps_grants_reach_the_roles_on_the_next_sync(monkeypatch):
    monkeypatch.setattr(roles, "_GRANTS", dict(roles._GRANTS))
    technician = Group.objects.get(name=Role.TECHNICIAN)
    assert "core.view_auditevent" not in granted(technician)

    declare_grants("tickets", {Role.TECHNICIAN: ["core.view_auditevent"]})
    sync_roles()

    assert "core.view_auditevent" in granted(technician)


def test_grants_to_an_unknown_role_or_of_an_unknown_permission_are_refused(monkeypatch):
    monkeypatch.setattr(roles, "_GRANTS", dict(roles._GRANTS))
    with pytest.raises(ImproperlyConfigured, match="janitor"):
        declare_grants("warehouse", {"janitor": ["core.view_auditevent"]})
    declare_grants("warehouse", {Role.AGENT: ["warehouse.view_pallet"]})
    before = granted(Group.objects.get(name=Role.AGENT))
    with pytest.raises(LookupError, match=r"warehouse\.view_pallet"):
        sync_roles()
    assert granted(Group.objects.get(name=Role.AGENT)) == before


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


def test_a_technician_reads_the_archive_and_changes_nothing_in_it(technician):
    archive = {perm for perm in technician.get_all_permissions() if perm.startswith("customers.")}

    assert archive
    assert all(perm.split(".")[1].startswith("view_") for perm in archive)


def test_the_migration_takes_back_what_earlier_versions_gave_technicians():
    from importlib import import_module

    from django.apps import apps

    migration = import_module("kefu.accounts.migrations.0002_technicians_read_the_archive_only")
    group = Group.objects.get(name=Role.TECHNICIAN)
    group.permissions.add(Permission.objects.get(codename="change_ownedproduct"))

    migration.take_back(apps, None)

    assert "customers.change_ownedproduct" not in granted(group)


# Each row of the table in docs/user-guide.md, and the permissions it stands for.
GUIDE_ROWS = {
    "Find customers and read the archive": ["customers.view_customer", "customers.view_ownedproduct"],
    "Open and change customer records": [
        "customers.add_customer",
        "customers.change_customer",
        "customers.add_ownedproduct",
        "customers.change_ownedproduct",
        "customers.add_lifeevent",
    ],
    "Reveal a customer's full phone numbers": ["customers.reveal_phone"],
    "Look up customers by a whole phone number as often as needed": ["customers.reveal_phone"],
    "Merge two records of the same customer": ["customers.merge_customer"],
    "Read the audit trail": ["core.view_auditevent"],
    "Change the product catalogue and the business calendar": [
        "customers.add_productmodel",
        "core.add_businessday",
    ],
    "Manage staff accounts and give roles": ["accounts.change_user"],
}


def test_the_user_guide_says_what_each_role_may_do():
    from pathlib import Path

    from django.conf import settings

    guide = (Path(settings.REPO_DIR) / "docs" / "user-guide.md").read_text()
    header = next(line for line in guide.splitlines() if line.startswith("| | agent"))
    roles = [cell.strip() for cell in header.strip("|").split("|")][1:]
    assert roles == [role.value for role in Role]
    for label, perms in GUIDE_ROWS.items():
        row = next(line for line in guide.splitlines() if line.startswith(f"| {label}"))
        marks = [cell.strip() for cell in row.strip("|").split("|")][1:]
        expected = ["✓" if set(perms) <= set(ROLE_PERMISSIONS[role]) else "–" for role in roles]
        assert marks == expected, label
