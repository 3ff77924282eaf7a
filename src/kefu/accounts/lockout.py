"""The login lockout: django-axes' database handler with two additions (ADR 0010).

- A limit per client address across usernames (`LOGIN_ADDRESS_FAILURE_LIMIT`), beside axes' limit
  per username and address (`AXES_FAILURE_LIMIT`): spraying many usernames from one address is
  refused like guessing one username.
- A failure is counted whatever the request carries. Axes copies the query string and the form
  into its record; a body or a query string that cannot be parsed is recorded as empty instead
  of raising before the failure is counted.

Both limits count the same records (`axes.models.AccessAttempt`, one per username, address and
browser). A record's failures count until the cool-off has passed since its last failure, and
attempts refused during a lock are not recorded (`AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT`
is False), so a lock ends a cool-off after the last failure that counted.

The sign-in page's answer to a lock (`lockout_response`, AXES_LOCKOUT_CALLABLE) says which limit
was reached and how many minutes are left, as the API's 429 and Retry-After do.
"""

import datetime
import math

from axes.attempts import get_cool_off_threshold
from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import (
    get_client_parameters,
    get_client_username,
    get_cool_off,
    get_credentials,
    get_failure_limit,
)
from axes.models import AccessAttempt
from axes.signals import user_locked_out
from django.conf import settings
from django.core.exceptions import BadRequest, SuspiciousOperation
from django.db.models import QuerySet, Sum
from django.http import HttpRequest, HttpResponse, QueryDict, RawPostDataException, UnreadablePostError
from django.http.multipartparser import MultiPartParserError
from django.shortcuts import render

# What reading request.GET or request.POST may raise: a malformed multipart body, too many fields
# or too large a body (SuspiciousOperation), a form that is not UTF-8, a client that hung up.
UNREADABLE_INPUT = (
    MultiPartParserError,
    SuspiciousOperation,
    BadRequest,
    UnreadablePostError,
    RawPostDataException,
)


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


def _lock_ends_at(
    attempts: QuerySet[AccessAttempt], limit: int, cool_off: datetime.timedelta
) -> datetime.datetime | None:
    """When these records stop reaching `limit`, or None when they do not reach it now.

    Records drop out oldest first, a cool-off after their last failure; the lock holds while the
    newest records that together reach the limit still count. Each record holds at least one
    failure, so `limit` records are enough to decide.
    """
    total = 0
    newest_first = attempts.order_by("-attempt_time").values_list("attempt_time", "failures_since_start")
    for attempt_time, failures in newest_first[:limit]:
        total += failures
        if total >= limit:
            return attempt_time + cool_off
    return None


def seconds_left(request: HttpRequest, credentials: dict) -> int | None:
    """Whole seconds until the lock on this attempt ends (the later of the two limits' ends), or
    None when the attempt is not locked or the lock does not end by itself (no cool-off)."""
    cool_off = get_cool_off(request)
    if cool_off is None:
        return None
    counted = _counted(request)
    username = get_client_username(request, credentials)
    pair_limit = get_failure_limit(request, credentials)
    ends = [
        _lock_ends_at(counted.filter(**parameters), pair_limit, cool_off)
        for parameters in get_client_parameters(
            username, request.axes_ip_address, request.axes_user_agent, request, credentials
        )
    ]
    ends.append(
        _lock_ends_at(
            counted.filter(ip_address=request.axes_ip_address),
            settings.LOGIN_ADDRESS_FAILURE_LIMIT,
            cool_off,
        )
    )
    end = max((end for end in ends if end is not None), default=None)
    if end is None:
        return None
    return max(1, math.ceil((end - request.axes_attempt_time).total_seconds()))


def lockout_response(
    request: HttpRequest, original_response: HttpResponse | None = None, credentials: dict | None = None
) -> HttpResponse:
    """The sign-in page when a lock refuses the attempt (429): whether the address or the
    username is locked, and the minutes until the lock ends (none when only an administrator
    ends it). Axes' own page would show the cool-off's setting as "PT15M" and always blame the
    account."""
    if credentials is None:
        credentials = get_credentials(get_client_username(request))
    seconds = seconds_left(request, credentials)
    context = {
        "address_locked": is_address_locked(request),
        "minutes_left": None if seconds is None else math.ceil(seconds / 60),
    }
    return render(request, "accounts/locked_out.html", context, status=settings.AXES_HTTP_RESPONSE_CODE)


def _forget_unreadable_input(request: HttpRequest) -> None:
    """Make request.GET and request.POST readable, as empty, when their data cannot be parsed.

    Django itself keeps an empty POST after a multipart body fails to parse, so the rest of the
    request sees what it would have seen after that first error.
    """
    # Reading each one is the test.
    try:
        request.GET  # noqa: B018
    except UNREADABLE_INPUT:
        request.GET = QueryDict()
    try:
        request.POST  # noqa: B018
    except UNREADABLE_INPUT:
        request.POST = QueryDict()


class LockoutHandler(AxesDatabaseHandler):
    """Axes' database handler, with the limit per address and a failure path that cannot raise
    on the request's data (AXES_HANDLER)."""

    def is_locked(self, request: HttpRequest, credentials: dict | None = None) -> bool:
        return super().is_locked(request, credentials) or is_address_locked(request)

    def user_login_failed(
        self, sender: object, credentials: dict, request: HttpRequest | None = None, **kwargs: object
    ) -> None:
        if request is not None:
            _forget_unreadable_input(request)
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
