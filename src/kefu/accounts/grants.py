"""Who may grant what: nobody may grant a right they do not hold themselves.

A right is the superuser flag or a permission, held directly or through a group (a role).
An editor may assign only the groups and permissions they hold in full, and may not change an
account that holds anything they lack: taking that account over would be the same escalation.
Removing rights is always allowed. The admin (accounts/admin.py) enforces this with these reads.
"""

from django.contrib.auth.models import Group, Permission
from django.db.models import OuterRef, Q, QuerySet

from kefu.accounts.models import User


def is_active_superuser(user: User) -> bool:
    """Whether `user` holds every right: an inactive superuser holds none."""
    return user.is_active and user.is_superuser


def granted_permissions(user: User | OuterRef) -> QuerySet[Permission]:
    """The permissions given to `user`, their own and their groups', whatever the account's
    flags: the one rule of what a grant and a role give. `user` may be an `OuterRef` naming the
    user in an outer query: the API token's lookup reads this set inside its one statement
    (accounts.auth), and the backend reads it for everyone else (`held_permissions`)."""

    def deeper(ref):
        # Each subquery below is one level further from that outer query.
        return OuterRef(ref) if isinstance(user, OuterRef) else ref

    own = User.user_permissions.through.objects.filter(user=deeper(user)).values("permission_id")
    groups = User.groups.through.objects.filter(user=deeper(deeper(user))).values("group_id")
    through_groups = Group.permissions.through.objects.filter(group__in=groups).values("permission_id")
    return Permission.objects.filter(pk__in=own.union(through_groups))


def held_permissions(user: User) -> QuerySet[Permission]:
    """The permissions `user` holds, as Django's ModelBackend counts them (none when inactive)."""
    if is_active_superuser(user):
        return Permission.objects.all()
    if not user.is_active:
        return Permission.objects.none()
    return granted_permissions(user)


def lacking_permissions(user: User) -> QuerySet[Permission]:
    """The permissions `user` does not hold."""
    return Permission.objects.exclude(pk__in=held_permissions(user).values("pk"))


def grantable_groups(editor: User) -> QuerySet[Group]:
    """The groups whose every permission `editor` holds (a group without permissions included)."""
    if is_active_superuser(editor):
        return Group.objects.all()
    return Group.objects.exclude(permissions__in=lacking_permissions(editor))


def users_beyond(editor: User) -> QuerySet[User]:
    """The users holding a right `editor` lacks: the superuser flag, or a permission of their own
    or of one of their groups. Whether the user is active does not matter: the rights come back
    with the account."""
    if is_active_superuser(editor):
        return User.objects.none()
    lacking = lacking_permissions(editor)
    with_own = User.objects.filter(user_permissions__in=lacking).values("pk")
    with_roles = User.objects.filter(groups__permissions__in=lacking).values("pk")
    return User.objects.filter(Q(is_superuser=True) | Q(pk__in=with_own) | Q(pk__in=with_roles))


def holds_all_rights(editor: User, target: User) -> bool:
    """Whether `editor` holds every right `target` holds, and so may change that account."""
    return is_active_superuser(editor) or not users_beyond(editor).filter(pk=target.pk).exists()
