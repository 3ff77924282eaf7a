"""Keyset pagination: a page continues after the last row shown, not at an offset.

It stays fast on the millionth page and stable while rows are inserted (API.md "Lists").
The cursor is an opaque, URL-safe token holding the sort values of the last row.
"""

import base64
import binascii
import datetime
import json
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

T = TypeVar("T")
DEFAULT_LIMIT = 50
MAX_LIMIT = 200


@dataclass
class Page(Generic[T]):
    items: list[T]
    next_cursor: str | None


def _encode(values: list[Any]) -> str:
    def plain(value):
        if isinstance(value, datetime.datetime | datetime.date):
            return value.isoformat()
        return value

    raw = json.dumps([plain(value) for value in values], separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _decode(cursor: str, fields: list[models.Field]) -> list[Any]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        values = json.loads(raw)
        if not isinstance(values, list) or len(values) != len(fields):
            raise ValueError
        return [field.to_python(value) for field, value in zip(fields, values, strict=True)]
    except (ValueError, binascii.Error, ValidationError, UnicodeDecodeError):
        raise ValidationError(
            {"cursor": [_("The cursor is not valid; start again from the first page.")]}
        ) from None


def decode_cursor(cursor: str, model: type[models.Model], order: tuple[str, ...]) -> list[Any]:
    """The sort values a cursor holds, for a query that must apply them itself (a subquery)."""
    return _decode(cursor, [model._meta.get_field(name.lstrip("-")) for name in order])


def clamp_limit(limit: int | None) -> int:
    if limit is None:
        return DEFAULT_LIMIT
    if not 1 <= limit <= MAX_LIMIT:
        raise ValidationError({"limit": [_("Ask for 1 to %(max)d items.") % {"max": MAX_LIMIT}]})
    return limit


def keyset_page(
    queryset: models.QuerySet, *, order: tuple[str, ...], cursor: str | None, limit: int | None
) -> Page:
    """One page of `queryset` sorted by `order` (all ascending or all descending, ending in a
    unique field such as id), starting after `cursor`.

    Reads limit + 1 rows to know whether another page exists; no COUNT is made.
    """
    limit = clamp_limit(limit)
    descending = order[0].startswith("-")
    if any(name.startswith("-") != descending for name in order):
        raise ValueError("keyset_page needs every order field in the same direction")
    names = [name.lstrip("-") for name in order]
    fields = [queryset.model._meta.get_field(name) for name in names]
    queryset = queryset.order_by(*order)
    if cursor:
        values = _decode(cursor, fields)
        after = Q()
        op = "lt" if descending else "gt"
        # (a, b, c) after (x, y, z)  ⇔  a>x ∨ (a=x ∧ b>y) ∨ (a=x ∧ b=y ∧ c>z)
        for index, name in enumerate(names):
            equal = {names[i]: values[i] for i in range(index)}
            after |= Q(**equal, **{f"{name}__{op}": values[index]})
        queryset = queryset.filter(after)
    rows = list(queryset[: limit + 1])
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        last = rows[-1]
        next_cursor = _encode([getattr(last, field.attname) for field in fields])
    return Page(items=rows, next_cursor=next_cursor)
