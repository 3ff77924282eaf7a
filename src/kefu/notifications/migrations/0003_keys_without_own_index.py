"""Keys without an index of their own where a composite index or a unique constraint starts
with them (decision 0042; tests/core/test_indexes.py): each was one more entry to write with
every row, for no read."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

from kefu.core.db.indexes import key_index_dropped


class Migration(migrations.Migration):
    dependencies = [
        ("notifications", "0002_local_sms_purged_with_its_message"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="notification",
                    name="recipient",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="notifications",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="recipient",
                    ),
                ),
            ],
            database_operations=[
                key_index_dropped("notifications_notification", "recipient_id"),
            ],
        ),
    ]
