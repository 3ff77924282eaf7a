"""What later apps add to the ticket screens, without tickets knowing them (an app never edits
another app to add itself; docs/architecture.md). Like customers.extensions for the 360° page.

- Parts of a ticket's page: the header (`HEAD`, under the facts: promise clocks) and the side
  column (`SIDE`, under the customer's card: the complaint's records). A part is a
  template, an order, a predicate on the user (by permission) and an optional function
  `context(request, ticket)` that reads what the template shows (None: the part shows nothing).
- Cells of a queue's rows: one column per cell, `cells(user, tickets)` returns the HTML of each
  ticket's cell by ticket id, for a whole page at once (one query a page, never one a row).
- Parts of the customer's link (`/t/<token>/`): `context(ticket)` for the template, or None.

Apps register from their AppConfig.ready(); nothing registers at import time.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest

HEAD = "head"
# The side column, under the customer's card (complaints: the complaint's form and records).
SIDE = "side"
SLOTS = (HEAD, SIDE)


@dataclass(frozen=True)
class Part:
    """One app's piece of a ticket's page; `key` is app-qualified ("promises.clocks") and unique."""

    key: str
    slot: str
    template: str
    order: int
    shows_for: Callable[[Any], bool]
    context: Callable[[HttpRequest, Any], Mapping[str, Any] | None] | None = None


@dataclass(frozen=True)
class ShownPart:
    template: str
    data: Mapping[str, Any]


@dataclass(frozen=True)
class RowCell:
    """A column of the queues: its header, and the cells of a page of tickets by ticket id
    (safe HTML; a ticket missing from the answer gets an empty cell)."""

    key: str
    label: Any
    order: int
    shows_for: Callable[[Any], bool]
    cells: Callable[[Any, list], Mapping[int, str]]


@dataclass(frozen=True)
class PortalPart:
    key: str
    template: str
    order: int
    context: Callable[[Any], Mapping[str, Any] | None]


_PARTS: dict[str, Part] = {}
_CELLS: dict[str, RowCell] = {}
_PORTAL: dict[str, PortalPart] = {}


def register_part(part: Part) -> None:
    """Add `part` to the ticket's page; the same key again replaces it (idempotent)."""
    if part.slot not in SLOTS:
        raise ValueError(f"unknown slot {part.slot!r} for {part.key}")
    _PARTS[part.key] = part


def register_row_cell(cell: RowCell) -> None:
    _CELLS[cell.key] = cell


def register_portal_part(part: PortalPart) -> None:
    _PORTAL[part.key] = part


def parts_for(request: HttpRequest, ticket) -> dict[str, list[ShownPart]]:
    """The parts of the ticket's page the request's user may see, by slot, each with its data."""
    shown: dict[str, list[ShownPart]] = {slot: [] for slot in SLOTS}
    for part in sorted(_PARTS.values(), key=lambda part: (part.order, part.key)):
        if part.shows_for(request.user):
            data = part.context(request, ticket) if part.context else {}
            if data is not None:
                shown[part.slot].append(ShownPart(part.template, data))
    return shown


def row_cells(user, rows: list) -> list:
    """The extra columns' headers for `user`; sets each queue row's `extra_cells` (their HTML,
    in order). `rows`: the queue page's rows (views.Row, keyed by name, with the ticket's `id`)."""
    cells = sorted((c for c in _CELLS.values() if c.shows_for(user)), key=lambda c: (c.order, c.key))
    answers = [cell.cells(user, rows) if rows else {} for cell in cells]
    for row in rows:
        row["extra_cells"] = [answer.get(row["id"], "") for answer in answers]
    return [cell.label for cell in cells]


def portal_parts(ticket) -> list[ShownPart]:
    """The parts of the customer's link for `ticket` (no user: the link is the key)."""
    shown = []
    for part in sorted(_PORTAL.values(), key=lambda part: (part.order, part.key)):
        data = part.context(ticket)
        if data is not None:
            shown.append(ShownPart(part.template, data))
    return shown
