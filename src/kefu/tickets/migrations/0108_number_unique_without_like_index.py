"""The ticket number's uniqueness as a named constraint, without the second index that Django
adds beside a unique CharField on PostgreSQL (varchar_pattern_ops, for LIKE): no read uses it,
since the start of a number is found by a range of the unique index (decision 0042).

On PostgreSQL the unique index already there is kept and renamed, and only the LIKE index is
dropped: building the constraint afresh would lock and sort a table of millions of tickets. On
SQLite the column's own UNIQUE stays, the same rule; a later rebuild of the table writes it as
the named constraint.
"""

from django.db import migrations, models

LIKE_INDEX = "tickets_ticket_number_5f958fbb_like"


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f"DROP INDEX IF EXISTS {LIKE_INDEX}")
    schema_editor.execute(
        "ALTER TABLE tickets_ticket RENAME CONSTRAINT tickets_ticket_number_key TO ticket_number_unique"
    )


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        "ALTER TABLE tickets_ticket RENAME CONSTRAINT ticket_number_unique TO tickets_ticket_number_key"
    )
    schema_editor.execute(f"CREATE INDEX {LIKE_INDEX} ON tickets_ticket (number varchar_pattern_ops)")


class Migration(migrations.Migration):
    dependencies = [("tickets", "0107_ticket_resolved_index")]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="ticket",
                    name="number",
                    field=models.CharField(editable=False, max_length=16, verbose_name="number"),
                ),
                migrations.AddConstraint(
                    model_name="ticket",
                    constraint=models.UniqueConstraint(fields=("number",), name="ticket_number_unique"),
                ),
            ],
            database_operations=[migrations.RunPython(forwards, backwards)],
        ),
    ]
