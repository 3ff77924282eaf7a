"""A promise's ticket and policy without single-column indexes (decision 0042): the unique
(ticket, kind) serves every read by ticket, and nothing reads promises by policy; each index
was three more index entries written with every ticket opened."""

import django.db.models.deletion
from django.db import migrations, models

from kefu.core.db.indexes import key_index_dropped


class Migration(migrations.Migration):
    dependencies = [
        ("promises", "0002_rules_generation"),
        ("tickets", "0107_ticket_resolved_index"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="ticketpromise",
                    name="policy",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="promises",
                        to="promises.promisepolicy",
                        verbose_name="policy",
                    ),
                ),
                migrations.AlterField(
                    model_name="ticketpromise",
                    name="ticket",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="promises",
                        to="tickets.ticket",
                        verbose_name="ticket",
                    ),
                ),
            ],
            database_operations=[
                key_index_dropped("promises_ticketpromise", "policy_id"),
                key_index_dropped("promises_ticketpromise", "ticket_id"),
            ],
        ),
    ]
