"""Data migrations of the archive, run against rows written the old way."""

import importlib
import json

import pytest
from django.apps import apps
from django.contrib.contenttypes.models import ContentType

from kefu.accounts.models import User
from kefu.core.masking import redact_phone
from kefu.core.models import AuditAction, AuditEvent
from tests.factories import customer_with_phone

pytestmark = pytest.mark.django_db

redaction = importlib.import_module("kefu.customers.migrations.0003_redact_audited_phones")

# The search reads as a user who may see every customer.
READER = User(username="reader", is_active=True, is_superuser=True)


def old_row(obj, changes, action=AuditAction.UPDATE):
    return AuditEvent.objects.create(
        action=action,
        target_type=ContentType.objects.get_for_model(obj),
        target_id=str(obj.pk),
        target_repr=str(obj),
        changes=changes,
    )


def test_numbers_kept_in_clear_by_earlier_versions_are_redacted_once():
    customer = customer_with_phone("+8613812345678")
    phone = customer.phones.get()
    created = old_row(
        customer, {"name": [None, "陈女士"], "phones": [None, ["+8613812345678"]]}, AuditAction.CREATE
    )
    changed = old_row(customer, {"phones": [["+8613812345678"], ["+8613987654321", "+862788881234"]]})
    inline = old_row(phone, {"number": ["+8613812345678", "+8613987654321"], "last4": ["5678", "4321"]})
    untouched = old_row(customer, {"tier": ["regular", "vip"]})

    redaction.redact(apps, None)
    once = {row.pk: row.changes for row in AuditEvent.objects.all()}
    redaction.redact(apps, None)

    assert {row.pk: row.changes for row in AuditEvent.objects.all()} == once
    for row in (created, changed, inline, untouched):
        row.refresh_from_db()
    assert created.changes == {"name": [None, "陈女士"], "phones": [None, [redact_phone("+8613812345678")]]}
    assert changed.changes["phones"][1] == [redact_phone("+8613987654321"), redact_phone("+862788881234")]
    assert inline.changes["number"] == [redact_phone("+8613812345678"), redact_phone("+8613987654321")]
    assert untouched.changes == {"tier": ["regular", "vip"]}
    trail = json.dumps(list(AuditEvent.objects.values_list("changes", flat=True)))
    for digits in ("13812345678", "13987654321", "88881234"):
        assert digits not in trail


name_index = importlib.import_module("kefu.customers.migrations.0005_name_search_index")


class Editor:
    """What the migration's functions use of a schema editor, inside the test's transaction."""

    def __init__(self):
        from django.db import connection

        self.connection = connection

    def execute(self, sql, params=None):
        with self.connection.cursor() as cursor:
            cursor.execute(sql, params)


def name_index_objects() -> set[str]:
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT indexname FROM pg_indexes WHERE tablename = 'customers_customer'")
        else:
            cursor.execute("SELECT name FROM sqlite_master WHERE name LIKE 'customers_customer_name_fts%'")
        return {row[0] for row in cursor.fetchall()}


def test_the_name_index_is_built_for_names_written_before_it_and_kept_after():
    from django.db import connection

    from kefu.customers.selectors import find_customers

    expected = (
        {"customer_name_trgm_idx"}
        if connection.vendor == "postgresql"
        else {
            "customers_customer_name_fts",
            "customers_customer_name_fts_insert",
            "customers_customer_name_fts_delete",
            "customers_customer_name_fts_update",
        }
    )
    assert expected <= name_index_objects()  # made by migrate, on either database

    name_index.backward(apps, Editor())
    assert not expected & name_index_objects()
    earlier = customer_with_phone("+8613800000001", name="梁兰英")
    if connection.vendor == "postgresql":
        # Check the new row's deferred foreign keys now, as its commit would: PostgreSQL builds
        # no index on a table with checks pending in the same transaction.
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    name_index.forward(apps, Editor())
    later = customer_with_phone("+8613800000002", name="欧阳兰英")

    assert expected <= name_index_objects()
    assert [c.pk for c in find_customers("兰英", user=READER).page.items] == [earlier.pk, later.pk]
    assert [c.pk for c in find_customers("阳兰英", user=READER).page.items] == [later.pk]
