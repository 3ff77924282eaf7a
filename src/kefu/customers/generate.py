"""The archive's generator step: a million customers in a few minutes, timelines included.

Why this bypasses customers.services: the services are the path of user writes — each checks
its input, writes an audit row and a timeline entry, one customer at a time. Benchmark data is
not a user's write: nobody made these changes, so they leave no audit trail, and a million
service calls would take hours. Instead rows are built in Python from word lists (no Faker call
per row) and written set-wise by core.bulk (COPY on PostgreSQL, large `executemany` batches on
SQLite), inside the transaction of core.generation's run. The rows still satisfy every database
constraint (E.164 numbers with their last four digits, one primary phone and one default address
per customer, serial numbers unique per model, warranty ending on or after the purchase), and
each customer's timeline holds what the services would have written: the record opened, each
purchase, and the life events tied to a share of the products, so that benchmarks read a real
timeline.

New rows are appended after the highest existing ids, so a data set can be grown by running
the generator again. Run it on a quiet database: ids are read once at the start.
"""

import array
import datetime
import json
import random
from collections.abc import Callable, Iterator, Sequence

from django.db import connection
from django.utils import timezone

from kefu.core import bulk
from kefu.core.dates import add_months
from kefu.core.generation import Context, GenerateError, GeneratorStep, Option, Written
from kefu.customers import timeline
from kefu.customers.demo import PRODUCT_EVENTS, SPOKEN_NAMES
from kefu.customers.models import (
    Address,
    Customer,
    CustomerEvent,
    CustomerPhone,
    LifeEvent,
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

DAYS_OF_HISTORY = 3650  # purchases spread over the last ten years
SECOND_PHONE_SHARE = 0.25
VIP_SHARE = 0.10
LIFE_EVENT_SHARE = 0.20  # products bought for a moment in the customer's life

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
LIFE_EVENT_COLUMNS = (
    "id",
    "created_at",
    "updated_at",
    "customer_id",
    "product_id",
    "occurred_on",
    "kind",
    "description",
)
EVENT_COLUMNS = (
    "id",
    "customer_id",
    "occurred_at",
    "has_time",
    "kind",
    "actor_id",
    "product_id",
    "subject_type",
    "subject_id",
    "data",
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


# --- Timelines -------------------------------------------------------------------------------


class _Products:
    """What the timeline needs of each product written, kept compactly (8 bytes per number;
    the date strings are shared), in id order from `first_id`."""

    def __init__(self, first_id: int):
        self.first_id = first_id
        self.customer_ids = array.array("q")
        self.model_ids = array.array("q")
        self.purchased_on: list[str] = []

    def keep(self, rows: list[tuple]) -> list[tuple]:
        for row in rows:
            self.customer_ids.append(row[4])
            self.model_ids.append(row[5])
            self.purchased_on.append(row[7])
        return rows

    def __len__(self) -> int:
        return len(self.customer_ids)


class _Timelines:
    """Builds the life events and the timeline entries that the services would have written.

    Which products get a life event is drawn from a random source of its own, seeded once, so
    that the life events' pass and the timeline's pass draw the same products in the same order.
    """

    def __init__(self, *, rows: _Rows, models: Sequence[ProductModel], life_seed: int):
        self.rows = rows
        self.life_seed = life_seed
        self.models = {model.pk: model for model in models}
        self._placed: dict[str, tuple[str, int]] = {}
        self._purchase_data: dict[int, tuple[str, str]] = {}
        self.today = rows.today.isoformat()

    def placed(self, day: str) -> tuple[str, int]:
        """(occurred_at as stored, has_time) of a fact dated `day` (timeline.placed's rule)."""
        found = self._placed.get(day)
        if found is None:
            moment, has_time = timeline.placed(datetime.date.fromisoformat(day))
            found = (self.rows.stamp if has_time else bulk.stamp(moment), int(has_time))
            self._placed[day] = found
        return found

    def _life_draws(self, products: _Products) -> Iterator[tuple[int, str, str]]:
        """(product index, kind, description) of each product bought for a life event."""
        rng = random.Random(self.life_seed)
        for index in range(len(products)):
            if rng.random() < LIFE_EVENT_SHARE:
                kind, text = PRODUCT_EVENTS[rng.randrange(len(PRODUCT_EVENTS))]
                model = self.models[products.model_ids[index]]
                yield index, str(kind), text.format(product=SPOKEN_NAMES.get(model.category.code, "家电"))

    def life_events(self, first_id: int, products: _Products, batch: int) -> Iterator[list[tuple]]:
        stamp, rows = self.rows.stamp, []
        for life_id, (index, kind, description) in enumerate(self._life_draws(products), first_id):
            rows.append(
                (
                    life_id,
                    stamp,
                    stamp,
                    products.customer_ids[index],
                    products.first_id + index,
                    products.purchased_on[index],
                    kind,
                    description,
                )
            )
            if len(rows) == batch:
                yield rows
                rows = []
        if rows:
            yield rows

    def _purchase_json(self, model_id: int, serial: str) -> str:
        parts = self._purchase_data.get(model_id)
        if parts is None:
            model = self.models[model_id]
            whole = json.dumps(
                {"model": model.name, "model_code": model.code, "category": model.category.code},
                ensure_ascii=False,
            )
            parts = (whole[:-1] + ', "serial_number": "', '"}')
            self._purchase_data[model_id] = parts
        return parts[0] + serial + parts[1]

    def entries(
        self,
        first_id: int,
        *,
        customers: range,
        products: _Products,
        first_life_id: int,
        batch: int,
    ) -> Iterator[list[tuple]]:
        """The record opened for each new customer; each purchase, with its life event."""
        event_id, stamp, rows = first_id, self.rows.stamp, []
        for customer_id in customers:
            rows.append(
                (event_id, customer_id, stamp, 1, timeline.CUSTOMER_CREATED, None, None, "", None, "{}")
            )
            event_id += 1
            if len(rows) >= batch:
                yield rows
                rows = []
        draws = self._life_draws(products)
        life = next(draws, None)
        life_id = first_life_id
        PURCHASED, LIFE = timeline.PRODUCT_PURCHASED, timeline.LIFE_EVENT
        product_type = timeline.subject_type(OwnedProduct)
        life_type = timeline.subject_type(LifeEvent)
        for index in range(len(products)):
            product_id = products.first_id + index
            customer_id = products.customer_ids[index]
            day = products.purchased_on[index]
            model = self.models[products.model_ids[index]]
            serial = f"{SERIAL_PREFIX.get(model.category.code, 'KF')}{day[2:4]}{day[5:7]}{product_id:010d}"
            at, has_time = self.placed(day)
            data = self._purchase_json(model.pk, serial)
            rows.append(
                # id, customer, when, has_time, kind, actor, product, subject type and id, data
                (
                    event_id,
                    customer_id,
                    at,
                    has_time,
                    PURCHASED,
                    None,
                    product_id,
                    product_type,
                    product_id,
                    data,
                )
            )
            event_id += 1
            if life is not None and life[0] == index:
                data = json.dumps({"description": life[2], "kind": life[1]}, ensure_ascii=False)
                rows.append(
                    (event_id, customer_id, at, has_time, LIFE, None, product_id, life_type, life_id, data)
                )
                event_id += 1
                life_id += 1
                life = next(draws, None)
            if len(rows) >= batch:
                yield rows
                rows = []
        if rows:
            yield rows


# --- The step --------------------------------------------------------------------------------

TABLES = (Customer, CustomerPhone, Address, OwnedProduct, LifeEvent, CustomerEvent)


def _check(context: Context) -> None:
    customers, products = context.counts["customers"], context.counts["products"]
    if products and not customers and not Customer.objects.exists():
        raise GenerateError("There are no customers to give the products to; ask for customers too.")
    if products and not ensure_catalogue():
        raise GenerateError("There are no product models and no shipped categories to make them in.")


def _write(context: Context) -> Written:
    """Append `customers` customers (each with one or two phones, a default address and the
    entry that opened the record) and `products` owned products (each with its purchase entry;
    a share with a life event). Products belong to the new customers, or to existing ones when
    no customers are asked for."""
    customers, products = context.counts["customers"], context.counts["products"]
    if not customers and not products:
        return Written(rows={"customers": 0, "products": 0}, main=0)
    rng, batch, say = context.rng, context.batch, context.say
    now = timezone.now()
    rows = _Rows(rng, bulk.stamp(now), timezone.localdate(now))
    models = ensure_catalogue() if products else []
    customer_start = bulk.next_id(Customer)
    address_start = bulk.next_id(Address)
    product_start = bulk.next_id(OwnedProduct)

    if customers:

        def pick_customer() -> tuple[int, int | None]:
            offset = rng.randrange(customers)
            return customer_start + offset, address_start + offset

    else:
        existing = list(Customer.objects.order_by().values_list("id", flat=True)) if products else []

        def pick_customer() -> tuple[int, int | None]:
            return rng.choice(existing), None

    kept = _Products(product_start)
    timelines = _Timelines(rows=rows, models=models, life_seed=rng.randrange(2**32))
    new_rows = customers * 4 + products * 2
    with bulk.bulk_mode(TABLES, new_rows=new_rows):
        first_phone_id = bulk.next_id(CustomerPhone)
        first_life_id = bulk.next_id(LifeEvent)
        first_event_id = bulk.next_id(CustomerEvent)

        def phone_batches():
            phone_id = first_phone_id
            for done, n in bulk.batches(customers, batch):
                batch_rows = rows.phones(phone_id, customer_start + done, n)
                phone_id += len(batch_rows)
                yield batch_rows

        def product_batches():
            for done, n in bulk.batches(products, batch):
                yield kept.keep(
                    rows.products(product_start + done, n, models=models, pick_customer=pick_customer)
                )
                say(f"products {done + n:,}/{products:,}")

        bulk.write(
            Customer,
            CUSTOMER_COLUMNS,
            (rows.customers(customer_start + done, n) for done, n in bulk.batches(customers, batch)),
        )
        say(f"customers {customers:,}")
        phones_written = bulk.write(CustomerPhone, PHONE_COLUMNS, phone_batches())
        say(f"phones {phones_written:,}")
        bulk.write(
            Address,
            ADDRESS_COLUMNS,
            (
                rows.addresses(address_start + done, customer_start + done, n)
                for done, n in bulk.batches(customers, batch)
            ),
        )
        say(f"addresses {customers:,}")
        bulk.write(OwnedProduct, PRODUCT_COLUMNS, product_batches())
        life_written = bulk.write(
            LifeEvent, LIFE_EVENT_COLUMNS, timelines.life_events(first_life_id, kept, batch)
        )
        say(f"life events {life_written:,}")
        events_written = bulk.write(
            CustomerEvent,
            EVENT_COLUMNS,
            timelines.entries(
                first_event_id,
                customers=range(customer_start, customer_start + customers),
                products=kept,
                first_life_id=first_life_id,
                batch=batch,
            ),
        )
        say(f"timeline entries {events_written:,}")
        say("building indexes and checking keys" if connection.vendor == "postgresql" else "committing")
        bulk.reset_sequences(TABLES)
    return Written(
        rows={
            "customers": customers,
            "phones": phones_written,
            "addresses": customers,
            "products": products,
            "life events": life_written,
            "timeline entries": events_written,
        },
        main=customers + products,
        tables=TABLES,
    )


ARCHIVE_STEP = GeneratorStep(
    name="customers",
    options=(
        Option(
            "customers", "Customers to add, with phones, a default address and their timeline (default 0)."
        ),
        Option(
            "products",
            "Owned products to add, with their timeline entries; they go to the new customers, or to "
            "existing ones if none (default 0).",
        ),
    ),
    check=_check,
    write=_write,
)
