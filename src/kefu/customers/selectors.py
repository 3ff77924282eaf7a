"""Reads of the customer archive that matter: the hotline lookup, the 360° page, the timeline.

Each returns a fixed number of queries whatever the data (asserted in tests), so a customer
with two hundred products costs what a customer with one does.
"""

import re
from dataclasses import dataclass

from django.db.models import Count, F, IntegerField, OuterRef, Prefetch, Q, QuerySet, Subquery, Window
from django.db.models.functions import Coalesce

from kefu.core.errors import NotFound, PermissionDenied
from kefu.core.pagination import Page, clamp_limit, decode_cursor, keyset_page
from kefu.customers import timeline
from kefu.customers.models import (
    Address,
    Customer,
    CustomerEvent,
    CustomerPhone,
    CustomerQuerySet,
    LifeEvent,
    OwnedProduct,
    ProductCategory,
    ProductModel,
)
from kefu.customers.phones import parse_phone_query
from kefu.customers.validation import clean_serial

# The longest text the search box reads (page, admin and API alike); the rest is cut off.
SEARCH_MAX = 100
LAST_FOUR = re.compile(r"^\d{4}$")
SERIAL = re.compile(r"^(?=.*\d)[A-Za-z0-9\-/_.]{5,64}$")
# The highest code point: every string that starts with q sorts between q and q + this.
PREFIX_END = "\U0010ffff"


def access_customer(user, customer_id, *, queryset: CustomerQuerySet | None = None) -> Customer:
    """The customer, if `user` may see the archive; NotFound otherwise (never a 500).

    `queryset` lets a page fetch the customer with what it shows in the same query.
    """
    if not user.has_perm("customers.view_customer"):
        raise PermissionDenied()
    try:
        return (
            (queryset if queryset is not None else Customer.objects.all())
            .visible_to(user)
            .get(pk=customer_id)
        )
    except (Customer.DoesNotExist, ValueError, TypeError):
        raise NotFound() from None


def _count(model, **match):
    """The number of `model` rows of the outer customer, as a correlated subquery."""
    rows = model.objects.filter(customer=OuterRef("pk"), **match).order_by().values("customer")
    return Coalesce(Subquery(rows.annotate(n=Count("id")).values("n"), output_field=IntegerField()), 0)


def _with_card_data(queryset: QuerySet[Customer]) -> QuerySet[Customer]:
    """What a search result row shows, in the same query: the primary phone, how many more
    there are, the default address's city and the number of products. Each is an index
    lookup per row, so the hotline's lookup is one SQL statement."""
    primary_phone = CustomerPhone.objects.filter(customer=OuterRef("pk")).order_by("-is_primary", "id")
    default_city = Address.objects.filter(customer=OuterRef("pk"), is_default=True)
    return queryset.annotate(
        primary_phone=Subquery(primary_phone.values("number")[:1]),
        phone_count=_count(CustomerPhone),
        city=Subquery(default_city.values("city")[:1]),
        product_count=_count(OwnedProduct),
    )


@dataclass
class SearchResult:
    page: Page
    kind: str  # "last4", "phone", "serial", "name" or "empty": how the text was read


def search_kind(text: str) -> tuple[str, str]:
    """How the hotline's one search box reads a text, and the value it looks up.

    Four digits are the end of a phone number; a text that is a whole phone number looks up
    that number; letters mixed with digits look up a serial number; anything else is the start
    of a name.
    """
    text = text.strip()
    if not text:
        return "empty", ""
    if LAST_FOUR.match(text):
        return "last4", text
    phone = parse_phone_query(text)
    if phone:
        return "phone", phone
    if SERIAL.match(text) and not text.isdigit():
        return "serial", clean_serial(text)
    return "name", text


def _name_starts_with(value: str) -> Q:
    """A range on the name index, which LIKE 'x%' cannot always use (SQLite's ESCAPE clause)."""
    return Q(name__gte=value, name__lt=value + PREFIX_END)


def _matching_rows(kind: str, value: str) -> QuerySet:
    """The phone or product rows that a search of `kind` finds, each naming its customer."""
    if kind == "last4":
        return CustomerPhone.objects.filter(last4=value)
    if kind == "phone":
        return CustomerPhone.objects.filter(number=value)
    return OwnedProduct.objects.filter(serial_number=value)


def match_customers(queryset: QuerySet[Customer], text: str) -> QuerySet[Customer]:
    """`queryset` narrowed to what the search box finds for `text`, unpaged (the admin's search)."""
    kind, value = search_kind(text)
    if kind == "empty":
        return queryset
    if kind == "name":
        return queryset.filter(_name_starts_with(value))
    return queryset.filter(pk__in=_matching_rows(kind, value).values("customer_id"))


def find_customers(
    text: str, *, user, cursor: str | None = None, limit: int | None = 20, tier: str | None = None
) -> SearchResult:
    """Customers matching the search box that `user` may see: by full phone, last four digits,
    serial or name. Records merged into another are left out (the one they were merged into is
    found)."""
    kind, value = search_kind(text)
    customers = _with_card_data(Customer.objects.visible_to(user).filter(merged_into__isnull=True))
    if tier:
        customers = customers.filter(tier=tier)
    if kind == "empty":
        return SearchResult(page=Page(items=[], next_cursor=None), kind=kind)
    if kind == "name":
        page = keyset_page(
            customers.filter(_name_starts_with(value)),
            order=("name", "id"),
            cursor=cursor,
            limit=limit,
        )
        return SearchResult(page=page, kind=kind)
    matches = _matching_rows(kind, value)
    if cursor:
        (after,) = decode_cursor(cursor, Customer, ("id",))
        matches = matches.filter(customer_id__gt=after)
    ids = matches.order_by("customer_id").values("customer_id").distinct()
    if not tier:
        # Four digits match ~125 of a million customers: read only the page's worth, in
        # customer order straight from the (last4, customer) index, not every match.
        ids = ids[: clamp_limit(limit) + 1]
    page = keyset_page(customers.filter(pk__in=ids), order=("id",), cursor=cursor, limit=limit)
    return SearchResult(page=page, kind=kind)


RECORD_PREFETCHES = ("phones", "addresses", "consents")  # what the API shows of a customer


def customer_record(user, customer_id) -> Customer:
    """The customer with what the API shows of one (phones, addresses, consents)."""
    return access_customer(user, customer_id, queryset=Customer.objects.prefetch_related(*RECORD_PREFETCHES))


def customer_list(*, user, tier: str | None = None, cursor=None, limit=50) -> Page[Customer]:
    """Every customer `user` may see, by id (merged records left out), with what the API shows
    of each."""
    customers = (
        Customer.objects.visible_to(user)
        .filter(merged_into__isnull=True)
        .prefetch_related(*RECORD_PREFETCHES)
    )
    if tier:
        customers = customers.filter(tier=tier)
    return keyset_page(customers, order=("id",), cursor=cursor, limit=limit)


def access_product(user, product_id) -> OwnedProduct:
    """The owned product, if `user` may see products; NotFound when there is none."""
    if not user.has_perm("customers.view_ownedproduct"):
        raise PermissionDenied()
    try:
        return OwnedProduct.objects.visible_to(user).select_related("model__category").get(pk=product_id)
    except (OwnedProduct.DoesNotExist, ValueError, TypeError):
        raise NotFound() from None


def customer_360(user, customer_id, *, products_limit: int | None = None) -> Customer:
    """The customer with everything the 360° page shows, in a fixed number of queries,
    if `user` may see it (access_customer's rules).

    `customer.shown_products` holds the newest `products_limit` products (all when None) and
    `customer.product_count` how many there are, counted in the same query.
    """
    life_events = LifeEvent.objects.visible_to(user).order_by("-occurred_on", "-id")
    products = (
        OwnedProduct.objects.visible_to(user)
        .select_related("model__category", "install_address")
        .prefetch_related(Prefetch("life_events", queryset=life_events))
        .annotate(of_total=Window(Count("id"), partition_by=F("customer_id")))
        .order_by("-purchased_on", "-id")
    )
    if products_limit is not None:
        products = products[:products_limit]
    everything = Customer.objects.all().prefetch_related(
        Prefetch("phones", queryset=CustomerPhone.objects.order_by("-is_primary", "id")),
        "addresses",
        "consents",
        Prefetch("products", queryset=products, to_attr="shown_products"),
        Prefetch(
            "life_events",
            queryset=life_events.filter(product__isnull=True),
            to_attr="unattached_life_events",
        ),
    )
    customer = access_customer(user, customer_id, queryset=everything)
    shown: list = customer.shown_products  # type: ignore[attr-defined]  # set by the Prefetch above
    customer.product_count = shown[0].of_total if shown else 0  # type: ignore[attr-defined]
    return customer


def customer_timeline(
    customer: Customer, *, user, kinds: tuple[str, ...] | None = None, cursor=None, limit=50
) -> Page[timeline.Entry]:
    """The customer's timeline as `user` may see it: newest first, by when each thing happened
    (occurred_at, then id), merged from every registered source (decision 0016)."""
    return timeline.read_page(customer, user=user, kinds=kinds, cursor=cursor, limit=limit)


def own_timeline_entries(
    customer: Customer, *, user, kinds: tuple[str, ...] | None, bound: timeline.Bound | None, limit: int
) -> list[CustomerEvent]:
    """The timeline's own table as a source: one range of the (customer, occurred_at, id) index."""
    entries = CustomerEvent.objects.visible_to(user).filter(customer=customer).select_related("actor")
    if kinds:
        entries = entries.filter(kind__in=kinds)
    if bound is not None:
        entries = entries.filter(bound.q())
    return list(entries.order_by("-occurred_at", "-id")[:limit])


def customer_products(customer: Customer, *, user, cursor=None, limit=50) -> Page[OwnedProduct]:
    products = (
        OwnedProduct.objects.visible_to(user).filter(customer=customer).select_related("model__category")
    )
    return keyset_page(products, order=("-id",), cursor=cursor, limit=limit)


def customer_life_events(customer: Customer, *, user, cursor=None, limit=50) -> Page[LifeEvent]:
    return keyset_page(
        LifeEvent.objects.visible_to(user).filter(customer=customer),
        order=("-occurred_on", "-id"),
        cursor=cursor,
        limit=limit,
    )


def catalogue_categories(*, cursor=None, limit=50) -> Page[ProductCategory]:
    return keyset_page(ProductCategory.objects.all(), order=("sort_order", "id"), cursor=cursor, limit=limit)


def catalogue_models(*, category: str | None = None, cursor=None, limit=50) -> Page[ProductModel]:
    models = ProductModel.objects.select_related("category").filter(is_active=True)
    if category:
        models = models.filter(category__code=category)
    return keyset_page(models, order=("id",), cursor=cursor, limit=limit)


# --- Duplicates ------------------------------------------------------------------------------


def customers_with_phones(numbers: list[str]) -> list[int]:
    """The ids of records (not merged ones) that have any of these E.164 numbers, in order.

    One statement on the phone number index."""
    rows = CustomerPhone.objects.filter(number__in=numbers, customer__merged_into__isnull=True)
    return list(rows.order_by("customer_id").values_list("customer_id", flat=True).distinct())


def merge_candidates(customer: Customer, *, user, limit: int = 20) -> list[Customer]:
    """Other records (not merged ones, and only those `user` may see) that share a phone number
    with `customer`: the likely duplicates the 360° page offers to merge. One statement."""
    numbers = CustomerPhone.objects.filter(customer=customer).values("number")
    others = CustomerPhone.objects.filter(number__in=numbers).exclude(customer=customer)
    sharing = others.values("customer_id")
    candidates = (
        Customer.objects.visible_to(user)
        .filter(pk__in=sharing, merged_into__isnull=True)
        .annotate(product_count=_count(OwnedProduct))
    )
    return list(candidates.order_by("id")[:limit])


def customers_by_ids(ids: list[int], *, user) -> list[Customer]:
    """The records named by a refusal (the duplicate-number warning) that `user` may see, in id
    order."""
    return list(Customer.objects.visible_to(user).filter(pk__in=ids).order_by("id"))
