"""The search table keeps only the tsvector on PostgreSQL (decision 0023, amendment of the night
of 2026-11-24): the index line it was made from is no longer stored beside it.

Both are catalogue changes, without a rewrite: the generated column becomes a plain one
holding the same values, and the line's column is dropped (its space is reused as rows are
written again). tickets.search now writes the tsvector itself, from the same expression.
Backwards, the line is made again from the tsvector's words and the column generated from it
again (a rewrite of the table and its GIN index). SQLite's FTS5 table is unchanged.
"""

from django.db import migrations

TABLE = "tickets_ticket_search"
DOCUMENT = "array_to_tsvector(array_remove(string_to_array(words, ' '), ''))"

FORWARD = [
    f"ALTER TABLE {TABLE} ALTER COLUMN document DROP EXPRESSION",
    f"ALTER TABLE {TABLE} DROP COLUMN words",
]
BACKWARD = [
    f"ALTER TABLE {TABLE} ADD COLUMN words text NOT NULL DEFAULT ''",
    f"UPDATE {TABLE} SET words = array_to_string(tsvector_to_array(document), ' ')",
    f"ALTER TABLE {TABLE} DROP COLUMN document",
    f"ALTER TABLE {TABLE} ADD COLUMN document tsvector GENERATED ALWAYS AS ({DOCUMENT}) STORED",
    f"CREATE INDEX ticket_search_document_idx ON {TABLE} USING gin (document)",
]


def _run(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            for statement in statements:
                schema_editor.execute(statement, params=None)

    return run


class Migration(migrations.Migration):
    dependencies = [
        ("tickets", "0110_summarize_search_id_ranges"),
    ]

    operations = [
        migrations.RunPython(_run(FORWARD), _run(BACKWARD), elidable=False),
    ]
