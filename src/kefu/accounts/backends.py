"""Django's ModelBackend, with a user's permissions read in one statement instead of two.

Every API request and page asks `has_perm` at least once, and Django's backend answers the
first question with two queries (the user's own permissions, then their groups'). Here both come
from one statement (accounts.grants.held_permissions, the same rule the admin grants by); the
answer is cached on the user object for the request, as Django does. An API token's lookup
reads the same permissions with the token (accounts.auth) and hands them over with
`remember_permissions`, so that such a request asks nothing more.
"""

from collections.abc import Iterable

from django.contrib.auth.backends import ModelBackend

from kefu.accounts.grants import held_permissions, is_active_superuser


class ModelPermissionBackend(ModelBackend):
    def get_all_permissions(self, user_obj, obj=None):
        if not user_obj.is_active or user_obj.is_anonymous or obj is not None:
            return set()
        if not hasattr(user_obj, "_perm_cache"):
            rows = held_permissions(user_obj).values_list("content_type__app_label", "codename").order_by()
            user_obj._perm_cache = {f"{app_label}.{codename}" for app_label, codename in rows}
        return user_obj._perm_cache


def remember_permissions(user_obj, perms: Iterable[str]) -> None:
    """Cache `perms` (`app_label.codename`, as held_permissions counts them) on the user object
    for this request, as get_all_permissions would. An active superuser holds every permission
    whatever is given: their set stays to be read on demand (has_perm never needs it)."""
    if user_obj.is_active and not is_active_superuser(user_obj):
        user_obj._perm_cache = set(perms)
