"""Roles are Django groups with a fixed set of permissions, kept in step with this table.

The group's name is the role's stable code (`agent`); people read the translated label.
`sync_roles()` runs after every migrate, so a permission added here reaches every system
on its next deploy. An administrator may grant more to a group; sync only adds.
"""

from django.apps import apps
from django.contrib.auth.management import create_permissions
from django.contrib.auth.models import Group, Permission
from django.db import models, transaction
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    AGENT = "agent", _("Hotline agent")
    SUPERVISOR = "supervisor", _("Supervisor")
    TECHNICIAN = "technician", _("Technician")
    SALES = "sales", _("Sales rep")
    CENTRE = "centre", _("Service-centre staff")
    MANAGER = "manager", _("Manager / HQ")
    ADMIN = "admin", _("Administrator")


_ARCHIVE_READ = [
    "customers.view_customer",
    "customers.view_ownedproduct",
    "customers.view_lifeevent",
    "customers.view_productcategory",
    "customers.view_productmodel",
]
_ARCHIVE_WRITE = [
    "customers.add_customer",
    "customers.change_customer",
    "customers.add_ownedproduct",
    "customers.change_ownedproduct",
    "customers.add_lifeevent",
    "customers.change_lifeevent",
]
_REVEAL = ["customers.reveal_phone"]
# Merging two records of one customer (decision 0014): a supervisor's call, not every agent's.
_MERGE = ["customers.merge_customer"]
_AUDIT = ["core.view_auditevent"]
_CATALOGUE = [
    "customers.add_productcategory",
    "customers.change_productcategory",
    "customers.add_productmodel",
    "customers.change_productmodel",
    "core.view_businessday",
    "core.add_businessday",
    "core.change_businessday",
]

ROLE_PERMISSIONS: dict[str, list[str]] = {
    Role.AGENT: _ARCHIVE_READ + _ARCHIVE_WRITE + _REVEAL,
    Role.SUPERVISOR: _ARCHIVE_READ + _ARCHIVE_WRITE + _REVEAL + _AUDIT + _MERGE,
    # A technician reads the archive and changes nothing in it; full numbers, and the changes
    # a visit makes (a product's serial, its warranty), come with their own visits (field service).
    Role.TECHNICIAN: _ARCHIVE_READ,
    Role.SALES: _ARCHIVE_READ + _ARCHIVE_WRITE + _REVEAL,
    Role.CENTRE: _ARCHIVE_READ + _ARCHIVE_WRITE + _REVEAL,
    Role.MANAGER: _ARCHIVE_READ + _REVEAL + _AUDIT + _CATALOGUE + _MERGE,
    Role.ADMIN: _ARCHIVE_READ
    + _ARCHIVE_WRITE
    + _REVEAL
    + _AUDIT
    + _CATALOGUE
    + _MERGE
    + ["accounts.view_user", "accounts.add_user", "accounts.change_user", "auth.view_group"],
}


@transaction.atomic
def sync_roles() -> None:
    """Create each role's group and grant it the permissions in ROLE_PERMISSIONS. Idempotent."""
    for app_config in apps.get_app_configs():
        create_permissions(app_config, verbosity=0)
    wanted = {perm for perms in ROLE_PERMISSIONS.values() for perm in perms}
    by_name = {
        f"{p.content_type.app_label}.{p.codename}": p
        for p in Permission.objects.select_related("content_type")
        if f"{p.content_type.app_label}.{p.codename}" in wanted
    }
    missing = wanted - by_name.keys()
    if missing:
        raise LookupError(f"unknown permissions in ROLE_PERMISSIONS: {sorted(missing)}")
    for role, perms in ROLE_PERMISSIONS.items():
        group, _created = Group.objects.get_or_create(name=role)
        group.permissions.add(*(by_name[perm] for perm in perms))


def role_label(code: str) -> str:
    try:
        return str(Role(code).label)
    except ValueError:
        return code
