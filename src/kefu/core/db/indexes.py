"""A foreign key's own index dropped, the key kept (decision 0042): for a migration whose model
now declares the key with db_index=False because a composite index or a unique constraint
starts with its column.

Django's AlterField would do it on PostgreSQL with a DROP INDEX, but on SQLite it rebuilds the
whole table, and a rebuilt table loses the triggers made on it by hand (core.db.generation's on
the promise rules' tables): here both databases drop only the index, by the name Django gave it.

Used by migrations: what they call must keep doing what it did when they were written.
"""

from django.db import migrations


def _name(schema_editor, table: str, column: str) -> str:
    # The name Django gives a key's own index (BaseDatabaseSchemaEditor._field_indexes_sql).
    return schema_editor._create_index_name(table, [column], suffix="")


def key_index_dropped(table: str, column: str) -> migrations.RunPython:
    """The database operation that drops the own index of `table`.`column`, and makes it again
    when the migration is reversed."""

    def forwards(apps, schema_editor):
        quote = schema_editor.quote_name
        schema_editor.execute(f"DROP INDEX IF EXISTS {quote(_name(schema_editor, table, column))}")

    def backwards(apps, schema_editor):
        quote = schema_editor.quote_name
        schema_editor.execute(
            f"CREATE INDEX {quote(_name(schema_editor, table, column))} ON {quote(table)} ({quote(column)})"
        )

    return migrations.RunPython(forwards, backwards)
