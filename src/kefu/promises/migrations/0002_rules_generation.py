"""The rules' generation (decision 0028): one row whose token changes, by a trigger, with every
write to what a new ticket's promises are computed from — policies, their targets, work
calendars, their hours, the business days. Each process keeps the rules it loaded under the token
it read, and reads only the token (one small statement) while it has not changed.

A plain table with triggers, no model: the triggers catch every writer (services, admin, the
generator's bulk loads, raw SQL, a test's flush), which a bump in each service would not.
The token is random, never a counter, so a rolled-back change (a test's transaction) cannot
bring back a token that names other rules."""

from django.db import migrations

from kefu.core.db import generation

TABLE = "promises_generation"
WATCHED = (
    "promises_promisepolicy",
    "promises_policytarget",
    "promises_workcalendar",
    "promises_workinghours",
    "core_businessday",
)


def forwards(apps, schema_editor):
    generation.create(schema_editor, table=TABLE, function="promises_bump_generation", watched=WATCHED)


def backwards(apps, schema_editor):
    generation.drop(schema_editor, table=TABLE, function="promises_bump_generation", watched=WATCHED)


class Migration(migrations.Migration):
    dependencies = [
        ("promises", "0001_initial"),
        ("core", "0005_businessday_provisional"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
