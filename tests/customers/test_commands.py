"""The archive's management commands: the demo loader, the benchmark data generator, and a
smoke test of the benchmark suite's measurements on a tiny data set (no timing assertions)."""

import datetime
import io

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db.models import Count, F, Q
from django.test import override_settings
from django.utils import timezone

from kefu.accounts.models import User
from kefu.core.generation import generate as generate_all
from kefu.core.masking import national_digits
from kefu.customers import timeline
from kefu.customers.models import (
    Address,
    Customer,
    CustomerEvent,
    CustomerPhone,
    LifeEvent,
    OwnedProduct,
    ProductModel,
)
from kefu.customers.phones import normalise_phone
from tests.factories import customer_with_phone

pytestmark = pytest.mark.django_db


def generate(*, customers: int, products: int, seed: int):
    return generate_all({"customers": customers, "products": products}, seed=seed)


ROLES = ("agent", "supervisor", "technician", "sales", "centre", "manager", "admin")


def load_demo(*args, debug: bool = True) -> str:
    """Run the loader as on a developer's machine (pytest-django turns DEBUG off)."""
    out = io.StringIO()
    with override_settings(DEBUG=debug):
        call_command("load_demo_data", *args, stdout=out)
    return out.getvalue()


# --- load_demo_data ---------------------------------------------------------------------------


def test_demo_creates_one_login_per_role_with_the_demo_password():
    output = load_demo("--customers", "3", "--seed", "1")
    for role in ROLES:
        user = User.objects.get(username=role)
        assert user.check_password(settings.KEFU_DEMO_PASSWORD)
        assert list(user.groups.values_list("name", flat=True)) == [role]
        assert user.display_name
        assert role in output
    assert User.objects.get(username="admin").is_superuser
    assert {u.username for u in User.objects.filter(is_staff=True)} == {"admin", "supervisor", "manager"}
    assert settings.KEFU_DEMO_PASSWORD in output


def test_demo_creates_customers_with_phones_products_life_events_and_timelines():
    load_demo("--customers", "40", "--seed", "7")
    assert Customer.objects.count() == 40
    customers = Customer.objects.annotate(phones_n=Count("phones", distinct=True))
    assert all(1 <= customer.phones_n <= 3 for customer in customers)
    for phone in CustomerPhone.objects.all():
        assert normalise_phone(phone.number) == phone.number
        assert phone.last4 == national_digits(phone.number)[-4:]
    assert Address.objects.filter(is_default=True).count() == 40
    assert len(set(Address.objects.values_list("province", flat=True))) > 5
    products = Customer.objects.annotate(n=Count("products")).values_list("n", flat=True)
    assert all(1 <= n <= 4 for n in products)
    assert Customer.objects.filter(tier="vip").exists()
    assert LifeEvent.objects.filter(product__isnull=False).exists()
    # Written through the services: every product and life event is on its customer's timeline.
    assert (
        CustomerEvent.objects.filter(kind=timeline.PRODUCT_PURCHASED).count() == OwnedProduct.objects.count()
    )
    assert CustomerEvent.objects.filter(kind=timeline.LIFE_EVENT).count() == LifeEvent.objects.count()
    assert CustomerEvent.objects.filter(kind=timeline.CUSTOMER_CREATED).count() == 40
    assert set(ProductModel.objects.values_list("category__code", flat=True)) >= {
        "air_conditioner",
        "washing_machine",
        "refrigerator",
        "water_heater",
        "flat_tv",
        "tv",
        "computer",
        "phone",
        "network_equipment",
    }


def test_demo_refuses_when_debug_is_off():
    with pytest.raises(CommandError, match="--force"):
        load_demo("--customers", "2", debug=False)
    assert not User.objects.filter(username="agent").exists()
    assert not Customer.objects.exists()


def test_demo_runs_without_debug_when_forced():
    load_demo("--customers", "2", "--force", debug=False)
    assert Customer.objects.count() == 2


def test_demo_twice_adds_nothing_and_resets_the_passwords():
    load_demo("--customers", "5", "--seed", "3")
    counts = (Customer.objects.count(), OwnedProduct.objects.count(), User.objects.count())
    agent = User.objects.get(username="agent")
    agent.set_password("changed-by-someone")
    agent.save()
    output = load_demo("--customers", "5", "--seed", "3")
    assert (Customer.objects.count(), OwnedProduct.objects.count(), User.objects.count()) == counts
    assert User.objects.get(username="agent").check_password(settings.KEFU_DEMO_PASSWORD)
    assert "no demo customers added" in output


# --- generate_data ----------------------------------------------------------------------------


def generate_data(*args) -> str:
    out = io.StringIO()
    call_command("generate_data", *args, stdout=out)
    return out.getvalue()


def assert_rows_are_valid():
    for phone in CustomerPhone.objects.all():
        assert phone.number.startswith("+86")
        assert normalise_phone(phone.number) == phone.number
        assert phone.last4 == phone.number[-4:]
    assert not Customer.objects.annotate(primary=Count("phones", filter=Q(phones__is_primary=True))).exclude(
        primary=1
    )
    assert Address.objects.filter(is_default=True).count() == Customer.objects.count()
    assert not OwnedProduct.objects.filter(warranty_ends_on__lt=F("purchased_on")).exists()
    assert not OwnedProduct.objects.filter(serial_number="").exists()
    pairs = OwnedProduct.objects.values_list("model_id", "serial_number")
    assert len(set(pairs)) == len(pairs)
    assert Customer.objects.filter(tier="vip").exists()


def test_generator_creates_exactly_the_requested_rows():
    output = generate_data("--customers", "300", "--products", "600", "--seed", "5")
    assert Customer.objects.count() == 300
    assert OwnedProduct.objects.count() == 600
    assert 300 <= CustomerPhone.objects.count() <= 600
    assert_rows_are_valid()
    assert "300 customers" in output
    assert "rows/s" in output


def test_generator_writes_the_timelines_the_services_would():
    generate(customers=50, products=200, seed=4)
    entries = CustomerEvent.objects.all()
    assert entries.filter(kind=timeline.CUSTOMER_CREATED, has_time=True).count() == 50
    purchases = entries.filter(kind=timeline.PRODUCT_PURCHASED)
    assert purchases.count() == 200
    products = {product.pk: product for product in OwnedProduct.objects.select_related("model__category")}
    for entry in purchases:
        product = products[entry.subject_id]
        assert entry.subject_type == "customers.ownedproduct"
        assert (entry.customer_id, entry.product_id) == (product.customer_id, product.pk)
        assert entry.data == timeline.purchase_entry_data(product)
        assert timezone.localtime(entry.occurred_at).date() == product.purchased_on
        assert entry.has_time is (product.purchased_on == timezone.localdate())
    life_events = LifeEvent.objects.all()
    assert 10 <= life_events.count() <= 80  # a fifth of the products, give or take
    for event in life_events:
        entry = entries.get(kind=timeline.LIFE_EVENT, subject_type="customers.lifeevent", subject_id=event.pk)
        assert entry.data == {"description": event.description, "kind": event.kind}
        assert (event.product.customer_id, event.occurred_on) == (
            event.customer_id,
            event.product.purchased_on,
        )
        assert event.description in timeline.describe(entry)
    # The ids continue where the generator stopped: the services' next entry follows.
    later = timeline.add(customer=Customer.objects.first(), kind=timeline.CUSTOMER_CREATED)
    assert later.pk == entries.exclude(pk=later.pk).order_by("-pk").first().pk + 1


def test_generator_appends_to_existing_data():
    existing = customer_with_phone()
    generate(customers=100, products=150, seed=1)
    generate(customers=50, products=80, seed=1)
    assert Customer.objects.count() == 151
    assert OwnedProduct.objects.count() == 230
    assert_rows_are_valid()
    # Ids continue, and the database's own ids continue after them.
    later = customer_with_phone("+8613900001111")
    assert later.pk > Customer.objects.exclude(pk=later.pk).order_by("-pk").first().pk
    assert existing.phones.count() == 1


def test_generator_gives_products_to_existing_customers_when_asked_for_none():
    generate(customers=20, products=0, seed=2)
    generate(customers=0, products=40, seed=2)
    assert OwnedProduct.objects.count() == 40
    assert OwnedProduct.objects.values("customer").distinct().count() > 1


def test_generator_knows_no_option_that_no_app_registered():
    with pytest.raises(CommandError, match="--visits"):
        generate_data("--customers", "10", "--visits", "5")
    assert not Customer.objects.exists()


# --- the benchmark suite's measurements -------------------------------------------------------


def test_bench_measurements_run_on_a_tiny_data_set():
    from bench import customer_page, dataset, lookup, plans
    from bench import generate as generator_figures

    result = generate(customers=60, products=120, seed=3)
    customer_id = dataset._page_customer(datetime.date.today())
    dataset._agent()
    assert OwnedProduct.objects.filter(customer_id=customer_id).count() == dataset.PAGE_PRODUCTS

    figures = lookup.measure(samples=10)
    names = {figure.name for figure in figures}
    assert "hotline lookup by full phone: p95" in names
    assert "hotline lookup by last four digits: p95" in names
    assert not any("no match" in name for name in names)

    sample = lookup.sample_numbers(1)[0]
    plan_figures, found = plans.check(
        {"full phone": sample[0], "last four digits": sample[1], "name prefix": "王"}
    )
    assert set(found) == {"full phone", "last four digits", "name prefix"}
    assert len(plan_figures) == 3

    page_figures, how = customer_page.measure(customer_id, dataset.AGENT_USERNAME, repeats=2)
    queries = next(f for f in page_figures if f.unit == "queries")
    assert queries.value > 0
    assert how

    marker = {
        "customers": 60,
        "products": 120,
        "generator": {
            "seconds": result.seconds,
            "rows": result.rows,
            "customers_products_per_second": result.main_rows_per_second,
        },
    }
    on_postgres = generator_figures.figures(marker, "postgresql")
    on_sqlite = generator_figures.figures(marker, "sqlite")
    assert [figure.met for figure in on_postgres][1] is (result.seconds < 300)
    assert [figure.met for figure in on_sqlite] == [None, None]  # the target is PostgreSQL's


def test_every_demo_landline_is_a_real_number():
    """make run loads a new random archive each time: no draw may be one the service refuses."""
    from kefu.customers.demo import _Maker
    from kefu.customers.phones import normalise_phone
    from kefu.customers.samples import AREA_CODES

    maker = _Maker(seed=7, today=datetime.date(2026, 11, 23))
    for city in AREA_CODES:
        for _ in range(200):
            normalise_phone(maker.landline(city))
