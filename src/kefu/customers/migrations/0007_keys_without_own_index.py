"""Keys without an index of their own where a composite index or a unique constraint starts
with them (decision 0042; tests/core/test_indexes.py): each was one more entry to write with
every row, for no read."""

import django.db.models.deletion
from django.db import migrations, models

from kefu.core.db.indexes import key_index_dropped


class Migration(migrations.Migration):
    dependencies = [
        ("customers", "0006_timeline_subject_types_and_times"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="consent",
                    name="customer",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="consents",
                        to="customers.customer",
                    ),
                ),
                migrations.AlterField(
                    model_name="customerevent",
                    name="customer",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="events",
                        to="customers.customer",
                    ),
                ),
                migrations.AlterField(
                    model_name="customerphone",
                    name="customer",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="phones",
                        to="customers.customer",
                    ),
                ),
                migrations.AlterField(
                    model_name="lifeevent",
                    name="customer",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="life_events",
                        to="customers.customer",
                    ),
                ),
                migrations.AlterField(
                    model_name="ownedproduct",
                    name="customer",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="products",
                        to="customers.customer",
                    ),
                ),
            ],
            database_operations=[
                key_index_dropped("customers_consent", "customer_id"),
                key_index_dropped("customers_customerevent", "customer_id"),
                key_index_dropped("customers_customerphone", "customer_id"),
                key_index_dropped("customers_lifeevent", "customer_id"),
                key_index_dropped("customers_ownedproduct", "customer_id"),
            ],
        ),
    ]
