"""Keys without an index of their own where a composite index or a unique constraint starts
with them (decision 0042; tests/core/test_indexes.py): each was one more entry to write with
every row, for no read."""

import django.db.models.deletion
from django.db import migrations, models

from kefu.core.db.indexes import key_index_dropped


class Migration(migrations.Migration):
    dependencies = [
        ("complaints", "0002_rights_to_approve_escalate_close"),
        ("tickets", "0109_keys_without_own_index"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="complaint",
                    name="cause",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="complaints.complaintcause",
                        verbose_name="cause",
                    ),
                ),
                migrations.AlterField(
                    model_name="problemticket",
                    name="problem",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="links",
                        to="complaints.problem",
                        verbose_name="problem",
                    ),
                ),
                migrations.AlterField(
                    model_name="problemticket",
                    name="ticket",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="tickets.ticket",
                        verbose_name="ticket",
                    ),
                ),
            ],
            database_operations=[
                key_index_dropped("complaints_complaint", "cause_id"),
                key_index_dropped("complaints_problemticket", "problem_id"),
                key_index_dropped("complaints_problemticket", "ticket_id"),
            ],
        ),
    ]
