"""Collecting field errors, so that one refusal names every bad field at once.

Services check all their input, gather the problems here, and raise one Django ValidationError
({field: [messages]}) before writing anything; forms show it beside the fields, the API under
"fields".
"""

from collections.abc import Callable
from typing import Any, TypeVar

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

T = TypeVar("T")

# A free text (notes, a description of a fault): long enough for what people write, bounded.
TEXT_MAX = 5000


class FieldErrors:
    def __init__(self) -> None:
        self.by_field: dict[str, list] = {}

    def add(self, field: str, message) -> None:
        self.by_field.setdefault(field, []).append(message)

    def check(self, field: str, fn: Callable[..., T], *args: Any) -> T | None:
        """Run a validator; keep its errors under `field` and return its result (None on error)."""
        try:
            return fn(*args)
        except ValidationError as error:
            for message in error.messages:
                self.add(field, message)
            return None

    def choice(self, field: str, value, choices: type[models.Choices]) -> None:
        """`value` must be one of the stable codes of `choices`."""
        if value not in choices.values:
            self.add(field, _("“%(value)s” is not one of the allowed values.") % {"value": value})

    def length(self, field: str, value: str, limit: int) -> None:
        """`value` must fit its column (or TEXT_MAX for a free text)."""
        if len(value) > limit:
            self.add(field, _("Enter at most %(limit)d characters.") % {"limit": limit})

    def raise_if_any(self) -> None:
        if self.by_field:
            raise ValidationError(self.by_field)
