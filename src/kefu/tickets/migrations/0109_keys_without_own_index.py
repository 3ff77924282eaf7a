"""Keys without an index of their own where a composite index or a unique constraint starts
with them (decision 0042; tests/core/test_indexes.py): each was one more entry to write with
every row, for no read."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

from kefu.core.db.indexes import key_index_dropped


class Migration(migrations.Migration):
    dependencies = [
        ("tickets", "0108_number_unique_without_like_index"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="attachment",
                    name="ticket",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="attachments",
                        to="tickets.ticket",
                        verbose_name="ticket",
                    ),
                ),
                migrations.AlterField(
                    model_name="collaborator",
                    name="ticket",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="collaborators",
                        to="tickets.ticket",
                        verbose_name="ticket",
                    ),
                ),
                migrations.AlterField(
                    model_name="collaborator",
                    name="user",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="collaborations",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="user",
                    ),
                ),
                migrations.AlterField(
                    model_name="ticketlink",
                    name="from_ticket",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="links_out",
                        to="tickets.ticket",
                    ),
                ),
                migrations.AlterField(
                    model_name="ticketlink",
                    name="to_ticket",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="links_in",
                        to="tickets.ticket",
                    ),
                ),
            ],
            database_operations=[
                key_index_dropped("tickets_attachment", "ticket_id"),
                key_index_dropped("tickets_collaborator", "ticket_id"),
                key_index_dropped("tickets_collaborator", "user_id"),
                key_index_dropped("tickets_ticketlink", "from_ticket_id"),
                key_index_dropped("tickets_ticketlink", "to_ticket_id"),
            ],
        ),
    ]
