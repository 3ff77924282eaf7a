"""What a survey can be about: a registry of subject kinds (decision 0030).

A survey asks about one subject — a resolved ticket today; a visit, a return or a care task when
those apps arrive. Feedback does not know those apps: each registers its kind from its own
AppConfig.ready() with a `SubjectKind` that says how to read a subject (by id) into what a survey
keeps: its customer, the ticket it belongs to (if any) and its dimensions as they are now (the
agent, team, technician, region, category and channel the figures count by). Feedback registers
the ticket kind itself (wiring_surveys).
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ImproperlyConfigured


@dataclass(frozen=True)
class SubjectFacts:
    """A subject read for a new survey: whom to ask and what the answer is counted under."""

    customer: Any
    ticket: Any = None
    agent_id: int | None = None
    technician_id: int | None = None
    team_id: int | None = None
    region: str = ""
    category: str = ""
    channel: str = ""
    # Words for the customer's page ("your repair request KF… about …").
    summary: str = ""


@dataclass(frozen=True)
class SubjectKind:
    """One kind of subject: its stable code (API `subject.kind`), its label, and `read(id)` that
    returns its SubjectFacts, or None when there is no such subject."""

    code: str
    label: Any
    read: Callable[[int], SubjectFacts | None]
    extra: dict = field(default_factory=dict)


_KINDS: dict[str, SubjectKind] = {}
CODE_MAX = 16


def register(kind: SubjectKind) -> None:
    """Add a kind of subject; the same code again replaces it (ready() may run twice in tests)."""
    if not kind.code or len(kind.code) > CODE_MAX:
        raise ImproperlyConfigured(f"survey subject code {kind.code!r} must be 1 to {CODE_MAX} characters")
    _KINDS[kind.code] = kind


def get(code: str) -> SubjectKind:
    try:
        return _KINDS[code]
    except KeyError:
        raise LookupError(f"no survey subject kind {code!r} is registered") from None


def codes() -> list[str]:
    return sorted(_KINDS)


def label(code: str) -> str:
    kind = _KINDS.get(code)
    return str(kind.label) if kind else code


# --- The ticket: feedback's own kind of subject ---------------------------------------------------

TICKET = "ticket"


def read_ticket(ticket_id: int) -> SubjectFacts | None:
    """A ticket as a survey's subject: its customer, its owner and team now, the customer's
    province (default address), the product's category and the ticket's channel. A merged
    duplicate is asked about through its original, never itself: None."""
    from kefu.customers.models import Address
    from kefu.tickets.models import Ticket
    from kefu.tickets.services import is_intake

    ticket = (
        Ticket.objects.select_related("customer", "owner", "product__model__category")
        .filter(pk=ticket_id, merged_into__isnull=True)
        .first()
    )
    if ticket is None:
        return None
    province = (
        Address.objects.filter(customer_id=ticket.customer_id)
        .order_by("-is_default", "id")
        .values_list("province", flat=True)
        .first()
    )
    product = ticket.product
    return SubjectFacts(
        customer=ticket.customer,
        ticket=ticket,
        agent_id=None if is_intake(ticket.owner) else ticket.owner_id,
        team_id=ticket.team_id,
        region=province or "",
        category=product.model.category.code if product is not None else "",
        channel=ticket.channel,
        summary=ticket.subject,
    )
