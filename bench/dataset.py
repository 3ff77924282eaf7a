"""Build, or reuse, the data set a benchmark measures (runs inside a configured Django).

A data set is made once per size and database with core.generation (the code behind
`manage.py generate_data`: every app's step, customers' with their timelines, tickets' with
theirs; SQLite's holds at most SQLITE_TICKETS tickets), plus one
customer with 200 products and life events written through the services (for the 360° page),
and a benchmark agent login. A marker file beside
the data records what was built and the generator's figures, so later runs reuse it.
"""

import datetime
import json
import time
from pathlib import Path

from django.core.management import call_command
from django.db import connection

from bench import SEED, SIZES, SQLITE_TICKETS, CpuMeter, load_average, marker_path, read_marker

PAGE_CUSTOMER_NAME = "全景测试客户"
PAGE_PRODUCTS = 200
PAGE_LIFE_EVENTS = 20
AGENT_USERNAME = "bench-agent"


def _page_customer(today: datetime.date) -> int:
    """A customer with 200 products and some life events, written through the services."""
    from kefu.customers import services
    from kefu.customers.models import Customer, ProductModel

    existing = Customer.objects.filter(name=PAGE_CUSTOMER_NAME).order_by("id").first()
    if existing:
        return existing.pk
    customer = services.create_customer(
        by=None,
        name=PAGE_CUSTOMER_NAME,
        phones=["13900000200", "02787880200"],
        tier="vip",
        addresses=[{"province": "湖北省", "city": "武汉市", "district": "洪山区", "detail": "珞喻路 200 号"}],
        consents={"service": True, "care": True},
    )
    models = list(ProductModel.objects.select_related("category").order_by("id"))
    products = []
    for index in range(PAGE_PRODUCTS):
        products.append(
            services.register_product(
                by=None,
                customer=customer,
                model=models[index % len(models)],
                purchased_on=today - datetime.timedelta(days=17 * index + 1),
                serial_number=f"BENCH360{index:05d}",
                notes="基准测试用产品",
            )
        )
    for index in range(PAGE_LIFE_EVENTS):
        services.record_life_event(
            by=None,
            customer=customer,
            occurred_on=products[index * 5].purchased_on
            if index % 2
            else today - datetime.timedelta(days=400),
            description="女儿出生那天买的" if index % 2 else "乔迁新居",
            kind="birth" if index % 2 else "move",
            product=products[index * 5] if index % 2 else None,
        )
    return customer.pk


def _agent() -> None:
    from django.contrib.auth.models import Group

    from kefu.accounts.models import User

    user, _created = User.objects.get_or_create(
        username=AGENT_USERNAME, defaults={"display_name": "基准客服"}
    )
    user.groups.add(Group.objects.get(name="agent"))


def ensure(size: str, var_dir: Path, say, *, tickets: int | None = None) -> dict:
    """The marker of a ready data set of `size` (with `tickets` tickets instead of the size's
    when given), building it first when needed."""
    from kefu.core.generation import generate
    from kefu.customers.models import Customer

    customers, products, size_tickets = SIZES[size]
    if tickets is None:
        tickets = size_tickets if connection.vendor == "postgresql" else min(size_tickets, SQLITE_TICKETS)
    marker = read_marker(var_dir)
    call_command("migrate", verbosity=0)
    if (
        marker
        and marker.get("size") == size
        and marker.get("tickets", tickets) == tickets
        and Customer.objects.filter(pk=marker.get("page_customer_id")).exists()
    ):
        say(
            f"reusing the {size} data set ({marker['customers']:,} customers, "
            f"{marker['products']:,} products, {marker.get('tickets', 0):,} tickets)"
        )
        return marker
    if Customer.objects.exists():
        raise SystemExit(
            f"{connection.settings_dict['NAME']} holds data but no marker: remove it (bench does this "
            "for its own databases when the marker is missing) or choose another database."
        )
    say(
        f"building the {size} data set: {customers:,} customers, {products:,} products, {tickets:,} tickets …"
    )
    started = time.perf_counter()
    steps: dict[str, float] = {}
    # (seconds, what was done, load average then, the backend's CPU seconds so far)
    log: list[tuple[float, str, str, float | None]] = []
    cpu = CpuMeter()

    def progress(message: str) -> None:
        # The tickets step says "tickets: starting" first: the time before it is the archive's.
        if message.startswith("tickets: starting"):
            steps["archive"] = time.perf_counter() - started
        elif message == "analyzing":
            steps["tickets"] = time.perf_counter() - started - steps.get("archive", 0.0)
        seconds = time.perf_counter() - started
        backend = cpu.used()["backend"]
        log.append((round(seconds, 1), message, load_average(), backend))
        say(
            f"  {seconds:7.1f} s  {message}  (load {load_average()}"
            + ("" if backend is None else f"; backend CPU {backend:.1f} s")
            + ")"
        )

    load_before = load_average()
    result = generate(
        {"customers": customers, "products": products, "tickets": tickets}, seed=SEED, progress=progress
    )
    if "tickets" in steps:
        steps["statistics"] = result.seconds - steps["archive"] - steps["tickets"]
    used = cpu.used()
    say(
        f"  generated in {result.seconds:.1f} s "
        f"({result.main_rows_per_second:,.0f} customers+products+tickets/s, {result.rows:,} rows); "
        f"CPU: this process {used['process']:.1f} s, PostgreSQL's backend "
        + ("–" if used["backend"] is None else f"{used['backend']:.1f} s")
        + f"; load average {load_before} before, {load_average()} after"
    )
    started = time.perf_counter()
    page_customer_id = _page_customer(datetime.date.today())
    _agent()
    say(
        f"  360° customer with {PAGE_PRODUCTS} products written through the services in "
        f"{time.perf_counter() - started:.1f} s"
    )
    marker = {
        "size": size,
        "customers": customers,
        "products": products,
        "tickets": tickets,
        "seed": SEED,
        "page_customer_id": page_customer_id,
        "generator": {
            "seconds": result.seconds,
            "rows": result.rows,
            "customers_products_per_second": result.main_rows_per_second,
            "main_rows_per_second": result.main_rows_per_second,
            "steps": steps,
            "cpu_seconds": used,
            "load_average": {"before": load_before, "after": load_average()},
            "log": log,
            "rows_by_kind": {kind: result.count(kind) for kind in ("ticket events", "comments", "transfers")},
        },
        "built_at": datetime.datetime.now().isoformat(timespec="seconds"),
    }
    marker_path(var_dir).write_text(json.dumps(marker, indent=2))
    return marker
