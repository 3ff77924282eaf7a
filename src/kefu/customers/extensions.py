"""What other apps add to the archive's screens, without the archive knowing them (an app never
edits another app to add itself; docs/architecture.md).

- Parts of the 360° page: a button in its header (`HEADER`), a card beside the products
  (`CARDS`), a button on each product card (`PRODUCT`). Like the start page's panels
  (core.workbench), a part is a template, an order, a predicate on the user (by permission) and
  an optional function that reads what the template shows (`context(request, customer)`).
- Shortcuts of the search box: `register_jump(find)`, where `find(user, text)` returns the
  address of the one record `text` names (a ticket number opens that ticket) or None.
- What follows a change of a customer's own fields: `register_changed(hook)`, where
  `hook(customer, changed_fields)` runs inside customers.services.update_customer's transaction
  after the save (the promises recompute the due times of the customer's open tickets when the
  tier changes).

Apps register from their AppConfig.ready(); nothing registers at import time.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest

HEADER = "header"
CARDS = "cards"
PRODUCT = "product"
SLOTS = (HEADER, CARDS, PRODUCT)


@dataclass(frozen=True)
class Part:
    """One app's piece of the 360° page. `key` is app-qualified ("tickets.new_ticket") and unique.

    The template is included with the page's context plus `data`, what `context` returned
    (a PRODUCT part is included once per product card, with `product` set).
    """

    key: str
    slot: str
    template: str
    order: int
    shows_for: Callable[[Any], bool]
    context: Callable[[HttpRequest, Any], Mapping[str, Any]] | None = None


@dataclass(frozen=True)
class ShownPart:
    template: str
    data: Mapping[str, Any]


_PARTS: dict[str, Part] = {}
_JUMPS: dict[str, Callable[[Any, str], str | None]] = {}


def register_part(part: Part) -> None:
    """Add `part` to the 360° page; registering the same key again replaces it (idempotent)."""
    if part.slot not in SLOTS:
        raise ValueError(f"unknown slot {part.slot!r} for {part.key}")
    _PARTS[part.key] = part


def parts_for(request: HttpRequest, customer) -> dict[str, list[ShownPart]]:
    """The parts of the 360° page the request's user may see, by slot, each with its data."""
    shown: dict[str, list[ShownPart]] = {slot: [] for slot in SLOTS}
    for part in sorted(_PARTS.values(), key=lambda part: (part.order, part.key)):
        if part.shows_for(request.user):
            data = part.context(request, customer) if part.context else {}
            shown[part.slot].append(ShownPart(part.template, data))
    return shown


def register_jump(key: str, find: Callable[[Any, str], str | None]) -> None:
    """A shortcut of the search box: `find(user, text)` gives the address of the record `text`
    names, or None to search customers as usual. It must not query when `text` cannot be one."""
    _JUMPS[key] = find


def jump_for(user, text: str) -> str | None:
    """Where the search box should go straight away for `text`, if a shortcut knows."""
    for find in _JUMPS.values():
        target = find(user, text)
        if target:
            return target
    return None


_CHANGED: list[Callable[[Any, frozenset[str]], None]] = []


def register_changed(hook: Callable[[Any, frozenset[str]], None]) -> None:
    """Run `hook(customer, changed_fields)` after a customer's own fields changed. Registering the
    same function again does nothing (ready() may run twice in tests)."""
    if hook not in _CHANGED:
        _CHANGED.append(hook)


def customer_changed(customer, changed_fields) -> None:
    """Called by customers.services.update_customer, in its transaction, after the save."""
    fields = frozenset(changed_fields)
    if fields:
        for hook in _CHANGED:
            hook(customer, fields)
