"""Django's ModelBackend, with a user's permissions read in one statement instead of two.

Every API request and page asks `has_perm` at least once, and Django's backend answers the
first question with two queries (the user's own permissions, then their groups'). Here both come
from one statement (accounts.grants.held_permissions, the same rule the admin grants by); the
answer is cached on the user object for the request, as Django does.
"""

from django.contrib.auth.backends import ModelBackend

from kefu.accounts.grants import held_permissions


class ModelPermissionBackend(ModelBackend):
    def get_all_permissions(self, user_obj, obj=None):
        if not user_obj.is_active or user_obj.is_anonymous or obj is not None:
            return set()
        if not hasattr(user_obj, "_perm_cache"):
            rows = held_permissions(user_obj).values_list("content_type__app_label", "codename").order_by()
            user_obj._perm_cache = {f"{app_label}.{codename}" for app_label, codename in rows}
        return user_obj._perm_cache
