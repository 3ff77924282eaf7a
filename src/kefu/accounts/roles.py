"""Roles are Django groups whose permissions are kept in step with what each app declares.

The roles themselves are defined here; what a role may do in an app's records is declared by
that app, in its own `permissions.py`, and registered from its AppConfig.ready() with
`declare_grants()` (decision 0018). The group's name is the role's stable code (`agent`);
people read the translated label. `sync_roles()` runs after every migrate, so a permission an
app adds reaches every system on its next deploy. An administrator may grant more to a group;
sync only adds.
"""

from collections.abc import Iterable, Mapping

from django.apps import apps
from django.contrib.auth.management import create_permissions
from django.contrib.auth.models import Group, Permission
from django.core.exceptions import ImproperlyConfigured
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


# app label → {role code: [permissions]}: what each app lets each role do, declared by the app
# itself (its `permissions.py`, registered from its AppConfig.ready()) and collected here.
_GRANTS: dict[str, dict[str, tuple[str, ...]]] = {}


def declare_grants(app_label: str, grants: Mapping[str, Iterable[str]]) -> None:
    """Record what each role may do in `app_label`'s records. Call it from the app's ready().

    Every role must be one of Role's; the permissions are "app_label.codename" and are checked
    against the database by sync_roles(). Declaring the same app twice replaces its grants.
    """
    unknown = set(grants) - set(Role.values)
    if unknown:
        raise ImproperlyConfigured(f"{app_label} grants permissions to unknown roles: {sorted(unknown)}")
    _GRANTS[app_label] = {str(role): tuple(perms) for role, perms in grants.items()}


def role_permissions() -> dict[str, list[str]]:
    """Every role's permissions, as the installed apps declared them (a role no app named has none)."""
    collected: dict[str, list[str]] = {role.value: [] for role in Role}
    for grants in _GRANTS.values():
        for role, perms in grants.items():
            collected[role].extend(perm for perm in perms if perm not in collected[role])
    return collected


@transaction.atomic
def sync_roles() -> None:
    """Create each role's group and grant it the permissions the apps declared. Idempotent."""
    for app_config in apps.get_app_configs():
        create_permissions(app_config, verbosity=0)
    granted = role_permissions()
    wanted = {perm for perms in granted.values() for perm in perms}
    by_name = {
        f"{p.content_type.app_label}.{p.codename}": p
        for p in Permission.objects.select_related("content_type")
        if f"{p.content_type.app_label}.{p.codename}" in wanted
    }
    missing = wanted - by_name.keys()
    if missing:
        raise LookupError(f"unknown permissions in the apps' grants: {sorted(missing)}")
    for role, perms in granted.items():
        group, _created = Group.objects.get_or_create(name=role)
        group.permissions.add(*(by_name[perm] for perm in perms))


def role_label(code: str) -> str:
    try:
        return str(Role(code).label)
    except ValueError:
        return code
