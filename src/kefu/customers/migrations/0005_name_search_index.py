"""The index behind the search box's name search: names match anywhere, not only at the start
(decision 0015).

PostgreSQL: a trigram GIN index on the name (pg_trgm). CREATE EXTENSION needs a superuser, or,
since pg_trgm is a trusted extension, the owner of the database (docs/operations.md).

SQLite: an FTS5 table with the trigram tokenizer, holding each name between two SENTINEL
characters so that a two-character text can ask for names that begin or end with it; triggers
keep it current whatever writes the customer table (services, the generator, the admin).
Contentless: the names stay in the customer table only.

Neither index is in the model state: both are database-specific, and Django's own schema
operations never touch them.
"""

from django.db import migrations

FTS_TABLE = "customers_customer_name_fts"
SENTINEL = "char(1)"  # customers.selectors.NAME_EDGE is the same character
PADDED_NEW = f"{SENTINEL} || new.name || {SENTINEL}"
PADDED_OLD = f"{SENTINEL} || old.name || {SENTINEL}"

SQLITE_FORWARD = [
    f"CREATE VIRTUAL TABLE {FTS_TABLE} USING fts5(name, content='', tokenize='trigram case_sensitive 1')",
    f"INSERT INTO {FTS_TABLE} (rowid, name) SELECT id, {SENTINEL} || name || {SENTINEL} FROM customers_customer",
    f"""CREATE TRIGGER customers_customer_name_fts_insert AFTER INSERT ON customers_customer BEGIN
        INSERT INTO {FTS_TABLE} (rowid, name) VALUES (new.id, {PADDED_NEW});
    END""",
    f"""CREATE TRIGGER customers_customer_name_fts_delete AFTER DELETE ON customers_customer BEGIN
        INSERT INTO {FTS_TABLE} ({FTS_TABLE}, rowid, name) VALUES ('delete', old.id, {PADDED_OLD});
    END""",
    f"""CREATE TRIGGER customers_customer_name_fts_update AFTER UPDATE OF name ON customers_customer
    WHEN old.name IS NOT new.name BEGIN
        INSERT INTO {FTS_TABLE} ({FTS_TABLE}, rowid, name) VALUES ('delete', old.id, {PADDED_OLD});
        INSERT INTO {FTS_TABLE} (rowid, name) VALUES (new.id, {PADDED_NEW});
    END""",
]
SQLITE_BACKWARD = [
    "DROP TRIGGER IF EXISTS customers_customer_name_fts_update",
    "DROP TRIGGER IF EXISTS customers_customer_name_fts_delete",
    "DROP TRIGGER IF EXISTS customers_customer_name_fts_insert",
    f"DROP TABLE IF EXISTS {FTS_TABLE}",
]

POSTGRES_FORWARD = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX IF NOT EXISTS customer_name_trgm_idx ON customers_customer USING gin (name gin_trgm_ops)",
]
# The extension stays: other indexes may use it, and dropping it needs the same rights.
POSTGRES_BACKWARD = ["DROP INDEX IF EXISTS customer_name_trgm_idx"]


def _run(statements_by_vendor):
    def run(apps, schema_editor):
        for statement in statements_by_vendor.get(schema_editor.connection.vendor, []):
            schema_editor.execute(statement, params=None)

    return run


forward = _run({"sqlite": SQLITE_FORWARD, "postgresql": POSTGRES_FORWARD})
backward = _run({"sqlite": SQLITE_BACKWARD, "postgresql": POSTGRES_BACKWARD})


class Migration(migrations.Migration):
    dependencies = [
        ("customers", "0004_customer_merged_into"),
    ]

    operations = [
        migrations.RunPython(forward, backward, elidable=False),
    ]
