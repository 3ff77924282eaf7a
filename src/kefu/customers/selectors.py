"""Reads of the customer archive that matter: the hotline lookup, the 360° page, the timeline.

Each returns a fixed number of queries whatever the data (asserted in tests), so a customer
with two hundred products costs what a customer with one does.
"""

import datetime
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import connection
from django.db.models import Count, F, IntegerField, OuterRef, Prefetch, Q, QuerySet, Subquery, Window
from django.db.models.expressions import RawSQL
from django.db.models.functions import Coalesce

from kefu.core.errors import NotFound, PermissionDenied
from kefu.core.pagination import Page, clamp_limit, decode_cursor, encode_cursor, keyset_page
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
# The end of a phone number, longer than its last four digits (decision 0015).
PHONE_SUFFIX = re.compile(r"^\d{5,10}$")
# How people group the digits they read out: "1234 5678", "1234-5678".
DIGIT_GROUPING = re.compile(r"[\s\-]")
SERIAL = re.compile(r"^(?=.*\d)[A-Za-z0-9\-/_.]{5,64}$")
# The highest code point: every string that starts with q sorts between q and q + this.
PREFIX_END = "\U0010ffff"
# SQLite's name index (migration 0005): an FTS5 trigram table holding each name between two
# NAME_EDGE characters, so that "\x01兰英" finds names that start with 兰英, "兰英\x01" those
# that end with it.
NAME_FTS_TABLE = "customers_customer_name_fts"
NAME_EDGE = "\x01"
# A trigram index finds a text anywhere in the name from three characters; two characters
# match the start or the end of the name, one character only the start (decision 0015).
INFIX_MIN = 3


def access_customer(user, customer_id, *, queryset: CustomerQuerySet | None = None) -> Customer:
    """The customer, as `user` may see it: PermissionDenied (403) without the archive's view
    permission; NotFound (404) when there is no such customer or the visibility rule hides it
    (never a 500, whatever the id).

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
    """What a row of the search page shows, in the same query: the primary phone, how many
    more there are, the default address's city and the number of products. Each is an index
    lookup per row, so the hotline's lookup is one SQL statement."""
    primary_phone = CustomerPhone.objects.filter(customer=OuterRef("pk")).order_by("-is_primary", "id")
    return queryset.annotate(
        primary_phone=Subquery(primary_phone.values("number")[:1]),
        phone_count=_count(CustomerPhone),
        city=_default_city(),
        product_count=_count(OwnedProduct),
    )


# The customer's own columns that a row of the API's list shows.
SUMMARY_FIELDS = ("id", "name", "tier", "updated_at")
# A list row's columns as _with_summary_data reads them, in CustomerSummary's order.
SUMMARY_COLUMNS = ("id", "name", "tier", "city", "product_count", "last_contact_at")


@dataclass(eq=False, slots=True)
class CustomerSummary:
    """A row of the API's customer list, read as plain values (no model built for it): what
    find_customers(summary=True) and customer_list give, with `phone_numbers` set by
    attach_phone_numbers. Compared and hashed by identity, as privacy.shown keys it."""

    pk: int
    name: str
    tier: str
    city: str | None
    product_count: int
    last_contact_at: datetime.datetime
    phone_numbers: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        return self.name  # as Customer's, for the audit rows of numbers shown in full


def _with_summary_data(queryset: QuerySet[Customer]) -> QuerySet[Customer]:
    """What a row of the API's customer list shows beside its phones (attach_phone_numbers), in
    the same query: the default address's city, the number of products and the last contact
    (the newest timeline entry's time, else when the record last changed; customer_timeline_idx
    answers it with one index step per row). Only the columns the row shows are read."""
    newest_entry = CustomerEvent.objects.filter(customer=OuterRef("pk")).order_by("-occurred_at", "-id")
    return queryset.only(*SUMMARY_FIELDS).annotate(
        city=_default_city(),
        product_count=_count(OwnedProduct),
        last_contact_at=Coalesce(Subquery(newest_entry.values("occurred_at")[:1]), F("updated_at")),
    )


def _default_city() -> Subquery:
    return Subquery(Address.objects.filter(customer=OuterRef("pk"), is_default=True).values("city")[:1])


# --- Statements compiled once ----------------------------------------------------------------

# Stand-ins for a statement's values while Django compiles it (_Statement): no id, count or
# limit is this negative, and no text a caller sends holds NUL (the API and the request guard
# refuse it).
_NUMBER_SLOT = -(2**62)
_TEXT_SLOT_EDGE = "\x00"


class _Slots:
    """The stand-ins of one statement's values, each standing for the value of its name."""

    def __init__(self) -> None:
        self.texts: dict[str, str] = {}
        self.numbers: dict[int, str] = {}

    def text(self, name: str) -> str:
        marker = f"{_TEXT_SLOT_EDGE}{name}{_TEXT_SLOT_EDGE}"
        self.texts[marker] = name
        return marker

    def number(self, name: str) -> int:
        marker = _NUMBER_SLOT - len(self.numbers)
        self.numbers[marker] = name
        return marker


class _Statement:
    """A queryset's SQL, compiled by Django once and run again with other values.

    Building and compiling the API list's queryset (three correlated subqueries) costs several
    times what the database takes to answer it. `build(slots)` makes the queryset (a
    values_list) with a stand-in from `slots` for each value that changes between calls; the
    SQL, where each stand-in went, and the selected expressions (for Django's converters of
    each column) are kept, and rows() binds the real values in the stand-ins' places. A text
    stand-in may end up inside a LIKE pattern (`number__endswith`): its value must then hold
    none of LIKE's special characters (checked).
    """

    def __init__(self, build: Callable[[_Slots], QuerySet]) -> None:
        slots = _Slots()
        queryset = build(slots)
        compiler = queryset.query.get_compiler(queryset.db)
        self.sql, params = compiler.as_sql()
        # Each parameter: ("value", name), ("pattern", text with stand-ins) or ("constant", value).
        self.params: list[tuple[str, Any]] = []
        found = set()
        for param in params:
            if type(param) is int and param in slots.numbers:
                self.params.append(("value", slots.numbers[param]))
                found.add(slots.numbers[param])
            elif type(param) is str and param in slots.texts:
                self.params.append(("value", slots.texts[param]))
                found.add(slots.texts[param])
            elif type(param) is str and _TEXT_SLOT_EDGE in param:
                self.params.append(("pattern", param))
                found.update(name for marker, name in slots.texts.items() if marker in param)
            else:
                self.params.append(("constant", param))
        missing = set(slots.texts.values()) | set(slots.numbers.values())
        if missing - found:
            raise ValueError(f"Stand-ins not found among the parameters: {sorted(missing - found)}")
        self.markers = {name: marker for marker, name in slots.texts.items()}
        self.columns = [column for column, _sql, _alias in compiler.select[: compiler.col_count]]

    def _pattern(self, text: str, values: dict[str, Any]) -> str:
        for name, marker in self.markers.items():
            if marker in text:
                value = values[name]
                if connection.ops.prep_for_like_query(value) != value:
                    raise ValueError(f"{name}: a value with LIKE's special characters")
                text = text.replace(marker, value)
        return text

    def rows(self, values: dict[str, Any]) -> list[list]:
        """The statement's rows for these values, each column as Django would convert it."""
        params = [
            values[item] if how == "value" else self._pattern(item, values) if how == "pattern" else item
            for how, item in self.params
        ]
        with connection.cursor() as cursor:
            cursor.execute(self.sql, params)
            rows = cursor.fetchall()
        converters = []
        for index, column in enumerate(self.columns):
            found = connection.ops.get_db_converters(column) + column.get_db_converters(connection)
            if found:
                converters.append((index, found, column))
        converted = []
        for row in map(list, rows):
            for index, functions, column in converters:
                value = row[index]
                for function in functions:
                    value = function(value, column, connection)
                row[index] = value
            converted.append(row)
        return converted


_statements: dict[tuple, _Statement] = {}


def _statement(key: tuple, build: Callable[[_Slots], QuerySet]) -> _Statement:
    """The statement of this query shape, compiled at its first use (per database vendor)."""
    key = (connection.vendor, *key)
    statement = _statements.get(key)
    if statement is None:
        statement = _statements[key] = _Statement(build)
    return statement


def _sees_every(visible: QuerySet) -> bool:
    """Whether the visibility rule left `visible` unnarrowed (it holds every record, so a
    statement compiled for one user holds for another); a rule that narrows by user is read
    through the ORM each time."""
    return not visible.query.where.children


def _summary_page(
    key: tuple,
    build: Callable[[_Slots, int | None], QuerySet[Customer]],
    values: dict[str, Any],
    *,
    cursor: str | None,
    limit: int | None,
) -> Page[CustomerSummary]:
    """keyset_page(build(…), order=("id",)) as list rows, through a statement compiled once
    per shape: `build(slots, after)` gives the customers (`after` is the stand-in of the
    cursor's id, None on a first page), `values` the stand-ins' values."""
    limit = clamp_limit(limit)
    after = _after_id(cursor)

    def page_query(slots: _Slots) -> QuerySet:
        after_slot = None if after is None else slots.number("after")
        customers = build(slots, after_slot)
        if after_slot is not None:
            customers = customers.filter(id__gt=after_slot)
        return customers.order_by("id").values_list(*SUMMARY_COLUMNS)[: limit + 1]

    statement = _statement((*key, after is not None, limit), page_query)
    rows = [CustomerSummary(*row) for row in statement.rows({**values, "after": after})]
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        next_cursor = encode_cursor([rows[-1].pk], Customer, ("id",))
    return Page(items=rows, next_cursor=next_cursor)


def _summaries(customers: Sequence[Customer]) -> list[CustomerSummary]:
    """List rows of customers read through the ORM (_with_summary_data)."""
    return [
        CustomerSummary(c.pk, c.name, c.tier, c.city, c.product_count, c.last_contact_at)  # type: ignore[attr-defined]
        for c in customers
    ]


@dataclass
class SearchResult:
    page: Page
    # How the text was read: "last4", "suffix", "phone", "serial", "name" or "empty".
    kind: str
    # How many customers match in all, where that is cheap to know (find_customers); else None.
    count: int | None = None


def search_kind(text: str, *, suffixes: bool = True) -> tuple[str, str]:
    """How the hotline's one search box reads a text, and the value it looks up.

    Four digits are the end of a phone number; a text that is a whole phone number looks up
    that number; five to ten digits are the end of a number (with `suffixes` False, for a role
    that may not see numbers, only their last four digits count: a longer end would probe the
    hidden ones); letters mixed with digits look up a serial number, spaces ignored; anything
    else is part of a name.
    """
    text = text.strip()
    if not text:
        return "empty", ""
    digits = DIGIT_GROUPING.sub("", text)
    if LAST_FOUR.match(digits):
        return "last4", digits
    phone = parse_phone_query(text)
    if phone:
        return "phone", phone
    if PHONE_SUFFIX.match(digits):
        return ("suffix", digits) if suffixes else ("last4", digits[-4:])
    serial = clean_serial(text)
    if SERIAL.match(serial) and not serial.isdigit():
        return "serial", serial
    return "name", text


def _name_starts_with(value: str) -> Q:
    """A range on the name index, which LIKE 'x%' cannot always use (SQLite's ESCAPE clause)."""
    return Q(name__gte=value, name__lt=value + PREFIX_END)


def _fts_phrase(text: str) -> str:
    """`text` as one FTS5 phrase: the exact characters, in order."""
    return '"' + text.replace('"', '""') + '"'


def _like_pattern(text: str) -> str:
    """`text` for LIKE with its own % and _ as plain characters (backslash is LIKE's escape)."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _name_match_ids(
    value: str, *, after: int | None = None, limit: int | None = None, tier: str | None = None
) -> RawSQL:
    """The ids of customers whose name holds `value` (at least two characters; two match the
    start or the end), from the name's trigram index, in id order after `after`, at most
    `limit` of them (every one on SQLite when `tier` narrows them): a subquery for `pk__in`."""
    params: list[str | int]
    if connection.vendor == "postgresql":
        pattern = _like_pattern(value)
        if len(value) < INFIX_MIN:
            where, params = "(name LIKE %s OR name LIKE %s)", [pattern + "%", "%" + pattern]
        else:
            where, params = "name LIKE %s", ["%" + pattern + "%"]
        if tier:
            where += " AND tier = %s"
            params.append(tier)
        # OFFSET 0 keeps the matching apart from the order: without it PostgreSQL, which guesses
        # that one name in a hundred matches (a given name matches one in ten thousand), walks
        # the primary key in id order and tests every row. Fenced, the trigram index finds the
        # matches and only they are sorted.
        sql = f"SELECT id FROM (SELECT id FROM customers_customer WHERE {where} OFFSET 0) AS found"
        id_column, and_where = "id", "WHERE"
    else:
        value = value.replace(NAME_EDGE, "")
        if len(value) < INFIX_MIN:
            query = f"{_fts_phrase(NAME_EDGE + value)} OR {_fts_phrase(value + NAME_EDGE)}"
        else:
            query = _fts_phrase(value)
        sql, params = f"SELECT rowid FROM {NAME_FTS_TABLE} WHERE {NAME_FTS_TABLE} MATCH %s", [query]
        id_column, and_where = "rowid", "AND"
        if tier:
            limit = None  # the tier is the customer table's: every match is read, then narrowed
    if after is not None:
        sql += f" {and_where} {id_column} > %s"
        params.append(after)
    sql += f" ORDER BY {id_column}"
    if limit:
        sql += " LIMIT %s"
        params.append(limit)
    return RawSQL(sql, params)


def _name_matches(value: str) -> Q:
    """Customers whose name holds `value`: anywhere from three characters, at the start or the
    end with two, at the start with one (decision 0015)."""
    if len(value) < 2:
        return _name_starts_with(value)
    return Q(pk__in=_name_match_ids(value))


def _matching_rows(kind: str, value: str, *, last4: str | None = None) -> QuerySet:
    """The phone or product rows that a search of `kind` finds, each naming its customer
    (`last4`: a suffix's last four digits, when not value[-4:])."""
    if kind == "last4":
        return CustomerPhone.objects.filter(last4=value)
    if kind == "suffix":
        # The (last4, customer) index narrows a million numbers to a hundred or so.
        return CustomerPhone.objects.filter(
            last4=value[-4:] if last4 is None else last4, number__endswith=value
        )
    if kind == "phone":
        return CustomerPhone.objects.filter(number=value)
    return OwnedProduct.objects.filter(serial_number=value)


def match_customers(queryset: QuerySet[Customer], text: str, *, suffixes: bool = True) -> QuerySet[Customer]:
    """`queryset` narrowed to what the search box finds for `text`, unpaged (the admin's search;
    `suffixes` as in search_kind)."""
    kind, value = search_kind(text, suffixes=suffixes)
    if kind == "empty":
        return queryset
    if kind == "name":
        return queryset.filter(_name_matches(value))
    return queryset.filter(pk__in=_matching_rows(kind, value).values("customer_id"))


def _after_id(cursor: str | None) -> int | None:
    if not cursor:
        return None
    (after,) = decode_cursor(cursor, Customer, ("id",))
    return after


# The kinds of search that find customers through phone or product rows (_matching_rows).
NUMBER_KINDS = ("last4", "suffix", "phone", "serial")


def _number_matches(
    customers: QuerySet[Customer],
    kind: str,
    value: str,
    *,
    after: int | None,
    page_ids: int | None,
    last4: str | None = None,
) -> QuerySet[Customer]:
    """`customers` narrowed to those a number or serial finds: only the first `page_ids` ids
    after `after`, in id order straight from the index, not every match (four digits match
    ~125 of a million customers); every match when `page_ids` is None."""
    matches = _matching_rows(kind, value, last4=last4)
    if after is not None:
        matches = matches.filter(customer_id__gt=after)
    ids = matches.order_by("customer_id").values("customer_id").distinct()
    if page_ids:
        ids = ids[:page_ids]
    return customers.filter(pk__in=ids)


def find_customers(
    text: str,
    *,
    user,
    cursor: str | None = None,
    limit: int | None = 20,
    tier: str | None = None,
    suffixes: bool = True,
    count: bool = False,
    summary: bool = False,
) -> SearchResult:
    """Customers matching the search box that `user` may see (merged records left out: the one
    they were merged into is found): by full phone, the end of a phone number, serial or
    name (search_kind; `suffixes` as there). With `count`, also how many match in all when
    that is cheap: the rows of a single page, or any lookup by a number (an index range of a
    few hundred entries at most); a name that matches more than a page is not counted.
    Each row carries what the search page shows of it; with `summary` the page holds the API
    list's rows instead (CustomerSummary; then call attach_phone_numbers on the page), a
    lookup by a number or serial read through a statement compiled once per shape."""
    kind, value = search_kind(text, suffixes=suffixes)
    visible = Customer.objects.visible_to(user)

    def matching() -> QuerySet[Customer]:
        customers = visible.filter(merged_into__isnull=True)
        return customers.filter(tier=tier) if tier else customers

    if kind == "empty":
        return SearchResult(page=Page(items=[], next_cursor=None), kind=kind, count=0 if count else None)
    # With a tier, the matches are narrowed afterwards and every one is read.
    page_ids = None if tier else clamp_limit(limit) + 1
    if summary and kind in NUMBER_KINDS and visible.query.is_empty():
        page: Page = Page(items=[], next_cursor=None)
    elif summary and kind in NUMBER_KINDS and _sees_every(visible):

        def build(slots: _Slots, after: int | None) -> QuerySet[Customer]:
            customers = Customer.objects.filter(merged_into__isnull=True)
            if tier:
                customers = customers.filter(tier=slots.text("tier"))
            last4 = slots.text("last4") if kind == "suffix" else None
            value_slot = slots.text("value")
            return _number_matches(
                _with_summary_data(customers), kind, value_slot, after=after, page_ids=page_ids, last4=last4
            )

        values = {"value": value, "tier": tier, "last4": value[-4:]}
        page = _summary_page(("find", kind, bool(tier)), build, values, cursor=cursor, limit=limit)
    else:
        customers = (_with_summary_data if summary else _with_card_data)(matching())
        if kind == "name" and len(value) < 2:
            page = keyset_page(
                customers.filter(_name_starts_with(value)), order=("name", "id"), cursor=cursor, limit=limit
            )
        elif kind == "name":
            names = _name_match_ids(value, after=_after_id(cursor), limit=clamp_limit(limit) + 1, tier=tier)
            page = keyset_page(customers.filter(pk__in=names), order=("id",), cursor=cursor, limit=limit)
        else:
            customers = _number_matches(customers, kind, value, after=_after_id(cursor), page_ids=page_ids)
            page = keyset_page(customers, order=("id",), cursor=cursor, limit=limit)
        if summary:
            page = Page(items=_summaries(page.items), next_cursor=page.next_cursor)
    total = None
    if count:
        if cursor is None and page.next_cursor is None:
            total = len(page.items)
        elif kind != "name":
            total = matching().filter(pk__in=_matching_rows(kind, value).values("customer_id")).count()
    return SearchResult(page=page, kind=kind, count=total)


def attach_phone_numbers(customers: Sequence[CustomerSummary]) -> None:
    """Set `phone_numbers` (primary first) on each of `customers`, in one query of two
    columns (a statement compiled once per number of rows)."""
    numbers: dict[int, list[str]] = {customer.pk: [] for customer in customers}
    if not numbers:
        return
    ids = list(numbers)

    def build(slots: _Slots) -> QuerySet:
        return (
            CustomerPhone.objects.filter(customer_id__in=[slots.number(str(i)) for i in range(len(ids))])
            .order_by("customer_id", "-is_primary", "id")
            .values_list("customer_id", "number")
        )

    statement = _statement(("phones", len(ids)), build)
    for customer_id, number in statement.rows({str(i): pk for i, pk in enumerate(ids)}):
        numbers[customer_id].append(number)
    for customer in customers:
        customer.phone_numbers = numbers[customer.pk]


RECORD_PREFETCHES = ("phones", "addresses", "consents")  # what the API shows of a customer


def customer_record(user, customer_id) -> Customer:
    """The customer with what the API shows of one (phones, addresses, consents)."""
    return access_customer(user, customer_id, queryset=Customer.objects.prefetch_related(*RECORD_PREFETCHES))


def customer_list(*, user, tier: str | None = None, cursor=None, limit=50) -> Page[CustomerSummary]:
    """Every customer `user` may see, by id (merged records left out), as the API list's rows
    (as find_customers with `summary`; then call attach_phone_numbers on the page)."""
    visible = Customer.objects.visible_to(user)
    if visible.query.is_empty():
        return Page(items=[], next_cursor=None)
    if _sees_every(visible):

        def build(slots: _Slots, after: int | None) -> QuerySet[Customer]:
            customers = Customer.objects.filter(merged_into__isnull=True)
            if tier:
                customers = customers.filter(tier=slots.text("tier"))
            return _with_summary_data(customers)

        return _summary_page(("list", bool(tier)), build, {"tier": tier}, cursor=cursor, limit=limit)
    customers = _with_summary_data(visible.filter(merged_into__isnull=True))
    if tier:
        customers = customers.filter(tier=tier)
    page = keyset_page(customers, order=("id",), cursor=cursor, limit=limit)
    return Page(items=_summaries(page.items), next_cursor=page.next_cursor)


def access_product(user, product_id) -> OwnedProduct:
    """The owned product, as `user` may see it: PermissionDenied (403) without the view
    permission; NotFound (404) when there is none or the visibility rule hides it."""
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
