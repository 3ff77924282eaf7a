"""Keyset pagination: a page continues after the last row shown, not at an offset.

It stays fast on the millionth page and stable while rows are inserted (API.md "Lists").
The cursor is an opaque, URL-safe token holding the sort values of the last row, signed with
the secret key: a cursor the server did not issue is refused (HTTP 400) before any query.
"""

import datetime
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from django.core import signing
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from kefu.core.errors import InvalidRequest

T = TypeVar("T")
DEFAULT_LIMIT = 50
MAX_LIMIT = 200
# Longer than any cursor the server gives out (a few sort values and a signature).
MAX_CURSOR_LENGTH = 500


@dataclass
class Page(Generic[T]):
    items: list[T]
    next_cursor: str | None


def _signer(model: type[models.Model], order: tuple[str, ...]) -> signing.Signer:
    """A signer per list shape: a cursor of one list is no cursor of another.

    "." separates the payload from the signature; it is not in URL-safe base64, so a cursor
    needs no escaping in a URL.
    """
    return signing.Signer(salt=f"kefu.cursor:{model._meta.label}:{','.join(order)}", sep=".")


def invalid_cursor() -> InvalidRequest:
    return InvalidRequest({"cursor": [_("The cursor is not valid; start again from the first page.")]})


def encode_cursor(values: list[Any], model: type[models.Model], order: tuple[str, ...]) -> str:
    def plain(value):
        if isinstance(value, datetime.datetime | datetime.date):
            return value.isoformat()
        return value

    return _signer(model, order).sign_object([plain(value) for value in values])


def decode_cursor(cursor: str, model: type[models.Model], order: tuple[str, ...]) -> list[Any]:
    """The sort values a cursor holds, if this server issued it for this list; InvalidRequest
    (HTTP 400) for anything else, before any query is made."""
    fields = [model._meta.get_field(name.lstrip("-")) for name in order]
    if len(cursor) > MAX_CURSOR_LENGTH:
        raise invalid_cursor()
    try:
        values = _signer(model, order).unsign_object(cursor)
    except (signing.BadSignature, ValueError, UnicodeError):
        raise invalid_cursor() from None
    if not isinstance(values, list) or len(values) != len(fields):
        raise invalid_cursor()
    try:
        return [field.to_python(value) for field, value in zip(fields, values, strict=True)]
    except (ValidationError, ValueError, TypeError):
        raise invalid_cursor() from None


def clamp_limit(limit: int | None) -> int:
    if limit is None:
        return DEFAULT_LIMIT
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidRequest({"limit": [_("Ask for 1 to %(max)d items.") % {"max": MAX_LIMIT}]})
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
        values = decode_cursor(cursor, queryset.model, order)
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
        next_cursor = encode_cursor([getattr(last, field.attname) for field in fields], queryset.model, order)
    return Page(items=rows, next_cursor=next_cursor)
