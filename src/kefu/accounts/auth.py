"""`Authorization: Bearer <token>` for the REST API: personal tokens, stored as SHA-256 only.

Every API request of an integration starts here, so the token, its user, the user's team and
the permissions the user holds (own and through roles) are read in one statement. Nothing of it
is cached between requests: a revoked or expired token, a deactivated user or a changed role
takes effect on the very next request, and no revocation path has to know about a cache
(docs/decisions/0024: a cache keyed by the token's hash would save this one statement, about a
millisecond, at the price of a window in which a revoked token still works).
"""

import datetime
import functools
from typing import Any

from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.models.expressions import RawSQL
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from ninja.security import HttpBearer

from kefu.accounts.backends import remember_permissions
from kefu.accounts.models import ApiToken, User, hash_token
from kefu.core.api.errors import NotAuthenticated
from kefu.core.db.statements import Prepared

# last_used_at is a hint for the user ("used 3 minutes ago"), not a log: one write a minute
# at most, so a busy integration does not turn every read into a write.
LAST_USED_PRECISION = datetime.timedelta(minutes=1)
# Between two permissions in the aggregated column (a permission's name never holds one).
PERMISSION_SEPARATOR = "\n"


@functools.cache
def _held_permissions_sql(vendor: str) -> str:
    """A subquery of the token's row: the permissions its user holds, their own and their
    groups', as `app_label.codename` joined by PERMISSION_SEPARATOR (NULL for none) — the
    rule of accounts.grants.held_permissions, which the backend uses for everyone else."""
    quote = connection.ops.quote_name
    own = User.user_permissions.field
    groups = User.groups.field
    granted = Group.permissions.field
    aggregate = "GROUP_CONCAT" if vendor == "sqlite" else "STRING_AGG"
    return (
        f"SELECT {aggregate}(ct.app_label || '.' || p.codename, %s) "
        f"FROM {quote(Permission._meta.db_table)} p "
        f"JOIN {quote(ContentType._meta.db_table)} ct ON ct.id = p.content_type_id "
        f"WHERE p.id IN ("
        f"SELECT {quote(own.m2m_reverse_name())} FROM {quote(own.m2m_db_table())} "
        f"WHERE {quote(own.m2m_column_name())} = {quote(ApiToken._meta.db_table)}.user_id "
        f"UNION SELECT gp.{quote(granted.m2m_reverse_name())} "
        f"FROM {quote(granted.m2m_db_table())} gp "
        f"JOIN {quote(groups.m2m_db_table())} ug ON ug.{quote(groups.m2m_reverse_name())} "
        f"= gp.{quote(granted.m2m_column_name())} "
        f"WHERE ug.{quote(groups.m2m_column_name())} = {quote(ApiToken._meta.db_table)}.user_id)"
    )


# Compiled once per process (core.db.statements): building this queryset cost more than its read.
_TOKEN = Prepared(
    lambda slot: (
        ApiToken.objects.select_related("user__team")
        .annotate(held=RawSQL(_held_permissions_sql(connection.vendor), (PERMISSION_SEPARATOR,)))
        .filter(digest=slot.text("digest"))
    )
)


def user_for_token(raw: str):
    """The active user the token belongs to, or None for an unknown, revoked or expired token.

    One statement: the user comes with their team and their permissions, so that the request's
    permission checks (has_perm) and a ticket's team read nothing more."""
    token = _TOKEN.first(digest=hash_token(raw))
    if token is None or not token.is_usable or not token.user.is_active:
        return None
    user = token.user
    remember_permissions(user, token.held.split(PERMISSION_SEPARATOR) if token.held else ())
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_PRECISION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return user


class TokenAuth(HttpBearer):
    """A request that names a token is judged by that token alone: a bad one is a 401, even
    when the same client also sends a session cookie."""

    def __call__(self, request: HttpRequest) -> Any:
        header = request.headers.get("Authorization")
        if not header:
            return None
        scheme, _space, raw = header.partition(" ")
        if scheme.lower() != "bearer" or not raw.strip():
            raise NotAuthenticated(_("Send the token as “Authorization: Bearer <token>”."))
        return self.authenticate(request, raw.strip())

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        user = user_for_token(token)
        if user is None:
            raise NotAuthenticated(_("The token is not valid: unknown, revoked or expired."))
        request.user = user
        return user
