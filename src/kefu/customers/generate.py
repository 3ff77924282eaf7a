"""Bulk archive data for benchmarks: a million customers in a few minutes.

Why this bypasses customers.services: the services are the path of user writes — each checks
its input, writes an audit row and a timeline entry, one customer at a time. Benchmark data is
not a user's write: nobody made these changes, so they leave no audit trail, and a million
service calls would take hours. Instead rows are built in Python from word lists (no Faker call
per row) and written set-wise: COPY through psycopg 3 on PostgreSQL, `executemany` in large
batches on SQLite; everything in one transaction. The rows still satisfy every database constraint
(E.164 numbers with their last four digits, one primary phone and one default address per
customer, serial numbers unique per model, warranty ending on or after the purchase).

New rows are appended after the highest existing ids, so a data set can be grown by running
the generator again. Run it on a quiet database: ids are read once at the start.
"""

import contextlib
import datetime
import random
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

from django.db import connection, transaction
from django.utils import timezone

from kefu.core.dates import add_months
from kefu.customers.models import (
    Address,
    Customer,
    CustomerPhone,
    OwnedProduct,
    ProductCategory,
    ProductModel,
)
from kefu.customers.samples import (
    CATALOGUE,
    COMMUNITIES,
    GIVEN_NAME_CHARS,
    MOBILE_PREFIXES,
    REGIONS,
    STREETS,
    SURNAMES,
)

BATCH = 50_000
DAYS_OF_HISTORY = 3650  # purchases spread over the last ten years
SECOND_PHONE_SHARE = 0.25
VIP_SHARE = 0.10

CUSTOMER_COLUMNS = (
    "id",
    "created_at",
    "updated_at",
    "version",
    "name",
    "tier",
    "email",
    "preferred_channel",
    "preferred_time",
    "notes",
)
PHONE_COLUMNS = ("id", "created_at", "updated_at", "customer_id", "number", "last4", "label", "is_primary")
ADDRESS_COLUMNS = (
    "id",
    "created_at",
    "updated_at",
    "customer_id",
    "province",
    "city",
    "district",
    "detail",
    "is_default",
)
PRODUCT_COLUMNS = (
    "id",
    "created_at",
    "updated_at",
    "version",
    "customer_id",
    "model_id",
    "serial_number",
    "purchased_on",
    "purchase_channel",
    "install_address_id",
    "warranty_ends_on",
    "status",
    "notes",
)
# Serial number prefixes per category: the label a technician reads off the unit.
SERIAL_PREFIX = {
    "air_conditioner": "AC",
    "washing_machine": "WM",
    "refrigerator": "RF",
    "water_heater": "WH",
    "flat_tv": "TV",
    "tv": "CT",
    "computer": "PC",
    "phone": "PH",
    "network_equipment": "NE",
}
CHANNELS = (("store", 35), ("online", 40), ("dealer", 15), ("direct", 5), ("project", 3), ("other", 2))
STATUSES = (("in_use", 95), ("disposed", 4), ("transferred", 1))
PREFERRED = (("phone", 60), ("wechat", 25), ("sms", 12), ("email", 3))


class GenerateError(Exception):
    """The generator cannot run as asked (nothing was written)."""


@dataclass
class GenerateResult:
    customers: int
    phones: int
    addresses: int
    products: int
    seconds: float

    @property
    def rows(self) -> int:
        return self.customers + self.phones + self.addresses + self.products

    @property
    def main_rows_per_second(self) -> float:
        """Customers + products per second (the figure DESIGN.md names)."""
        return (self.customers + self.products) / self.seconds if self.seconds else 0.0


def ensure_catalogue() -> list[ProductModel]:
    """The active product models; creates the sample catalogue when there are none."""
    found = list(ProductModel.objects.filter(is_active=True).select_related("category"))
    if found:
        return found
    categories = {category.code: category for category in ProductCategory.objects.all()}
    for code, entries in CATALOGUE.items():
        if code not in categories:
            continue
        for model_code, name, brand, months in entries:
            ProductModel.objects.get_or_create(
                code=model_code,
                defaults={
                    "category": categories[code],
                    "name": name,
                    "brand": brand,
                    "warranty_months": months,
                },
            )
    return list(ProductModel.objects.filter(is_active=True).select_related("category"))


def _next_id(model) -> int:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT MAX(id) FROM {connection.ops.quote_name(model._meta.db_table)}")
        (value,) = cursor.fetchone()
    return (value or 0) + 1


def _weighted(pairs: Sequence[tuple[str, float]]) -> tuple[list[str], list[float]]:
    values, weights = zip(*pairs, strict=True)
    return list(values), list(weights)


class _Rows:
    """Builds batches of rows as tuples in the column orders above."""

    def __init__(self, rng: random.Random, stamp: str, today: datetime.date):
        self.rng = rng
        self.stamp = stamp
        self.today = today
        self.surnames, self.surname_weights = _weighted(SURNAMES)
        self.places = [
            (province, city, district)
            for province, cities in REGIONS.items()
            for city, districts in cities.items()
            for district in districts
        ]
        self.channels, self.channel_weights = _weighted(CHANNELS)
        self.statuses, self.status_weights = _weighted(STATUSES)
        self.preferred, self.preferred_weights = _weighted(PREFERRED)
        self._warranty_cache: dict[tuple[int, int], tuple[str, str]] = {}

    def names(self, n: int) -> list[str]:
        rng = self.rng
        surnames = rng.choices(self.surnames, self.surname_weights, k=n)
        first = rng.choices(GIVEN_NAME_CHARS, k=n)
        second = rng.choices(GIVEN_NAME_CHARS, k=n)
        lengths = rng.choices((1, 2), (35, 65), k=n)
        return [
            s + a + (b if length == 2 else "")
            for s, a, b, length in zip(surnames, first, second, lengths, strict=True)
        ]

    def customers(self, first_id: int, n: int) -> list[tuple]:
        rng, stamp = self.rng, self.stamp
        names = self.names(n)
        preferred = rng.choices(self.preferred, self.preferred_weights, k=n)
        return [
            (
                first_id + i,
                stamp,
                stamp,
                1,
                names[i],
                "vip" if rng.random() < VIP_SHARE else "regular",
                "",
                preferred[i],
                "",
                "",
            )
            for i in range(n)
        ]

    def phones(self, first_phone_id: int, first_customer_id: int, n: int) -> list[tuple]:
        rng, stamp = self.rng, self.stamp
        prefixes = rng.choices(MOBILE_PREFIXES, k=n * 2)
        rows = []
        phone_id = first_phone_id
        for i in range(n):
            customer_id = first_customer_id + i
            count = 2 if rng.random() < SECOND_PHONE_SHARE else 1
            seen = None
            for j in range(count):
                digits = rng.randrange(100_000_000)
                number = f"+86{prefixes[2 * i + j]}{digits:08d}"
                if number == seen:  # one in a hundred million: keep the pair unique
                    number = f"+86{prefixes[2 * i + j]}{(digits + 1) % 100_000_000:08d}"
                    digits = (digits + 1) % 100_000_000
                seen = number
                rows.append(
                    (
                        phone_id,
                        stamp,
                        stamp,
                        customer_id,
                        number,
                        f"{digits % 10000:04d}",
                        "mobile",
                        int(j == 0),
                    )
                )
                phone_id += 1
        return rows

    def addresses(self, first_address_id: int, first_customer_id: int, n: int) -> list[tuple]:
        rng, stamp = self.rng, self.stamp
        places = rng.choices(self.places, k=n)
        streets = rng.choices(STREETS, k=n)
        communities = rng.choices(COMMUNITIES, k=n)
        rows = []
        for i in range(n):
            province, city, district = places[i]
            detail = (
                f"{streets[i]}{rng.randrange(1, 999)}号{communities[i]}{rng.randrange(1, 30)}栋"
                f"{rng.randrange(1, 6)}单元{rng.randrange(1, 33)}0{rng.randrange(1, 5)}室"
            )
            rows.append(
                (
                    first_address_id + i,
                    stamp,
                    stamp,
                    first_customer_id + i,
                    province,
                    city,
                    district,
                    detail,
                    1,
                )
            )
        return rows

    def _dates(self, days_ago: int, months: int) -> tuple[str, str]:
        key = (days_ago, months)
        cached = self._warranty_cache.get(key)
        if cached is None:
            purchased = self.today - datetime.timedelta(days=days_ago)
            cached = (purchased.isoformat(), add_months(purchased, months).isoformat())
            self._warranty_cache[key] = cached
        return cached

    def products(
        self,
        first_id: int,
        n: int,
        *,
        models: Sequence[ProductModel],
        pick_customer: Callable[[], tuple[int, int | None]],
    ) -> list[tuple]:
        rng, stamp = self.rng, self.stamp
        chosen = rng.choices(models, k=n)
        channels = rng.choices(self.channels, self.channel_weights, k=n)
        statuses = rng.choices(self.statuses, self.status_weights, k=n)
        rows = []
        for i in range(n):
            product_id = first_id + i
            model = chosen[i]
            customer_id, address_id = pick_customer()
            days_ago = rng.randrange(DAYS_OF_HISTORY)
            purchased_on, warranty_ends_on = self._dates(days_ago, model.warranty_months)
            prefix = SERIAL_PREFIX.get(model.category.code, "KF")
            # The id makes the serial unique (per model and overall); the date is the label's.
            serial = f"{prefix}{purchased_on[2:4]}{purchased_on[5:7]}{product_id:010d}"
            rows.append(
                (
                    product_id,
                    stamp,
                    stamp,
                    1,
                    customer_id,
                    model.pk,
                    serial,
                    purchased_on,
                    channels[i],
                    address_id,
                    warranty_ends_on,
                    statuses[i],
                    "",
                )
            )
        return rows


# --- Writers -------------------------------------------------------------------------------


def _copy_text(rows: list[tuple]) -> str:
    """Rows in COPY's text format. The values hold no tab, newline or backslash."""
    return "".join("\t".join("\\N" if value is None else str(value) for value in row) + "\n" for row in rows)


def _write(model, columns: Sequence[str], batches: Iterator[list[tuple]]) -> int:
    """Write every batch into the model's table; returns the number of rows.

    On PostgreSQL one COPY streams all batches, so Python builds the next batch while the
    server stores the last one.
    """
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    column_list = ", ".join(quote(column) for column in columns)
    written = 0
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table} ({column_list}) FROM STDIN") as copy:
                for rows in batches:
                    copy.write(_copy_text(rows))
                    written += len(rows)
        else:
            marks = ", ".join(["%s"] * len(columns))
            for rows in batches:
                cursor.executemany(f"INSERT INTO {table} ({column_list}) VALUES ({marks})", rows)
                written += len(rows)
    return written


def _reset_sequences(models) -> None:
    """After explicit ids, PostgreSQL's identity sequences must continue after the new maximum."""
    if connection.vendor != "postgresql":
        return  # SQLite's AUTOINCREMENT follows the highest id by itself
    with connection.cursor() as cursor:
        for model in models:
            table = model._meta.db_table
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence(%s, 'id'), "
                f"COALESCE((SELECT MAX(id) FROM {connection.ops.quote_name(table)}), 1))",
                [table],
            )


def _analyze(models) -> None:
    """Fresh planner statistics, so lookups choose their indexes on the grown tables.

    On PostgreSQL a VACUUM also sets the visibility map, as autovacuum soon would, so that the
    lookups' index-only scans need not visit the table; VACUUM cannot run inside a transaction
    (a test's), and then only ANALYZE runs.
    """
    tables = [model._meta.db_table for model in models]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            command = "ANALYZE" if connection.in_atomic_block else "VACUUM (ANALYZE)"
            cursor.execute(command + " " + ", ".join(connection.ops.quote_name(t) for t in tables))
        else:
            cursor.execute("PRAGMA analysis_limit=1000")
            for table in tables:
                cursor.execute(f"ANALYZE {connection.ops.quote_name(table)}")


def _table_sizes(models) -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT COALESCE(SUM(reltuples), 0) FROM pg_class WHERE relname = ANY(%s)",
            [[model._meta.db_table for model in models]],
        )
        return max(int(cursor.fetchone()[0]), 0)


@contextlib.contextmanager
def _postgres_bulk_mode(models, *, new_rows: int):
    """On PostgreSQL, check foreign keys with one join per key at the end instead of one
    trigger query per row, and — when the new rows are a large share of the tables — build the
    secondary indexes and unique constraints once, sorted, instead of one random insert per
    row. The rows are valid by construction; this is only faster, and every constraint is
    checked again when it is added back.

    Everything happens inside the caller's transaction (PostgreSQL's DDL is transactional), so
    a failure leaves the tables as they were. Elsewhere this does nothing.
    """
    if connection.vendor != "postgresql":
        yield
        return
    tables = [model._meta.db_table for model in models]
    rebuild_indexes = new_rows * 4 >= _table_sizes(models)
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        # Fire the deferred key checks of rows written earlier in this transaction: a table
        # with pending trigger events cannot be altered.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")
        cursor.execute(
            "SELECT conrelid::regclass::text, conname, contype, pg_get_constraintdef(oid) "
            "FROM pg_constraint WHERE contype IN ('f', 'u') AND conrelid::regclass::text = ANY(%s) "
            "ORDER BY contype",  # f before u: keys go first, come back last
            [tables],
        )
        constraints = [row for row in cursor.fetchall() if row[2] == "f" or rebuild_indexes]
        indexes = []
        if rebuild_indexes:
            cursor.execute(
                "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) FROM pg_index i "
                "WHERE i.indrelid::regclass::text = ANY(%s) AND NOT i.indisprimary "
                "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)",
                [tables],
            )
            indexes = cursor.fetchall()
        for table, name, _kind, _definition in constraints:
            cursor.execute(f"ALTER TABLE {table} DROP CONSTRAINT {quote(name)}")
        for name, _definition in indexes:
            cursor.execute(f"DROP INDEX {name}")
    yield
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        for _name, definition in indexes:
            cursor.execute(definition)
        for table, name, _kind, definition in reversed(constraints):
            cursor.execute(f"ALTER TABLE {table} ADD CONSTRAINT {quote(name)} {definition}")


def _batches(total: int, size: int) -> Iterator[tuple[int, int]]:
    done = 0
    while done < total:
        n = min(size, total - done)
        yield done, n
        done += n


def generate(
    *,
    customers: int,
    products: int,
    seed: int | None = None,
    batch: int = BATCH,
    progress: Callable[[str], None] | None = None,
) -> GenerateResult:
    """Append `customers` customers (each with one or two phones and a default address) and
    `products` owned products. Products belong to the new customers, or to existing ones
    when no customers are asked for. Returns the counts written and the time taken."""
    if customers < 0 or products < 0:
        raise GenerateError("Counts cannot be negative.")
    say = progress or (lambda message: None)
    started = time.perf_counter()
    rng = random.Random(seed)
    now = timezone.now()
    stamp = (
        now.isoformat(sep=" ")
        if connection.vendor == "postgresql"
        else str(connection.ops.adapt_datetimefield_value(now))
    )
    rows = _Rows(rng, stamp, timezone.localdate())
    models = ensure_catalogue()
    if products and not models:
        raise GenerateError("There are no product models and no shipped categories to make them in.")

    customer_start = _next_id(Customer)
    address_start = _next_id(Address)
    product_start = _next_id(OwnedProduct)

    if customers:

        def pick_customer() -> tuple[int, int | None]:
            offset = rng.randrange(customers)
            return customer_start + offset, address_start + offset

    elif products:
        existing = list(Customer.objects.order_by().values_list("id", flat=True))
        if not existing:
            raise GenerateError("There are no customers to give the products to; ask for customers too.")

        def pick_customer() -> tuple[int, int | None]:
            return rng.choice(existing), None

    tables = (Customer, CustomerPhone, Address, OwnedProduct)
    with transaction.atomic(), _postgres_bulk_mode(tables, new_rows=customers * 3 + products):
        first_phone_id = _next_id(CustomerPhone)

        def phone_batches():
            phone_id = first_phone_id
            for done, n in _batches(customers, batch):
                batch_rows = rows.phones(phone_id, customer_start + done, n)
                phone_id += len(batch_rows)
                yield batch_rows

        def product_batches():
            for done, n in _batches(products, batch):
                yield rows.products(product_start + done, n, models=models, pick_customer=pick_customer)
                say(f"products {done + n:,}/{products:,}")

        _write(
            Customer,
            CUSTOMER_COLUMNS,
            (rows.customers(customer_start + done, n) for done, n in _batches(customers, batch)),
        )
        say(f"customers {customers:,}")
        phones_written = _write(CustomerPhone, PHONE_COLUMNS, phone_batches())
        say(f"phones {phones_written:,}")
        _write(
            Address,
            ADDRESS_COLUMNS,
            (
                rows.addresses(address_start + done, customer_start + done, n)
                for done, n in _batches(customers, batch)
            ),
        )
        say(f"addresses {customers:,}")
        _write(OwnedProduct, PRODUCT_COLUMNS, product_batches())
        say("building indexes and checking keys" if connection.vendor == "postgresql" else "committing")
        _reset_sequences(tables)
    say("analyzing")
    _analyze(tables)
    return GenerateResult(
        customers=customers,
        phones=phones_written,
        addresses=customers,
        products=products,
        seconds=time.perf_counter() - started,
    )
