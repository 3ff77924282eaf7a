from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("tickets", "0101_all_tickets_index"),
    ]

    operations = [
        migrations.AddField(
            model_name="ticket",
            name="due_at",
            field=models.DateTimeField(blank=True, editable=False, null=True, verbose_name="due at"),
        ),
        migrations.AddIndex(
            model_name="ticket",
            index=models.Index(
                condition=models.Q(("status__in", ("new", "open", "pending_customer", "pending_parts"))),
                fields=["owner", "due_at", "id"],
                name="ticket_open_owner_due_idx",
            ),
        ),
        migrations.AddIndex(
            model_name="ticket",
            index=models.Index(
                condition=models.Q(
                    ("status__in", ("new", "open", "pending_customer", "pending_parts")),
                    ("due_at__isnull", False),
                ),
                fields=["due_at", "id"],
                name="ticket_open_due_idx",
            ),
        ),
    ]
