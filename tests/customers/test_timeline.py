"""The customer timeline: real times for what happened today, dates for dated facts, the
registries apps add their kinds and sources to, and the subject types' migration."""

import datetime
import importlib
from dataclasses import dataclass

import pytest
from django.apps import apps
from django.core.exceptions import ImproperlyConfigured
from django.urls import reverse
from django.utils import timezone

from kefu.core.errors import InvalidRequest
from kefu.customers import services, timeline
from kefu.customers.models import CustomerEvent
from kefu.customers.selectors import customer_timeline
from tests.factories import ProductModelFactory

pytestmark = pytest.mark.django_db

migration = importlib.import_module("kefu.customers.migrations.0006_timeline_subject_types_and_times")
LONG_AGO = datetime.date(2023, 5, 20)


@pytest.fixture
def customer(agent):
    return services.create_customer(by=agent, name="陈静", phones=["13812345678"])


def buy(agent, customer, on, serial="SN1"):
    return services.register_product(
        by=agent, customer=customer, model=ProductModelFactory(), serial_number=serial, purchased_on=on
    )


# --- When entries happened --------------------------------------------------------------------


def test_a_fact_dated_today_takes_its_time_of_recording_and_sorts_at_the_top(agent, customer):
    before = timezone.now()
    product = buy(agent, customer, timezone.localdate())
    services.record_life_event(
        by=agent, customer=customer, occurred_on=LONG_AGO, description="乔迁新居", kind="move"
    )
    entries = customer_timeline(customer, user=agent).items

    assert [entry.kind for entry in entries] == ["product_purchased", "customer_created", "life_event"]
    bought = entries[0]
    assert bought.subject_id == product.pk
    assert bought.has_time is True
    assert before <= bought.occurred_at <= timezone.now()  # not noon: the moment it was recorded
    moved = entries[2]
    assert moved.has_time is False
    assert timezone.localtime(moved.occurred_at).date() == LONG_AGO


def test_the_page_shows_a_time_only_for_entries_that_have_one(agent_client, agent, customer):
    buy(agent, customer, LONG_AGO)
    response = agent_client.get(reverse("customers:detail", args=[customer.pk]))
    html = response.content.decode()
    opened = customer.events.get(kind=timeline.CUSTOMER_CREATED)
    assert f">{timezone.localtime(opened.occurred_at):%Y-%m-%d %H:%M}</time>" in html
    assert '<time datetime="2023-05-20">2023-05-20</time>' in html
    assert "2023-05-20 12:00" not in html


def test_the_api_says_which_entries_have_a_time(agent_client, agent, customer):
    buy(agent, customer, LONG_AGO)
    items = agent_client.get(f"/api/v1/customers/{customer.pk}/timeline").json()["items"]
    assert [(item["kind"], item["has_time"]) for item in items] == [
        ("customer_created", True),
        ("product_purchased", False),
    ]


def test_correcting_a_product_keeps_its_entry_in_place_unless_the_date_changed(agent, customer):
    product = buy(agent, customer, timezone.localdate())
    entry = CustomerEvent.objects.get(subject_type="customers.ownedproduct", subject_id=product.pk)
    services.update_product(by=agent, product_id=product.pk, version=1, changes={"serial_number": "SN2"})
    corrected = CustomerEvent.objects.get(pk=entry.pk)
    assert (corrected.occurred_at, corrected.has_time) == (entry.occurred_at, True)
    assert corrected.data["serial_number"] == "SN2"

    services.update_product(by=agent, product_id=product.pk, version=2, changes={"purchased_on": LONG_AGO})
    moved = CustomerEvent.objects.get(pk=entry.pk)
    assert moved.has_time is False
    assert timezone.localtime(moved.occurred_at) == timezone.make_aware(datetime.datetime(2023, 5, 20, 12))


# --- The registries ---------------------------------------------------------------------------


@pytest.fixture
def registries(monkeypatch):
    """The registries as the apps left them, restored after the test."""
    for name in ("KINDS", "FILTERS", "SOURCES"):
        monkeypatch.setattr(timeline, name, dict(getattr(timeline, name)))


def test_the_archive_registers_its_kinds_filters_and_source_from_its_app_config():
    assert {"customer_created", "product_purchased", "life_event"} <= set(timeline.KINDS)
    assert timeline.FILTERS["products"].kinds == ("product_purchased",)
    assert timeline.SOURCES[timeline.OWN_SOURCE]


def test_a_kind_registered_twice_or_in_an_unknown_filter_is_refused(registries):
    with pytest.raises(ImproperlyConfigured):
        timeline.register_kind("product_purchased", describe=str, label="x")
    with pytest.raises(ImproperlyConfigured):
        timeline.register_kind("visit_booked", describe=str, label="x", filter="visits")
    with pytest.raises(ImproperlyConfigured):
        timeline.register_source(timeline.OWN_SOURCE, lambda *a, **k: [])


@dataclass
class FakeVisitEvent:
    pk: int
    occurred_at: datetime.datetime
    kind: str = "visit_booked"
    has_time: bool = True
    data: dict | None = None
    actor = None
    actor_id = None
    product_id = None


def test_a_registered_source_is_merged_into_the_timeline_page_by_page(
    registries, agent, customer, django_assert_num_queries
):
    """An event table of another app beside the timeline's own (decision 0016), here held in
    memory. The tickets' real source is left out, so that only the two are read."""
    del timeline.SOURCES["tickets"]
    opened = customer.events.get().occurred_at
    tickets = [
        FakeVisitEvent(pk, opened + datetime.timedelta(minutes=minutes), data={"n": pk})
        for pk, minutes in ((3, 30), (2, 0), (1, -30))  # newest first; #2 at the very same instant
    ]
    asked = []

    def read(customer_, *, user, kinds, bound, limit):
        asked.append(bound)
        rows = [e for e in tickets if bound is None or e.occurred_at < bound.at or _within(e, bound)]
        return rows[:limit]

    def _within(entry, bound):
        return entry.occurred_at == bound.at and (bound.through_at or (bound.id and entry.pk < bound.id))

    timeline.register_filter("visits", label="Visits")
    timeline.register_kind(
        "visit_booked",
        describe=lambda data: f"visit {data['n']}",
        label="x",
        filter="visits",
        source="visits",
    )
    timeline.register_source("visits", read)
    buy(agent, customer, LONG_AGO)

    seen, cursor = [], None
    assert agent.has_perm("customers.view_customer")
    while True:
        with django_assert_num_queries(1):  # the own table's one query; the fake source makes none
            page = customer_timeline(customer, user=agent, cursor=cursor, limit=2)
        seen += [(entry.kind, timeline.describe(entry)) for entry in page.items]
        if not page.next_cursor:
            break
        cursor = page.next_cursor

    assert [kind for kind, _text in seen] == [
        "visit_booked",
        "visit_booked",  # the same instant as the record's opening: "visits" sorts above "customers"
        "customer_created",
        "visit_booked",
        "product_purchased",
    ]
    assert [text for _kind, text in seen if _kind == "visit_booked"] == ["visit 3", "visit 2", "visit 1"]

    asked.clear()
    with django_assert_num_queries(1):
        only_products = customer_timeline(customer, user=agent, kinds=("product_purchased",))
    assert [entry.kind for entry in only_products.items] == ["product_purchased"]
    assert asked == []  # a source holding none of the asked-for kinds is not read


def test_a_cursor_the_timeline_did_not_issue_is_refused(agent, customer):
    with pytest.raises(InvalidRequest):
        customer_timeline(customer, user=agent, cursor="bm90LWEtY3Vyc29y.xyz")


# --- The migration ----------------------------------------------------------------------------


def test_the_migration_qualifies_subject_types_and_gives_dated_entries_their_times(agent, customer):
    today_product = buy(agent, customer, timezone.localdate(), serial="SN1")
    old_product = buy(agent, customer, LONG_AGO, serial="SN2")
    noon_today = timezone.make_aware(datetime.datetime.combine(timezone.localdate(), datetime.time(12)))
    # As earlier versions wrote them: bare model names, everything dated at noon, with a time.
    CustomerEvent.objects.filter(subject_id=today_product.pk).update(
        subject_type="ownedproduct", occurred_at=noon_today, has_time=True
    )
    CustomerEvent.objects.filter(subject_id=old_product.pk).update(subject_type="ownedproduct", has_time=True)

    migration.forwards(apps, None)

    today_entry = CustomerEvent.objects.get(subject_id=today_product.pk)
    old_entry = CustomerEvent.objects.get(subject_id=old_product.pk)
    assert {today_entry.subject_type, old_entry.subject_type} == {"customers.ownedproduct"}
    assert (today_entry.occurred_at, today_entry.has_time) == (today_product.created_at, True)
    assert old_entry.has_time is False
    assert timezone.localtime(old_entry.occurred_at).date() == LONG_AGO
    assert customer.events.get(kind=timeline.CUSTOMER_CREATED).subject_type == ""

    migration.forwards(apps, None)  # a second run changes nothing
    assert CustomerEvent.objects.get(pk=today_entry.pk).occurred_at == today_product.created_at
