"""Keys without an index of their own where a composite index or a unique constraint starts
with them (decision 0042; tests/core/test_indexes.py): each was one more entry to write with
every row, for no read."""

import django.db.models.deletion
from django.db import migrations, models

from kefu.core.db.indexes import key_index_dropped


class Migration(migrations.Migration):
    dependencies = [
        ("promises", "0003_promise_keys_no_own_index"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="escalation",
                    name="promise",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="escalations",
                        to="promises.ticketpromise",
                        verbose_name="promise",
                    ),
                ),
                migrations.AlterField(
                    model_name="policytarget",
                    name="policy",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="targets",
                        to="promises.promisepolicy",
                        verbose_name="policy",
                    ),
                ),
                migrations.AlterField(
                    model_name="workinghours",
                    name="calendar",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="hours",
                        to="promises.workcalendar",
                        verbose_name="calendar",
                    ),
                ),
            ],
            database_operations=[
                key_index_dropped("promises_escalation", "promise_id"),
                key_index_dropped("promises_policytarget", "policy_id"),
                key_index_dropped("promises_workinghours", "calendar_id"),
            ],
        ),
    ]
