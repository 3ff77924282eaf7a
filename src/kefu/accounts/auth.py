"""`Authorization: Bearer <token>` for the REST API: personal tokens, stored as SHA-256 only."""

import datetime
from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from ninja.security import HttpBearer

from kefu.accounts.models import ApiToken, hash_token
from kefu.core.api.errors import NotAuthenticated

# last_used_at is a hint for the user ("used 3 minutes ago"), not a log: one write a minute
# at most, so a busy integration does not turn every read into a write.
LAST_USED_PRECISION = datetime.timedelta(minutes=1)


def user_for_token(raw: str):
    """The active user the token belongs to, or None for an unknown, revoked or expired token."""
    token = ApiToken.objects.select_related("user").filter(digest=hash_token(raw)).first()
    if token is None or not token.is_usable or not token.user.is_active:
        return None
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_PRECISION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user


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
