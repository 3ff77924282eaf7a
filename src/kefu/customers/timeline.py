"""The customer's timeline: the registry of its kinds and sources, how services add entries, how
each entry reads, and how a page of the timeline is read (decision 0016).

Each app registers from its AppConfig.ready() the kinds of entry it writes (`register_kind`:
the wording and the filter group) and, when it keeps its own event table (tickets), a source
(`register_source`) that the timeline reads beside `CustomerEvent`. An entry stores
language-neutral `data`; `describe()` turns it into the words of whoever reads it, so one
timeline reads in Chinese and in English. Nothing registers at import time.
"""

import datetime
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple, Protocol

from django.core import signing
from django.core.exceptions import ImproperlyConfigured
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kefu.core import audit
from kefu.core.pagination import MAX_CURSOR_LENGTH, Page, clamp_limit, invalid_cursor
from kefu.customers.models import Customer, CustomerEvent, LifeEventKind, OwnedProduct

CUSTOMER_CREATED = "customer_created"
PRODUCT_PURCHASED = "product_purchased"
LIFE_EVENT = "life_event"
OWN_SOURCE = "customers"  # the timeline's own table, CustomerEvent
CUSTOMER_MERGED = "customer_merged"  # on the kept record: another record was merged into it
MERGED_INTO = "merged_into"  # on the merged record: it was merged into another


# --- The registries ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Kind:
    code: str
    describe: Callable[[dict], str]
    label: Any  # a lazy translation: the kind's name where a list shows kinds
    filter: str | None
    source: str


class Filter(NamedTuple):
    label: Any
    kinds: tuple[str, ...]


class Entry(Protocol):
    """What a source returns for each entry; CustomerEvent is one."""

    pk: Any
    occurred_at: datetime.datetime
    has_time: bool
    kind: str
    data: dict
    actor: Any
    actor_id: int | None
    product_id: int | None


@dataclass(frozen=True)
class Bound:
    """Where a page continues inside one source: entries strictly before (at, id), where
    `id=None` means before the instant `at` and `through_at` means at `at` or before."""

    at: datetime.datetime
    id: int | None = None
    through_at: bool = False

    def q(self, at_field: str = "occurred_at", id_field: str = "id") -> Q:
        if self.through_at:
            return Q(**{f"{at_field}__lte": self.at})
        earlier = Q(**{f"{at_field}__lt": self.at})
        if self.id is None:
            return earlier
        return earlier | Q(**{at_field: self.at, f"{id_field}__lt": self.id})


class SourceRead(Protocol):
    def __call__(
        self, customer: Customer, *, user, kinds: tuple[str, ...] | None, bound: Bound | None, limit: int
    ) -> Sequence[Entry]: ...


KINDS: dict[str, Kind] = {}
FILTERS: dict[str, Filter] = {}
SOURCES: dict[str, SourceRead] = {}


def register_filter(code: str, *, label) -> None:
    """A filter button on the 360° page (and a group name for the API's `kind`)."""
    if code in FILTERS or code in KINDS:
        raise ImproperlyConfigured(f"timeline filter {code!r} is registered twice")
    FILTERS[code] = Filter(label, ())


def register_kind(
    code: str, *, describe: Callable[[dict], str], label, filter: str | None = None, source: str = OWN_SOURCE
) -> None:
    """A kind of entry: how it reads (`describe(data)`), its name, the filter group it belongs
    to and the source that stores it. Kind codes are unique across apps: a second registration
    of a code is a configuration error, found at start-up."""
    if code in KINDS or code in FILTERS:
        raise ImproperlyConfigured(f"timeline kind {code!r} is registered twice")
    if filter is not None:
        if filter not in FILTERS:
            raise ImproperlyConfigured(f"timeline kind {code!r} names an unknown filter {filter!r}")
        FILTERS[filter] = Filter(FILTERS[filter].label, (*FILTERS[filter].kinds, code))
    KINDS[code] = Kind(code=code, describe=describe, label=label, filter=filter, source=source)


def register_source(name: str, read: SourceRead) -> None:
    """A table the timeline reads beside CustomerEvent: `read` returns the customer's newest
    `limit` entries of `kinds` (all when None) before `bound`, newest first, as `user` may see
    them, in one query (an index range on (customer, occurred_at, id))."""
    if name in SOURCES:
        raise ImproperlyConfigured(f"timeline source {name!r} is registered twice")
    SOURCES[name] = read


def kinds_for(names: Iterable[str]) -> tuple[str, ...] | None:
    """The entry kinds that filter names stand for (a filter group, or a kind itself); None: all."""
    kinds = [kind for name in names for kind in (FILTERS[name].kinds if name in FILTERS else (name,))]
    return tuple(kinds) or None


def describe(entry: Entry) -> str:
    kind = KINDS.get(entry.kind)
    return kind.describe(entry.data) if kind else entry.kind


# --- Writing entries -----------------------------------------------------------------------------


def subject_type(model: models.Model | type[models.Model]) -> str:
    """How an entry names the kind of record it is about: "customers.ownedproduct"."""
    return model._meta.label_lower


def placed(on: datetime.date, *, now: datetime.datetime | None = None) -> tuple[datetime.datetime, bool]:
    """Where a fact dated `on` sits on the timeline, and whether it shows a time.

    A fact dated today happened when it was recorded, or just before: it takes the moment of
    recording, so it sorts with the rest of today's work and shows that time. A fact of another
    day has a date and no time: it sits at noon of its day, inside the day, and shows the date.
    """
    now = now or timezone.now()
    if on == timezone.localdate(now):
        return now, True
    return timezone.make_aware(datetime.datetime.combine(on, datetime.time(12))), False


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
    """Add an entry that happened now, `at` a moment, or `on` a date (a purchase, a birthday)."""
    occurred_at, has_time = (at, True) if at else placed(on) if on else (timezone.now(), True)
    return CustomerEvent.objects.create(
        customer=customer,
        kind=kind,
        occurred_at=occurred_at,
        has_time=has_time,
        actor=audit.acting_user(by),
        product=product,
        subject_type=subject_type(subject) if subject is not None else "",
        subject_id=subject.pk if subject is not None else None,
        data=data or {},
    )


def update_subject(*, subject: models.Model, on: datetime.date, data: dict) -> None:
    """Keep the entries about `subject` true after it changed (a corrected purchase date).

    An entry whose date did not change keeps its place and its time of recording.
    """
    entries = CustomerEvent.objects.filter(subject_type=subject_type(subject), subject_id=subject.pk)
    entries.update(data=data)
    occurred_at, has_time = placed(on)
    entries.exclude(occurred_at__date=on).update(occurred_at=occurred_at, has_time=has_time)


# --- Reading a page ------------------------------------------------------------------------------

_SIGNER = signing.Signer(salt="kefu.cursor:customers.timeline", sep=".")


def _decode(cursor: str) -> tuple[datetime.datetime, str, int]:
    if len(cursor) > MAX_CURSOR_LENGTH:
        raise invalid_cursor()
    try:
        at, source, pk = _SIGNER.unsign_object(cursor)
        position = (datetime.datetime.fromisoformat(at), str(source), int(pk))
    except (signing.BadSignature, ValueError, TypeError, UnicodeError):
        raise invalid_cursor() from None
    if position[1] not in SOURCES or timezone.is_naive(position[0]):
        raise invalid_cursor()
    return position


def _bound(source: str, after: tuple[datetime.datetime, str, int] | None) -> Bound | None:
    """The part of `source` that sorts after the cursor's entry in (occurred_at, source, id)
    descending order."""
    if after is None:
        return None
    at, cursor_source, pk = after
    if source == cursor_source:
        return Bound(at, pk)
    return Bound(at, through_at=source < cursor_source)


def read_page(
    customer: Customer, *, user, kinds: tuple[str, ...] | None, cursor: str | None, limit: int | None
) -> Page[Entry]:
    """The customer's entries newest first, in (occurred_at, source, id) descending order,
    merged from every registered source: one query per source that holds an asked-for kind.

    Each source reads at most limit + 1 entries after the cursor, so a page costs the same on
    the first page and the thousandth, and however many tickets the customer has.
    """
    limit = clamp_limit(limit)
    after = _decode(cursor) if cursor else None
    wanted = set(kinds) if kinds else None
    merged: list[tuple[tuple[datetime.datetime, str, int], Entry]] = []
    for name, read in SOURCES.items():
        if wanted is not None and name != OWN_SOURCE:
            own_kinds = {code for code, kind in KINDS.items() if kind.source == name}
            if not wanted & own_kinds:
                continue
        for entry in read(customer, user=user, kinds=kinds, bound=_bound(name, after), limit=limit + 1):
            merged.append(((entry.occurred_at, name, entry.pk), entry))
    merged.sort(key=lambda pair: pair[0], reverse=True)
    next_cursor = None
    if len(merged) > limit:
        merged = merged[:limit]
        at, name, pk = merged[-1][0]
        next_cursor = _SIGNER.sign_object([at.isoformat(), name, pk])
    return Page(items=[entry for _key, entry in merged], next_cursor=next_cursor)


# --- The archive's own kinds ---------------------------------------------------------------------


def purchase_entry_data(product: OwnedProduct) -> dict:
    """What a purchase entry stores of its product, to read without a query."""
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


def register_archive_kinds() -> None:
    """The archive's filters and kinds; CustomersConfig.ready() calls this once."""
    register_filter("products", label=gettext_lazy("Products"))
    register_filter("life_events", label=gettext_lazy("Life events"))
    register_kind(
        CUSTOMER_CREATED,
        describe=lambda data: _("Customer record opened"),
        label=gettext_lazy("Customer record opened"),
    )
    register_kind(
        PRODUCT_PURCHASED, describe=_describe_product, label=gettext_lazy("Product bought"), filter="products"
    )
    register_kind(
        LIFE_EVENT, describe=_describe_life_event, label=gettext_lazy("Life event"), filter="life_events"
    )
    register_kind(
        CUSTOMER_MERGED, describe=_describe_merged, label=gettext_lazy("Record merged into this one")
    )
    register_kind(
        MERGED_INTO, describe=_describe_merged_into, label=gettext_lazy("Merged into another record")
    )
