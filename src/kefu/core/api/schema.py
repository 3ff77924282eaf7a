"""Building blocks of the API's schemas. Inputs: every limit the server enforces is declared in the schema,
so that clients (and the fuzzer) learn it from the OpenAPI document rather than by failing.

    class CustomerIn(StrictSchema):
        name: str = Field(max_length=max_length(Customer, "name"))
        notes: str = Field("", max_length=TEXT_MAX)
        phones: list[Phone] = Field(default_factory=list, max_length=MAX_PHONES)
        purchase_date: InputDate

A guard test walks the schema and fails on an input string without maxLength, a list without
maxItems or an integer without bounds.

Every list answers one shape, `Page[T]` (API.md "Lists"); an operation's output names its own
subclass, so the OpenAPI document keeps a readable name for it:

    class ProductList(Page[ProductOut]):
        pass
"""

import datetime
from typing import Annotated, Generic, TypeVar

from django.db import models
from ninja import Schema
from pydantic import AfterValidator, Field, WithJsonSchema
from pydantic_core import PydanticCustomError

from kefu.core.api.parser import MAX_INTEGER
from kefu.core.validation import TEXT_MAX

__all__ = [
    "TEXT_MAX",
    "InputDate",
    "InputDateTime",
    "Page",
    "RecordId",
    "StrictSchema",
    "Version",
    "max_length",
]

# Dates and times people enter: anything outside is a typing slip, and year 1 or 9999 would
# overflow the conversions between time zones.
EARLIEST = datetime.date(1900, 1, 1)
LATEST = datetime.date(2199, 12, 31)


class StrictSchema(Schema):
    """An input: a field the API does not know is an error, not silently dropped."""

    model_config = {"extra": "forbid"}


T = TypeVar("T")


class Page(Schema, Generic[T]):
    """One page of a list: its items, and the cursor that asks for the next page (null on the
    last). Keyset pagination (core.pagination): stable under inserts, the same cost on any page."""

    items: list[T]
    next_cursor: str | None


def max_length(model: type[models.Model], field: str) -> int:
    """The column's length, so that the schema and the database agree."""
    length = model._meta.get_field(field).max_length
    if length is None:
        raise ValueError(f"{model.__name__}.{field} has no max_length")
    return length


def _date_in_range(value: datetime.date) -> datetime.date:
    day = value.date() if isinstance(value, datetime.datetime) else value
    if not EARLIEST <= day <= LATEST:
        raise PydanticCustomError(
            "date_range",
            "Enter a date between {earliest} and {latest}.",
            {"earliest": EARLIEST.isoformat(), "latest": LATEST.isoformat()},
        )
    return value


_RANGE = f"Between {EARLIEST.isoformat()} and {LATEST.isoformat()}."
# The same range, for clients that read the schema: years 1900 to 2199.
_YEARS = r"^(19|2[01])[0-9]{2}-"
InputDate = Annotated[
    datetime.date,
    AfterValidator(_date_in_range),
    WithJsonSchema({"type": "string", "format": "date", "pattern": _YEARS, "description": _RANGE}),
]
InputDateTime = Annotated[
    datetime.datetime,
    AfterValidator(_date_in_range),
    WithJsonSchema({"type": "string", "format": "date-time", "pattern": _YEARS, "description": _RANGE}),
]

# A reference to another record by id, in a body: a positive 64-bit integer.
RecordId = Annotated[int, Field(ge=1, le=MAX_INTEGER)]
# A record's version, as read from it.
Version = Annotated[int, Field(ge=1, le=2**31 - 1)]
