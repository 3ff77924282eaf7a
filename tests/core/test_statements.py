"""core.db.statements.Prepared: a queryset compiled once answers as the queryset would — the same
instance with its select_related relations and annotations — for any values, and None when no
row matches; the stand-ins never reach the database."""

import pytest
from django.db import connection
from django.db.models import Value
from django.test.utils import CaptureQueriesContext

from kefu.core.db.statements import Prepared
from kefu.customers.models import Customer, OwnedProduct
from tests.factories import OwnedProductFactory

pytestmark = pytest.mark.django_db

PRODUCT = Prepared(
    lambda slot: OwnedProduct.objects.select_related("model__category").filter(pk=slot.number("id"))
)
NAMED = Prepared(
    lambda slot: Customer.objects.annotate(flag=Value("x")).filter(
        name=slot.text("name"), tier=slot.text("tier")
    )
)


def test_a_prepared_read_gives_the_querysets_instance_with_its_relations():
    products = [OwnedProductFactory(), OwnedProductFactory()]
    for product in products:
        expected = OwnedProduct.objects.select_related("model__category").get(pk=product.pk)
        with CaptureQueriesContext(connection) as queries:
            found = PRODUCT.first(id=product.pk)
            category = found.model.category
        assert len(queries) == 1
        assert found == expected
        assert found._state.adding is False
        assert found._state.db == "default"
        for field in OwnedProduct._meta.concrete_fields:
            assert getattr(found, field.attname) == getattr(expected, field.attname)
        assert found.model == expected.model
        assert category == expected.model.category
    assert PRODUCT.first(id=-1) is None


def test_text_stand_ins_and_annotations():
    product = OwnedProductFactory()
    customer = product.customer
    found = NAMED.first(name=customer.name, tier=customer.tier)
    assert found == customer
    assert found.flag == "x"
    assert NAMED.first(name=customer.name, tier="nobody") is None


def test_a_builder_that_loses_a_stand_in_is_refused():
    broken = Prepared(lambda slot: (slot.number("id"), Customer.objects.all())[1])
    with pytest.raises(ValueError, match="stand-ins"):
        broken.first(id=1)


def test_insert_writes_the_rows_bulk_create_would_and_sets_their_keys():
    from kefu.core.db.statements import insert
    from kefu.core.models import IdempotencyKey
    from tests.factories import make_user

    user = make_user(None, username="insert-tester")
    rows = [
        IdempotencyKey(user=user, key=f"k{index}", fingerprint="f" * 64, status=201, response={"id": index})
        for index in range(3)
    ]
    with CaptureQueriesContext(connection) as queries:
        insert(rows)
    assert len(queries) == 1
    assert all(row.pk is not None and not row._state.adding for row in rows)
    stored = {row.key: row for row in IdempotencyKey.objects.filter(user=user)}
    assert [stored[row.key].pk for row in rows] == [row.pk for row in rows]
    assert stored["k2"].response == {"id": 2}
    assert stored["k0"].created_at == rows[0].created_at
