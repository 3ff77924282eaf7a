"""No index of Kefu's tables is a copy of the start of another (decision 0042): every row a write
adds takes an entry in each index of its table, so an index that no read needs is paid for by
every write. Django gives each foreign key an index of its own; where a composite index or a
unique constraint starts with the same column, the key is declared with db_index=False."""

import pytest
from django.apps import apps
from django.db import connection

pytestmark = [pytest.mark.django_db, pytest.mark.postgresql]

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


def test_no_index_is_a_copy_of_the_start_of_another():
    tables = _kefu_tables()
    assert "tickets_ticket" in tables
    assert "core_auditevent" in tables
    with connection.cursor() as cursor:
        cursor.execute(_COPIES, [tables])
        copies = [f"{table}: {name} (covered by {by})" for table, name, by in cursor.fetchall()]
    assert copies == []


def test_the_ticket_number_stays_unique_without_its_like_index():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname FROM pg_indexes "
            "WHERE tablename = 'tickets_ticket' AND indexdef LIKE '%%(number%%'"
        )
        assert [row[0] for row in cursor.fetchall()] == ["ticket_number_unique"]
