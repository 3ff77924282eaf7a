"""Tickets by when they were resolved (never-resolved ones left out): the hourly follow-up
catch-up finds here which batches of ids hold a ticket resolved in its 30-day window, instead of
reading every batch of tickets."""

from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0003_team"),
        ("customers", "0006_timeline_subject_types_and_times"),
        ("tickets", "0106_search_id_brin"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddIndex(
            model_name="ticket",
            index=models.Index(
                condition=models.Q(("resolved_at__isnull", False)),
                fields=["resolved_at", "id"],
                name="ticket_resolved_idx",
            ),
        ),
    ]
