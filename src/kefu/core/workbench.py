"""The start page's panels: each app says what its part of a person's work is, and core shows it.

An app registers its panels from its AppConfig.ready() with `register(Panel(...))`. The start page
(core.views.home) shows, in order, the panels whose `shows_for(user)` is true, so a person sees
the work their permissions allow and no button they may not press. Core knows no app: a panel is
a template, an order and a predicate on the user (decide by permission, not by role name), with
an optional function that reads what the template shows.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest


@dataclass(frozen=True)
class Panel:
    """One piece of the start page. `key` is app-qualified ("customers.lookup") and unique."""

    key: str
    template: str
    order: int
    shows_for: Callable[[Any], bool]
    context: Callable[[HttpRequest], Mapping[str, Any]] | None = None


@dataclass(frozen=True)
class ShownPanel:
    template: str
    data: Mapping[str, Any]


_PANELS: dict[str, Panel] = {}


def register(panel: Panel) -> None:
    """Add `panel` to the start page; registering the same key again replaces it (idempotent)."""
    _PANELS[panel.key] = panel


def registered() -> list[Panel]:
    """Every registered panel, in the order the start page shows them."""
    return sorted(_PANELS.values(), key=lambda panel: (panel.order, panel.key))


def panels_for(request: HttpRequest) -> list[ShownPanel]:
    """The panels the request's user may see, each with what its template shows."""
    user = request.user
    return [
        ShownPanel(panel.template, panel.context(request) if panel.context else {})
        for panel in registered()
        if user.is_active and panel.shows_for(user)
    ]
