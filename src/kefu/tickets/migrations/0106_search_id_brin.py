"""A BRIN index on the search table's ticket ids (PostgreSQL; decision 0023, amendment of
2026-11-24): the search's page asks the GIN index for the matches inside windows of ids below
its cursor, and the planner ANDs the GIN bitmap with this one before any row is read.

Search rows are written in id order (new tickets take the next id), so each block range holds
a narrow span of ids and the index is tiny (a few hundred kB per million rows); a row rewritten
by a reply lands elsewhere and only widens its own range. `autosummarize` summarizes a range
as soon as it fills; an unsummarized range is always read (never a wrong answer). SQLite's FTS5
reads its matches in id order: nothing to add there.
"""

from django.db import migrations

TABLE = "tickets_ticket_search"
INDEX = "ticket_search_id_brin"


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {INDEX} ON {TABLE} USING brin (ticket_id) "
            "WITH (pages_per_range = 32, autosummarize = on)",
            params=None,
        )


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}", params=None)


class Migration(migrations.Migration):
    dependencies = [
        ("tickets", "0105_drop_redundant_fk_indexes"),
    ]

    operations = [
        migrations.RunPython(forward, backward, elidable=False),
    ]
