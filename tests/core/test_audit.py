"""The audit trail's helpers: what they record, and that they record nothing when nothing changed."""

import datetime

import pytest
from django.contrib.contenttypes.models import ContentType

from kefu.core import audit
from kefu.core.models import AuditAction, AuditEvent
from kefu.customers.models import OwnedProduct
from tests.factories import OwnedProductFactory, customer_with_phone

pytestmark = pytest.mark.django_db


def test_snapshot_reads_foreign_keys_by_id_and_dates_as_text(django_assert_num_queries):
    product = OwnedProductFactory()
    product = type(product).objects.get(pk=product.pk)
    with django_assert_num_queries(0):
        values = audit.snapshot(product, ["customer", "purchased_on", "serial_number"])
    assert values == {
        "customer": product.customer_id,
        "purchased_on": product.purchased_on.isoformat(),
        "serial_number": product.serial_number,
    }


def test_diff_lists_only_the_fields_that_changed():
    assert audit.diff({"a": 1, "b": 2}, {"a": 1, "b": 3}) == {"b": [2, 3]}
    assert audit.diff({"a": 1}, {"a": 1}) == {}


def test_record_update_writes_nothing_when_nothing_changed(agent):
    customer = customer_with_phone()
    before = audit.snapshot(customer, ["name", "tier"])
    changes = audit.record_update(actor=agent, obj=customer, before=before)
    assert changes == {}
    assert not AuditEvent.objects.exists()


def test_record_update_writes_before_and_after_of_each_changed_field(agent):
    customer = customer_with_phone(name="陈静")
    before = audit.snapshot(customer, ["name", "tier"])
    customer.name = "陈晓静"
    audit.record_update(actor=agent, obj=customer, before=before, reason="typo")
    event = AuditEvent.objects.get()
    assert (event.action, event.actor, event.reason) == (AuditAction.UPDATE, agent, "typo")
    assert event.changes == {"name": ["陈静", "陈晓静"]}
    assert event.target_repr == "陈晓静"


def test_record_create_and_delete_keep_the_values(agent):
    customer = customer_with_phone(name="王芳")
    audit.record_create(actor=agent, obj=customer, fields=["name"], extra={"phones": ["+8613812345678"]})
    audit.record_delete(actor=agent, obj=customer, fields=["name"])
    created, deleted = AuditEvent.objects.order_by("id")
    assert created.changes == {"name": [None, "王芳"], "phones": [None, ["+8613812345678"]]}
    assert (deleted.action, deleted.changes) == (AuditAction.DELETE, {"name": ["王芳", None]})
    assert deleted.target_id == str(customer.pk)


def test_an_anonymous_actor_is_recorded_as_nobody():
    from django.contrib.auth.models import AnonymousUser

    customer = customer_with_phone()
    audit.record(actor=AnonymousUser(), action=AuditAction.UPDATE, obj=customer, changes={"x": [1, 2]})
    assert AuditEvent.objects.get().actor is None


def test_record_reveal_writes_one_row_per_record_in_one_query(agent, django_assert_num_queries):
    customers = [customer_with_phone(number=f"+86138000000{n:02d}") for n in range(3)]
    audit.record_reveal(actor=agent, objs=customers[:1], fields=["phones"])  # warms the content type cache
    AuditEvent.objects.all().delete()
    with django_assert_num_queries(1):
        count = audit.record_reveal(actor=agent, objs=customers, fields=["phones"], reason="call back")
    assert count == 3
    rows = AuditEvent.objects.filter(action=AuditAction.REVEAL)
    assert sorted(rows.values_list("target_id", flat=True)) == sorted(str(c.pk) for c in customers)
    assert {tuple(row.changes["fields"]) for row in rows} == {("phones",)}
    assert set(rows.values_list("reason", flat=True)) == {"call back"}


def test_record_reveal_of_nothing_writes_nothing(agent):
    assert audit.record_reveal(actor=agent, objs=[], fields=["phones"]) == 0
    assert not AuditEvent.objects.exists()


# --- Set-based sweeps ------------------------------------------------------------------------


def test_a_sweep_run_is_one_audit_row_with_its_counts_and_criteria(django_assert_num_queries):
    ContentType.objects.get_for_model(OwnedProduct)  # Django caches the record types
    with django_assert_num_queries(1):
        event = audit.record_sweep(
            name="care.birthday_sweep",
            model=OwnedProduct,
            counts={"reminded": 1200, "skipped": 3},
            criteria={"on": datetime.date(2026, 11, 24)},
            id_range=(10, 99_000),
        )
    assert AuditEvent.objects.count() == 1
    assert (event.action, event.target_type.model, event.target_id, event.actor) == (
        AuditAction.UPDATE,
        "ownedproduct",
        "",
        None,
    )
    assert event.target_repr == "care.birthday_sweep"
    assert event.changes == {
        "sweep": "care.birthday_sweep",
        "counts": {"reminded": 1200, "skipped": 3},
        "criteria": {"on": "2026-11-24"},
        "ids": [10, 99_000],
    }


def test_a_sweep_run_that_changed_nothing_writes_no_row():
    assert audit.record_sweep(name="care.birthday_sweep", model=OwnedProduct, counts={"reminded": 0}) is None
    assert not AuditEvent.objects.exists()
