"""Domain errors that services raise and that the API and views turn into 4xx answers.

Field-level problems use Django's own ValidationError (a dict of field → messages), which
forms show beside the field and the API returns under "fields". The classes here are for
what is not about one field's value.
"""

from collections.abc import Iterable, Mapping
from typing import Any

from django.utils.translation import gettext_lazy as _


class DomainError(Exception):
    """A refusal the user can act on. `status` is the HTTP status the API answers with."""

    status = 422
    code = "rule_broken"
    default_message = _("The request breaks a business rule.")

    def __init__(self, message=None, **extra):
        self.message = message or self.default_message
        self.extra = extra
        super().__init__(str(self.message))


class InvalidRequest(DomainError):
    """A request that is malformed rather than against a rule: a cursor the server did not
    issue, a NUL byte in a text, a missing version, a bad header. `fields` names each culprit."""

    status = 400
    code = "invalid"
    default_message = _("The request is not valid.")

    def __init__(self, fields: Mapping[str, Iterable[Any]] | None = None, message=None):
        super().__init__(message)
        self.fields = {name: [str(m) for m in messages] for name, messages in (fields or {}).items()}


class NotFound(DomainError):
    status = 404
    code = "not_found"
    default_message = _("Not found.")


class PermissionDenied(DomainError):
    status = 403
    code = "forbidden"
    default_message = _("You do not have permission to do this.")


class TooManyRequests(DomainError):
    """A limit on how often something may be done was reached: wait `retry_after` seconds
    (HTTP 429 with a Retry-After header)."""

    status = 429
    code = "throttled"
    default_message = _("Too many requests. Try again later.")

    def __init__(self, message=None, *, retry_after: int):
        super().__init__(message)
        self.retry_after = max(int(retry_after), 1)


class Conflict(DomainError):
    status = 409
    code = "conflict"
    default_message = _("The record's state does not allow this.")


class StaleVersion(Conflict):
    """The client edited an older version than the one stored; `current_version` tells it."""

    code = "stale_version"
    default_message = _(
        "Someone else changed this record after you opened it. Reload it and apply your change again."
    )

    def __init__(self, current_version: int):
        super().__init__(current_version=current_version)
        self.current_version = current_version
