"""The tickets' extension points: what other apps (promises first) do when a ticket changes, and
what they add to a ticket's answer, without tickets importing them (decision 0013: dependencies
point one way).

An app registers its hooks once from its AppConfig.ready():

    extensions.register(opening=..., opened=..., changed=..., status_changed=..., public_reply=...,
                        promise_rows=...)

The tickets services call `ticket_opened`, `ticket_changed`, `status_changed` and `public_reply`
inside their transaction, after they saved the ticket, so a hook's writes commit or roll back with
the change (a hook that raises undoes the change). A hook that writes the ticket row updates the
instance it was given too, so that a later save in the same service does not undo it.

`opening` hooks run earlier, inside the same transaction, on the new ticket before its INSERT
(no id yet, every field of the opening set): a hook may set the ticket's own fields (promises:
`due_at`), so that the row is written once, and returns None or a function that writes its rows
once the ticket has its id (decision 0028).
"""

from collections.abc import Callable, Iterable, Sequence
from typing import Any

Hook = Callable[..., None]
RowsReader = Callable[[Sequence[Any]], dict[int, list[dict]]]

_OPENING: list[Callable[[Any], Callable[[], None] | None]] = []
_OPENED: list[Hook] = []
_CHANGED: list[Hook] = []
_STATUS_CHANGED: list[Hook] = []
_PUBLIC_REPLY: list[Hook] = []
_PROMISE_ROWS: list[RowsReader] = []


def register(
    *,
    opening: Callable[[Any], Callable[[], None] | None] | None = None,
    opened: Hook | None = None,
    changed: Hook | None = None,
    status_changed: Hook | None = None,
    public_reply: Hook | None = None,
    promise_rows: RowsReader | None = None,
) -> None:
    """Add an app's hooks. Registering the same function again does nothing (ready() may run twice
    in tests). There is at most one reader of promise rows."""
    if opening is not None and opening not in _OPENING:
        _OPENING.append(opening)
    for hooks, hook in (
        (_OPENED, opened),
        (_CHANGED, changed),
        (_STATUS_CHANGED, status_changed),
        (_PUBLIC_REPLY, public_reply),
    ):
        if hook is not None and hook not in hooks:
            hooks.append(hook)
    if promise_rows is not None:
        _PROMISE_ROWS[:] = [promise_rows]


def ticket_opening(ticket) -> list[Callable[[], None]]:
    """A ticket is about to be inserted (tickets.services.open_ticket): what each app writes once
    it has its id."""
    writes = []
    for hook in _OPENING:
        write = hook(ticket)
        if write is not None:
            writes.append(write)
    return writes


def ticket_opened(ticket) -> None:
    """A ticket was just opened (tickets.services.open_ticket)."""
    for hook in _OPENED:
        hook(ticket)


def ticket_changed(ticket, changed_fields: Iterable[str]) -> None:
    """Some of the ticket's own fields changed (tickets.services.update_ticket): their names."""
    fields = frozenset(changed_fields)
    if fields:
        for hook in _CHANGED:
            hook(ticket, fields)


def status_changed(ticket, old: str, new: str) -> None:
    """The ticket's status went from `old` to `new` (a transition, a customer's reply, a merge)."""
    if old != new:
        for hook in _STATUS_CHANGED:
            hook(ticket, old, new)


def public_reply(ticket, comment) -> None:
    """Staff replied publicly on the ticket (not an internal note, not the customer)."""
    for hook in _PUBLIC_REPLY:
        hook(ticket, comment)


def promise_rows(tickets: Sequence[Any]) -> dict[int, list[dict]]:
    """The promises of a page of tickets, {ticket id: [{"kind", "due_at", "paused", "breached_at",
    "met_at"}, ...]}: one query for the page, none when no app provides promises or the page is
    empty."""
    if not _PROMISE_ROWS or not tickets:
        return {}
    return _PROMISE_ROWS[0](tickets)
