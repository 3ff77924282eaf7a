"""`Authorization: Bearer <token>` for the REST API: personal tokens, stored as SHA-256 only.

Every API request of an integration starts here, so the token, its user and the user's team are
read in one statement, with the generation token of the permissions (decision 0038). Nothing of
the token is cached between requests: a revoked or expired token or a deactivated user takes
effect on the very next request, and no revocation path has to know about a cache
(docs/decisions/0024). The permissions the user holds (own and through roles) are kept by the
process under the generation token they were read with, which triggers change with every write
to permissions, roles and their members: a changed role also takes effect on the very next
request. They are accounts.grants.granted_permissions, the same definition the backend reads for
a session: one rule, written once, read here as a subquery.
"""

import datetime
from typing import Any

from django.db.models import Aggregate, Func, OuterRef, Subquery, TextField, Value
from django.db.models.expressions import RawSQL
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from ninja.security import HttpBearer

from kefu.accounts.backends import remember_permissions
from kefu.accounts.grants import granted_permissions
from kefu.accounts.models import ApiToken, hash_token
from kefu.core.api import idempotency
from kefu.core.api.errors import NotAuthenticated
from kefu.core.db.statements import Prepared

# last_used_at is a hint for the user ("used 3 minutes ago"), not a log: one write a minute
# at most, so a busy integration does not turn every read into a write.
LAST_USED_PRECISION = datetime.timedelta(minutes=1)
# Between two permissions in the aggregated column (a permission's name never holds one).
PERMISSION_SEPARATOR = "\n"


class JoinedText(Aggregate):
    """A group's texts joined by a separator: STRING_AGG on PostgreSQL, GROUP_CONCAT on SQLite
    (NULL for none)."""

    function = "STRING_AGG"
    output_field = TextField()

    def as_sqlite(self, compiler, connection, **extra):
        return super().as_sql(compiler, connection, function="GROUP_CONCAT", **extra)


class Joined(Func):
    """Texts that are never NULL, joined with ||."""

    template = "%(expressions)s"
    arg_joiner = " || "
    output_field = TextField()


def _held_permissions() -> Subquery:
    """A subquery of the token's row: the permissions its user was given, their own and their
    groups' (accounts.grants.granted_permissions, the rule the backend reads for everyone else),
    as `app_label.codename` joined by PERMISSION_SEPARATOR. The account's flags are the
    backend's to judge: remember_permissions keeps nothing for an inactive user or a superuser."""
    labels = (
        granted_permissions(OuterRef("user_id"))
        .order_by()
        .annotate(label=Joined("content_type__app_label", Value("."), "codename"))
    )
    # One row for the whole set: grouped by a constant, which the SQL leaves out.
    return Subquery(
        labels.annotate(whole=Value(1))
        .values("whole")
        .annotate(held=JoinedText("label", Value(PERMISSION_SEPARATOR)))
        .values("held")
    )


GENERATION_TABLE = "accounts_permissions_generation"
# The users whose permissions a process keeps, at most (then it starts again from none).
KEPT_USERS = 10_000


def _token(slot):
    # Compiled once per process (core.db.statements): building this queryset cost more than its
    # read. The permissions' generation token (migration accounts 0004: triggers change it with
    # every write to what permissions are made of) comes with the token instead of the
    # permissions themselves, whose subquery cost PostgreSQL more to plan and run than the rest of
    # the request's reads together (decision 0038).
    return (
        ApiToken.objects.select_related("user__team")
        .annotate(generation=RawSQL(f"SELECT token FROM {GENERATION_TABLE} WHERE id = 1", ()))
        .filter(digest=slot.text("digest"))
    )


_TOKEN = Prepared(_token)
# A create that sends an Idempotency-Key: the same statement also reads the key's stored answer
# for the token's user (core.api.idempotency), which create_once would read next.
_TOKEN_AND_STORED = Prepared(
    lambda slot: _token(slot).annotate(**idempotency.stored_columns(OuterRef("user_id"), slot.text("key")))
)
_HELD = Prepared(
    lambda slot: ApiToken.objects.annotate(held=_held_permissions()).filter(pk=slot.number("token"))
)
_kept: dict[int, tuple[str, tuple[str, ...]]] = {}


def _permissions(token: ApiToken) -> tuple[str, ...]:
    """The permissions the token's user was given: kept by the process under the generation
    token they were read with, read again (one statement) when it has changed. The generation is
    read in the request's own statement, so a change committed before the request is seen, and
    one made in the same transaction too."""
    kept = _kept.get(token.user_id)
    if kept is not None and kept[0] == token.generation:
        return kept[1]
    found = _HELD.first(token=token.pk)
    held = tuple(found.held.split(PERMISSION_SEPARATOR)) if found is not None and found.held else ()
    if len(_kept) >= KEPT_USERS:
        _kept.clear()
    _kept[token.user_id] = (token.generation, held)
    return held


def forget_permissions() -> None:
    """Drop the permissions this process keeps (tests; never needed for correctness)."""
    _kept.clear()


def _usable_token(raw: str, *, key: str | None = None) -> ApiToken | None:
    """The token, if it is usable and its user active; with `key`, its row also holds that key's
    stored answer for the user (core.api.idempotency.stored_columns)."""
    digest = hash_token(raw)
    token = _TOKEN.first(digest=digest) if key is None else _TOKEN_AND_STORED.first(digest=digest, key=key)
    if token is None or not token.is_usable or not token.user.is_active:
        return None
    remember_permissions(token.user, _permissions(token))
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_PRECISION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token


def user_for_token(raw: str):
    """The active user the token belongs to, or None for an unknown, revoked or expired token.

    One statement: the user comes with their team and the permissions' generation token, so that
    the request's permission checks (has_perm) and a ticket's team read nothing more while the
    process keeps the user's permissions under that token (a second statement when not)."""
    token = _usable_token(raw)
    return token.user if token is not None else None


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
        # A create with an Idempotency-Key: its stored answer is read with the token.
        key = idempotency.request_key(request)
        found = _usable_token(token, key=key)
        if found is None:
            raise NotAuthenticated(_("The token is not valid: unknown, revoked or expired."))
        if key is not None:
            idempotency.keep_stored(request, key, found)
        request.user = found.user
        return found.user
