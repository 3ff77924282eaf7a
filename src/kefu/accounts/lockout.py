"""The login lockout: django-axes' database handler with a limit per client address (ADR 0010).

Beside axes' limit per username and address (`AXES_FAILURE_LIMIT`), a limit per address across
usernames (`LOGIN_ADDRESS_FAILURE_LIMIT`) refuses spraying many usernames from one address like
guessing one username.

Both limits count the same records (`axes.models.AccessAttempt`, one per username, address and
browser). A record's failures count until the cool-off has passed since its last failure, and
attempts refused during a lock are not recorded (`AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT`
is False), so a lock ends a cool-off after the last failure that counted.
"""

from axes.attempts import get_cool_off_threshold
from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_username
from axes.models import AccessAttempt
from axes.signals import user_locked_out
from django.conf import settings
from django.db.models import QuerySet, Sum
from django.http import HttpRequest


def _counted(request: HttpRequest) -> QuerySet[AccessAttempt]:
    """The records whose failures still count at the time of this attempt."""
    return AccessAttempt.objects.filter(attempt_time__gte=get_cool_off_threshold(request))


def address_failures(request: HttpRequest) -> int:
    """Failures that still count from the request's client address, for any usernames."""
    total = (
        _counted(request)
        .filter(ip_address=request.axes_ip_address)
        .aggregate(total=Sum("failures_since_start"))["total"]
    )
    return total or 0


def is_address_locked(request: HttpRequest) -> bool:
    """Whether the client address has reached its limit, whichever username it tries."""
    if not settings.AXES_LOCK_OUT_AT_FAILURE:
        return False
    return address_failures(request) >= settings.LOGIN_ADDRESS_FAILURE_LIMIT


class LockoutHandler(AxesDatabaseHandler):
    """Axes' database handler, with the limit per address (AXES_HANDLER)."""

    def is_locked(self, request: HttpRequest, credentials: dict | None = None) -> bool:
        return super().is_locked(request, credentials) or is_address_locked(request)

    def user_login_failed(
        self, sender: object, credentials: dict, request: HttpRequest | None = None, **kwargs: object
    ) -> None:
        super().user_login_failed(sender, credentials, request, **kwargs)
        if request is None or request.axes_locked_out or self.is_whitelisted(request, credentials):
            return
        if is_address_locked(request):
            # The failure just recorded brought the address to its limit.
            request.axes_locked_out = True
            request.axes_credentials = credentials
            user_locked_out.send(
                "axes",
                request=request,
                username=get_client_username(request, credentials),
                ip_address=request.axes_ip_address,
            )
