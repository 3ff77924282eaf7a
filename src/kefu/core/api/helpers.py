"""Small pieces every router uses: permission checks, versions, PATCH bodies, times, lists."""

import datetime
import re
from collections.abc import Iterable
from typing import Annotated

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from ninja import Header, Path, Query, Schema
from pydantic import AfterValidator, PlainSerializer, WithJsonSchema

from kefu.core.api.parser import MAX_INTEGER
from kefu.core.errors import InvalidRequest, PermissionDenied
from kefu.core.pagination import MAX_CURSOR_LENGTH, MAX_LIMIT


def _local(value: datetime.datetime, zone: datetime.tzinfo | None = None) -> datetime.datetime:
    return timezone.localtime(value, zone) if timezone.is_aware(value) else value


def _text(value: datetime.datetime) -> str:
    return value.isoformat(timespec="seconds")


def local_time_text(value: datetime.datetime, zone: datetime.tzinfo | None = None) -> str:
    """A time as LocalDateTime puts it in an answer, for an answer built without its schema
    (`zone`: the current time zone, when the caller has already read it)."""
    return _text(_local(value, zone))


# Times go out in ISO 8601 with the local offset, to the second: 2026-03-09T10:00:00+08:00 (API.md).
# One serializer for every path, so a replayed answer is byte for byte the first one.
LocalDateTime = Annotated[
    datetime.datetime,
    AfterValidator(_local),
    PlainSerializer(_text, return_type=str),
    WithJsonSchema({"type": "string", "format": "date-time", "example": "2026-03-09T10:00:00+08:00"}),
]

CURSOR_DESCRIPTION = "The `next_cursor` of the previous page; omit for the first page."
LIMIT_DESCRIPTION = "Items per page, 1 to 200 (default 50)."
# The query parameters of every list (API.md "Lists"), with the bounds the server enforces.
Cursor = Annotated[str | None, Query(max_length=MAX_CURSOR_LENGTH, description=CURSOR_DESCRIPTION)]
Limit = Annotated[int | None, Query(ge=1, le=MAX_LIMIT, description=LIMIT_DESCRIPTION)]
# A record's id in a path: a positive 64-bit integer (anything larger is no id, never a 500).
Id = Annotated[int, Path(ge=1, le=MAX_INTEGER)]
IfMatch = Annotated[
    str | None,
    Header(alias="If-Match", max_length=40, description="The version you edited, if not in the body."),
]


def require(user, *perms: str) -> None:
    """PermissionDenied (403) unless `user` holds every one of `perms`."""
    if not all(user.has_perm(perm) for perm in perms):
        raise PermissionDenied()


_IF_MATCH = re.compile(r'^\s*(?:W/)?"?(\d+)"?\s*$')


def expected_version(body_version: int | None, if_match: str | None) -> int:
    """The version the client edited: `version` in the body, else the If-Match header.

    An update must name it, so no edit silently overwrites another (API.md "Updates").
    """
    if body_version is not None:
        return body_version
    if if_match:
        match = _IF_MATCH.match(if_match)
        if match:
            return int(match.group(1))
        raise InvalidRequest({"If-Match": [_('Send the version number, for example If-Match: "3".')]})
    raise InvalidRequest(
        {"version": [_("Send the version you edited, in the body or as an If-Match header.")]}
    )


def changes_from(payload: Schema, *, nullable: Iterable[str] = (), rename: dict[str, str] | None = None):
    """The fields a PATCH body names (not the ones it leaves out), as the service calls them.

    Null is refused for a field that cannot be empty; `rename` maps API names to model names.
    """
    given = payload.model_dump(exclude_unset=True, exclude={"version"})
    nulls = {name for name, value in given.items() if value is None and name not in set(nullable)}
    if nulls:
        raise ValidationError({name: [_("This field cannot be null.")] for name in sorted(nulls)})
    rename = rename or {}
    return {rename.get(name, name): value for name, value in given.items()}
