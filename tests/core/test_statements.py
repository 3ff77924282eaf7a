"""core.db.statements.Prepared: a queryset compiled once answers as the queryset would — the same
instance with its select_related relations and annotations — for any values, and None when no
row matches; the stand-ins never reach the database. `insert` writes what bulk_create would, and
`batched` keeps the writes nobody reads back to its end."""

import pytest
from django.db import connection, transaction
from django.db.models import Value
from django.test.utils import CaptureQueriesContext

from kefu.core.db.statements import Prepared, batched, executable, execute_later
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


# --- batched(): the writes nobody reads back, sent together at the block's end -----------------


def _key(user, name: str):
    from kefu.core.models import IdempotencyKey

    return IdempotencyKey(user=user, key=name, fingerprint="f" * 64, status=201, response={"key": name})


def _verb(sql: str) -> str:
    """The statement's first word; for `EXECUTE kefu_N(…)` (PostgreSQL) the prepared statement's."""
    if not sql.startswith("EXECUTE "):
        return sql.split()[0]
    name = sql.removeprefix("EXECUTE ").split("(")[0]
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements WHERE name = %s", [name])
        (statement,) = cursor.fetchone()
    return statement.split(" AS ", 1)[1].split()[0]


def test_writes_left_to_the_end_of_a_batch_are_written_there_in_order_and_get_their_keys():
    from kefu.core.db.statements import batched, execute_later, insert
    from kefu.core.models import IdempotencyKey
    from tests.factories import make_user

    user = make_user(None, username="batch-tester")
    first, second, now = _key(user, "first"), _key(user, "second"), _key(user, "now")
    with CaptureQueriesContext(connection) as queries, batched():
        insert([first], wait=False)
        execute_later(
            "UPDATE core_idempotencykey SET status = %s WHERE key = %s", [202, "first"]
        )  # after the insert it follows
        insert([second], wait=False)
        assert (first.pk, second.pk) == (None, None)
        assert IdempotencyKey.objects.filter(user=user).count() == 0  # nothing sent yet
        insert([now])  # waited for: written at once
        assert now.pk is not None
    # On PostgreSQL the three are one script, sent at once; elsewhere three statements.
    last = (
        queries[-1]["sql"]
        if connection.vendor == "postgresql"
        else ";\n".join(q["sql"] for q in queries[-3:])
    )
    assert [_verb(part) for part in last.split(";\n")] == ["INSERT", "UPDATE", "INSERT"]
    assert first.pk is not None
    assert second.pk is not None
    assert not second._state.adding
    stored = dict(IdempotencyKey.objects.filter(user=user).values_list("key", "status"))
    assert stored == {"first": 202, "second": 201, "now": 201}


def test_a_batched_write_that_fails_fails_at_the_end_as_djangos_error():
    from django.db import IntegrityError, transaction

    from kefu.core.db.statements import batched, insert
    from tests.factories import make_user

    user = make_user(None, username="batch-clash")
    insert([_key(user, "taken")])
    reached_the_end = []

    def clash():
        with transaction.atomic(), batched():
            insert([_key(user, "taken")], wait=False)  # the unique (user, key) again
            reached_the_end.append(True)

    with pytest.raises(IntegrityError):
        clash()
    assert reached_the_end == [True]


def test_a_batch_that_raises_sends_nothing_and_outside_a_batch_nothing_waits():
    from kefu.core.db.statements import batched, execute_later, insert
    from kefu.core.models import IdempotencyKey
    from tests.factories import make_user

    user = make_user(None, username="batch-raise")

    def broken():
        with batched():
            insert([_key(user, "never")], wait=False)
            raise RuntimeError("the block fails before its end")

    with pytest.raises(RuntimeError):
        broken()
    assert not IdempotencyKey.objects.filter(user=user).exists()
    alone = _key(user, "alone")
    insert([alone], wait=False)  # no batch: written at once
    execute_later("UPDATE core_idempotencykey SET status = %s WHERE key = %s", [204, "alone"])
    assert IdempotencyKey.objects.get(pk=alone.pk).status == 204


# --- Statements prepared on the server (PostgreSQL, decision 0039) ------------------------------


def _prepared_names() -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT name FROM pg_prepared_statements WHERE name LIKE 'kefu\\_%%'")
        return {name for (name,) in cursor.fetchall()}


@pytest.mark.postgresql
def test_on_postgresql_a_prepared_read_is_prepared_once_per_connection_and_executed():
    product = OwnedProductFactory()
    with CaptureQueriesContext(connection) as queries:
        assert PRODUCT.first(id=product.pk) == product
        assert PRODUCT.first(id=product.pk) == product
    # The PREPARE is not one of the request's statements; both reads execute the prepared one.
    assert len(queries) == 2
    assert all(query["sql"].startswith("EXECUTE kefu_") for query in queries.captured_queries)
    assert (
        queries.captured_queries[0]["sql"].split("(")[0] == queries.captured_queries[1]["sql"].split("(")[0]
    )
    name = queries.captured_queries[0]["sql"].split("(")[0].removeprefix("EXECUTE ")
    assert name in _prepared_names()


@pytest.mark.postgresql
def test_behind_a_pooler_in_transaction_mode_nothing_is_prepared_on_the_server(settings):
    """DB_PREPARE_ON_SERVER=0: a pooler such as PgBouncer hands each transaction another server
    connection, where a statement prepared on the last one does not exist; the statements then go
    as they are, with the same answers."""
    settings.KEFU_PREPARE_ON_SERVER = False
    product = OwnedProductFactory()
    before = _prepared_names()
    with CaptureQueriesContext(connection) as queries:
        assert PRODUCT.first(id=product.pk) == product
        with transaction.atomic(), batched():
            execute_later("UPDATE customers_customer SET name = name WHERE id = %s", [product.customer_id])
    sent = [query["sql"] for query in queries.captured_queries]
    assert any(sql.startswith("SELECT") and "customers_ownedproduct" in sql for sql in sent)
    assert any(sql.startswith("UPDATE customers_customer") for sql in sent)
    assert not any(sql.startswith("EXECUTE") for sql in sent)
    assert _prepared_names() == before


@pytest.mark.postgresql
def test_a_prepared_statement_outlives_a_rollback():
    product = OwnedProductFactory()
    with pytest.raises(RuntimeError), transaction.atomic():  # noqa: PT012
        assert PRODUCT.first(id=product.pk) == product
        raise RuntimeError("rolled back")
    assert PRODUCT.first(id=product.pk) == product
    assert PRODUCT.first(id=-1) is None


@pytest.mark.postgresql
def test_a_connection_that_has_not_prepared_the_statement_prepares_it():
    from kefu.core.db import statements

    product = OwnedProductFactory()
    assert PRODUCT.first(id=product.pk) == product
    # As on a new connection: nothing prepared on the server, nothing known of it here.
    statements._prepared_on.pop(connection.connection)
    with connection.cursor() as cursor:
        cursor.execute("DEALLOCATE ALL")
    assert not _prepared_names()
    assert PRODUCT.first(id=product.pk) == product
    assert len(_prepared_names()) == 1


@pytest.mark.postgresql
def test_a_statement_postgresql_cannot_prepare_is_sent_as_it_is_and_the_transaction_goes_on():
    sql = "SELECT %s IS NULL"  # the type of $1 cannot be inferred: PREPARE refuses it
    with transaction.atomic():
        assert executable(sql) == sql
        execute_later(sql, [None])
        product = OwnedProductFactory()  # the transaction is still usable
    assert executable(sql) == sql
    assert Customer.objects.filter(pk=product.customer_id).exists()


@pytest.mark.postgresql
def test_inserts_and_later_writes_use_prepared_statements_with_percent_signs_kept():
    customer = OwnedProductFactory().customer
    sql = "UPDATE customers_customer SET notes = %s || '%%' WHERE id = %s"
    with transaction.atomic(), batched():
        execute_later(sql, ["满意度 100", customer.pk])
    customer.refresh_from_db()
    assert customer.notes == "满意度 100%"
    assert executable(sql).startswith("EXECUTE kefu_")
