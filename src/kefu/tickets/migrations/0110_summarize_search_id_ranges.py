"""Summarize the block ranges of the search table's id index that nobody summarized (PostgreSQL;
decision 0023, amendment of the late evening of 2026-11-24).

Until this release the bulk writes (the generator, `reindex_tickets`) left every range they
filled unsummarized, and each window of the search read all of them. They now summarize what
they write; this does it once for the rows already there. It reads only the unsummarized
ranges; on a table the services wrote row by row there are few or none.
"""

from django.db import migrations

INDEX = "ticket_search_id_brin"


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"SELECT brin_summarize_new_values('{INDEX}'::regclass)", params=None)


class Migration(migrations.Migration):
    dependencies = [
        ("tickets", "0109_keys_without_own_index"),
    ]

    operations = [
        migrations.RunPython(forward, migrations.RunPython.noop, elidable=True),
    ]
