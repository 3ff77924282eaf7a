"""The product categories every installation starts with (stable codes, API.md)."""

from django.db import migrations


def create_categories(apps, schema_editor):
    from kefu.customers.catalogue import SHIPPED_CATEGORIES, source_name

    ProductCategory = apps.get_model("customers", "ProductCategory")
    for order, (code, (_label, interval)) in enumerate(SHIPPED_CATEGORIES.items()):
        ProductCategory.objects.get_or_create(
            code=code,
            defaults={"name": source_name(code), "care_interval_years": interval, "sort_order": order},
        )


class Migration(migrations.Migration):
    dependencies = [("customers", "0001_initial")]
    operations = [migrations.RunPython(create_categories, migrations.RunPython.noop)]
