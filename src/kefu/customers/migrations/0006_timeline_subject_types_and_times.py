"""The timeline names the record an entry is about by app label and model name
("customers.ownedproduct", decision 0016), and knows which entries have a time (item: the
timeline shows real times).

Existing rows: subject types gain their app label. Entries about a product or a life event were
placed at noon of their date: they now say they have no time, except those recorded on the day
they are dated, which take the moment their record was written (its `created_at`), as new ones
do. Each step is one UPDATE, whatever the number of rows.
"""

import datetime

from django.db import migrations, models
from django.db.models import Exists, F, OuterRef, Subquery
from django.db.models.functions import Concat

DATED = {"ownedproduct": "OwnedProduct", "lifeevent": "LifeEvent"}
HALF_DAY = datetime.timedelta(hours=12)


def forwards(apps, schema_editor):
    CustomerEvent = apps.get_model("customers", "CustomerEvent")
    CustomerEvent.objects.exclude(subject_type="").exclude(subject_type__contains=".").update(
        subject_type=Concat(models.Value("customers."), F("subject_type"))
    )
    for model_name, class_name in DATED.items():
        entries = CustomerEvent.objects.filter(subject_type=f"customers.{model_name}")
        entries.update(has_time=False)
        # A dated entry sits at noon of its local day: the day is noon ± 12 hours.
        recorded_that_day = apps.get_model("customers", class_name).objects.filter(
            pk=OuterRef("subject_id"),
            created_at__gte=OuterRef("occurred_at") - HALF_DAY,
            created_at__lt=OuterRef("occurred_at") + HALF_DAY,
        )
        entries.filter(Exists(recorded_that_day)).update(
            occurred_at=Subquery(recorded_that_day.values("created_at")[:1]), has_time=True
        )


def backwards(apps, schema_editor):
    CustomerEvent = apps.get_model("customers", "CustomerEvent")
    for model_name in DATED:
        CustomerEvent.objects.filter(subject_type=f"customers.{model_name}").update(subject_type=model_name)


class Migration(migrations.Migration):
    dependencies = [
        ("customers", "0005_name_search_index"),
    ]

    operations = [
        migrations.AddField(
            model_name="customerevent",
            name="has_time",
            field=models.BooleanField(default=True, verbose_name="has a time"),
        ),
        migrations.AlterField(
            model_name="customerevent",
            name="subject_type",
            field=models.CharField(blank=True, max_length=100),
        ),
        migrations.RunPython(forwards, backwards),
    ]
