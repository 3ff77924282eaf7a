"""The browser's way into the API: the UI's session cookie, with Django's CSRF check on writes.

Bearer tokens are the other way in (kefu.accounts.auth); an API client without a cookie never
meets the CSRF check.
"""

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from ninja.security import APIKeyCookie
from ninja.utils import check_csrf

from kefu.core.api.errors import CsrfFailed

SAFE_METHODS = {"GET", "HEAD", "OPTIONS", "TRACE"}


class SessionAuth(APIKeyCookie):
    """The signed-in user of the session, if any; a write must carry the CSRF token."""

    param_name = settings.SESSION_COOKIE_NAME

    def __init__(self) -> None:
        super().__init__(csrf=True)

    def __call__(self, request: HttpRequest) -> Any:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated or not user.is_active:
            return None
        if request.method not in SAFE_METHODS and check_csrf(request):
            raise CsrfFailed()
        return user

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:  # pragma: no cover
        return self(request)
