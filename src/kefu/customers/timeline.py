"""The customer's timeline: the kinds of entry, how services add them, and how each reads.

Each capability adds its kinds here as it arrives (tickets, visits, surveys, care tasks,
returns). An entry stores language-neutral `data`; `describe()` turns it into the words of
whoever reads it, so one timeline reads in Chinese and in English.
"""

import datetime
from collections.abc import Callable, Iterable

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kefu.core import audit
from kefu.customers.models import Customer, CustomerEvent, LifeEventKind, OwnedProduct

CUSTOMER_CREATED = "customer_created"
PRODUCT_PURCHASED = "product_purchased"
LIFE_EVENT = "life_event"
CUSTOMER_MERGED = "customer_merged"  # on the kept record: another record was merged into it
MERGED_INTO = "merged_into"  # on the merged record: it was merged into another

# Filters offered on the 360° page: code → (label, kinds). Later capabilities add theirs.
FILTERS: dict[str, tuple[str, tuple[str, ...]]] = {
    "products": (gettext_lazy("Products"), (PRODUCT_PURCHASED,)),
    "life_events": (gettext_lazy("Life events"), (LIFE_EVENT,)),
}


def kinds_for(names: Iterable[str]) -> tuple[str, ...] | None:
    """The entry kinds that filter names stand for (a FILTERS group, or a kind itself); None: all."""
    kinds = [kind for name in names for kind in (FILTERS[name][1] if name in FILTERS else (name,))]
    return tuple(kinds) or None


def _at(day: datetime.date) -> datetime.datetime:
    """A date placed at noon in the local time zone, so it sorts inside its own day."""
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(12)))


def add(
    *,
    customer: Customer,
    kind: str,
    by=None,
    product: OwnedProduct | None = None,
    on: datetime.date | None = None,
    at: datetime.datetime | None = None,
    subject: models.Model | None = None,
    data: dict | None = None,
) -> CustomerEvent:
    """Add an entry; `on` places a dated fact (a purchase, a birthday) at that date."""
    return CustomerEvent.objects.create(
        customer=customer,
        kind=kind,
        occurred_at=at or (_at(on) if on else timezone.now()),
        actor=audit.acting_user(by),
        product=product,
        subject_type=subject._meta.model_name if subject is not None else "",
        subject_id=subject.pk if subject is not None else None,
        data=data or {},
    )


def update_subject(*, subject: models.Model, on: datetime.date, data: dict) -> None:
    """Keep the entries about `subject` true after it changed (a corrected purchase date)."""
    CustomerEvent.objects.filter(subject_type=subject._meta.model_name, subject_id=subject.pk).update(
        occurred_at=_at(on), data=data
    )


def product_data(product: OwnedProduct) -> dict:
    return {
        "model": product.model.name,
        "model_code": product.model.code,
        "category": product.model.category.code,
        "serial_number": product.serial_number,
    }


def _describe_product(data: dict) -> str:
    from kefu.customers.catalogue import category_label

    text = _("Bought %(category)s %(model)s") % {
        "category": category_label(data.get("category", ""), ""),
        "model": data.get("model", ""),
    }
    if data.get("serial_number"):
        text += " · SN " + data["serial_number"]
    return text


def _describe_life_event(data: dict) -> str:
    kind = data.get("kind", LifeEventKind.OTHER)
    label = LifeEventKind(kind).label if kind in LifeEventKind.values else ""
    return _("Life event: %(description)s") % {"description": data.get("description", "")} + (
        f" ({label})" if kind != LifeEventKind.OTHER else ""
    )


def _describe_merged(data: dict) -> str:
    moved = data.get("moved", {})
    return _(
        "Merged the record of %(name)s (#%(id)s) into this one: %(phones)s phones, "
        "%(addresses)s addresses, %(products)s products, %(life_events)s life events"
    ) % {
        "name": data.get("name", ""),
        "id": data.get("customer", ""),
        **{part: moved.get(part, 0) for part in ("phones", "addresses", "products", "life_events")},
    }


def _describe_merged_into(data: dict) -> str:
    return _("Merged into the record of %(name)s (#%(id)s)") % {
        "name": data.get("name", ""),
        "id": data.get("customer", ""),
    }


DESCRIBERS: dict[str, Callable[[dict], str]] = {
    CUSTOMER_CREATED: lambda data: _("Customer record opened"),
    PRODUCT_PURCHASED: _describe_product,
    LIFE_EVENT: _describe_life_event,
    CUSTOMER_MERGED: _describe_merged,
    MERGED_INTO: _describe_merged_into,
}


def describe(entry: CustomerEvent) -> str:
    describer = DESCRIBERS.get(entry.kind)
    return describer(entry.data) if describer else entry.kind
