"""No index of Kefu's tables is a copy of the start of another (decision 0042): every row a write
adds takes an entry in each index of its table, so an index that no read needs is paid for by
every write. Django gives each foreign key an index of its own; where a composite index or a
unique constraint starts with the same column, the key is declared with db_index=False."""

import pytest
from django.apps import apps
from django.db import connection

pytestmark = pytest.mark.django_db

# Each plain B-tree index (not unique, not partial, no expression) whose columns and operator
# classes begin another whole-table B-tree index of the same table.
_COPIES = """
WITH ix AS (
    SELECT i.indrelid::regclass::text AS tbl, c.relname AS name, i.indisunique AS uniq,
           i.indpred IS NOT NULL AS partial, i.indexprs IS NOT NULL AS expression, am.amname AS kind,
           string_to_array(i.indkey::text, ' ')::int[] AS columns,
           string_to_array(i.indclass::text, ' ')::oid[] AS classes
    FROM pg_index i
    JOIN pg_class c ON c.oid = i.indexrelid
    JOIN pg_am am ON am.oid = c.relam
    WHERE i.indrelid::regclass::text = ANY(%s)
)
SELECT a.tbl, a.name, b.name
FROM ix a JOIN ix b ON a.tbl = b.tbl AND a.name <> b.name
WHERE a.kind = 'btree' AND b.kind = 'btree'
  AND NOT a.uniq AND NOT a.partial AND NOT a.expression AND NOT b.partial AND NOT b.expression
  AND cardinality(a.columns) <= cardinality(b.columns)
  AND a.columns = b.columns[1:cardinality(a.columns)]
  AND a.classes = b.classes[1:cardinality(a.classes)]
  AND (cardinality(a.columns) < cardinality(b.columns) OR b.uniq OR a.name > b.name)
ORDER BY 1, 2
"""


def _kefu_tables() -> list[str]:
    """The tables of Kefu's own models (not Django's, not a library's, not the automatic
    tables of a many-to-many field, whose indexes Django declares)."""
    return sorted(
        model._meta.db_table
        for model in apps.get_models()
        if model.__module__.startswith("kefu.") and not model._meta.auto_created and model._meta.managed
    )


@pytest.mark.postgresql
def test_no_index_is_a_copy_of_the_start_of_another():
    tables = _kefu_tables()
    assert "tickets_ticket" in tables
    assert "core_auditevent" in tables
    with connection.cursor() as cursor:
        cursor.execute(_COPIES, [tables])
        copies = [f"{table}: {name} (covered by {by})" for table, name, by in cursor.fetchall()]
    assert copies == []


@pytest.mark.postgresql
def test_the_ticket_number_stays_unique_without_its_like_index():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname FROM pg_indexes "
            "WHERE tablename = 'tickets_ticket' AND indexdef LIKE '%%(number%%'"
        )
        assert [row[0] for row in cursor.fetchall()] == ["ticket_number_unique"]


def test_a_key_declared_without_an_index_has_none_in_the_database():
    """On both databases: the migrations that dropped a key's own index dropped it (on SQLite
    without rebuilding the table, core.db.indexes), and nothing made it again."""
    keys = [
        (model._meta.db_table, field.column)
        for model in apps.get_models()
        if model.__module__.startswith("kefu.") and model._meta.managed
        for field in model._meta.local_fields
        if field.is_relation and field.many_to_one and not field.db_index
    ]
    assert ("core_auditevent", "actor_id") in keys
    assert ("promises_policytarget", "policy_id") in keys
    editor = connection.SchemaEditorClass(connection)  # only for the names Django gives
    with connection.cursor() as cursor:
        found = [
            f"{table}.{column}"
            for table, column in keys
            if editor._create_index_name(table, [column], suffix="")
            in connection.introspection.get_constraints(cursor, table)
        ]
    assert found == []


def test_the_rules_tables_keep_their_triggers():
    """A migration that rebuilt a table on SQLite would drop the triggers that keep the promise
    rules' generation (core.db.generation): a write to each table still changes the token."""
    from django.db.models import F

    from kefu.promises import policies
    from kefu.promises.models import PolicyTarget, WorkingHours

    for model, field in ((PolicyTarget, "minutes"), (WorkingHours, "weekday")):
        row = model.objects.first()
        assert row is not None, model  # the default policies and calendars are seeded
        before = policies.generation()
        model.objects.filter(id=row.id).update(**{field: F(field)})
        assert policies.generation() != before, model
