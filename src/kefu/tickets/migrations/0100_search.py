"""The Chinese full-text index of tickets (decision 0023; tickets.search writes and reads it).

One row per ticket: the distinct words jieba cut from its number, subject, description and
comments, separated by spaces (tickets.search.document).

SQLite: an FTS5 table, rowid = ticket id, unicode61 tokenizer (the words are already cut: it
only splits at the spaces and folds case; diacritics are kept, as the words were made).

PostgreSQL: a table (ticket_id, words) with a generated tsvector of the words taken as they are
(array_to_tsvector: no parser, no dictionary) and a GIN index on it.

No foreign key and no model state: the table is database-specific, and Django's flush (the
transactional tests' TRUNCATE of every model table) must not trip over a key into tickets.
Tickets are never deleted; `manage.py reindex_tickets` removes rows of ids that are gone.
The tickets app is new with this table: there is nothing to index when it is created.
"""

from django.db import migrations

TABLE = "tickets_ticket_search"

SQLITE_FORWARD = [
    f"CREATE VIRTUAL TABLE {TABLE} USING fts5(words, tokenize='unicode61 remove_diacritics 0')",
]
SQLITE_BACKWARD = [f"DROP TABLE IF EXISTS {TABLE}"]

POSTGRES_FORWARD = [
    f"""CREATE TABLE {TABLE} (
        ticket_id bigint PRIMARY KEY,
        words text NOT NULL DEFAULT '',
        document tsvector GENERATED ALWAYS AS (
            array_to_tsvector(array_remove(string_to_array(words, ' '), ''))
        ) STORED
    )""",
    f"CREATE INDEX ticket_search_document_idx ON {TABLE} USING gin (document)",
]
POSTGRES_BACKWARD = [f"DROP TABLE IF EXISTS {TABLE}"]


def _run(statements_by_vendor):
    def run(apps, schema_editor):
        for statement in statements_by_vendor.get(schema_editor.connection.vendor, []):
            schema_editor.execute(statement, params=None)

    return run


forward = _run({"sqlite": SQLITE_FORWARD, "postgresql": POSTGRES_FORWARD})
backward = _run({"sqlite": SQLITE_BACKWARD, "postgresql": POSTGRES_BACKWARD})


class Migration(migrations.Migration):
    dependencies = [
        ("tickets", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(forward, backward, elidable=False),
    ]
