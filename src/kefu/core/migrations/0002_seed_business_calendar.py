"""Seed the business calendar with every year the chinese-calendar package knows."""

from django.db import migrations


def seed(apps, schema_editor):
    import chinese_calendar

    from kefu.core.calendar import HOLIDAY_NAMES_ZH

    BusinessDay = apps.get_model("core", "BusinessDay")
    rows = [
        BusinessDay(date=date, kind=kind, name=HOLIDAY_NAMES_ZH.get(name, name or ""))
        for kind, days in (
            ("holiday", chinese_calendar.holidays),
            ("workday", chinese_calendar.workdays),
        )
        for date, name in days.items()
    ]
    BusinessDay.objects.bulk_create(rows, batch_size=500, ignore_conflicts=True)


class Migration(migrations.Migration):
    dependencies = [("core", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
