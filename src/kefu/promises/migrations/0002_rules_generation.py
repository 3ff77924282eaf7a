"""The rules' generation (decision 0028): one row whose token changes, by a trigger, with every
write to what a new ticket's promises are computed from — policies, their targets, work
calendars, their hours, the business days. Each process keeps the rules it loaded under the token
it read, and reads only the token (one small statement) while it has not changed.

A plain table with triggers, no model: the triggers catch every writer (services, admin, the
generator's bulk loads, raw SQL, a test's flush), which a bump in each service would not.
The token is random, never a counter, so a rolled-back change (a test's transaction) cannot
bring back a token that names other rules."""

from django.db import migrations

TABLE = "promises_generation"
WATCHED = (
    "promises_promisepolicy",
    "promises_policytarget",
    "promises_workcalendar",
    "promises_workinghours",
    "core_businessday",
)


def forwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    execute = schema_editor.execute
    if vendor == "postgresql":
        execute(f"CREATE TABLE {TABLE} (id integer PRIMARY KEY CHECK (id = 1), token varchar(32) NOT NULL)")
        execute(f"INSERT INTO {TABLE} (id, token) VALUES (1, md5(random()::text || clock_timestamp()::text))")
        execute(
            "CREATE FUNCTION promises_bump_generation() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
            f"UPDATE {TABLE} SET token = md5(random()::text || clock_timestamp()::text); RETURN NULL; END $$"
        )
        for table in WATCHED:
            execute(
                f"CREATE TRIGGER promises_generation_{table} AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE "
                f"ON {table} FOR EACH STATEMENT EXECUTE FUNCTION promises_bump_generation()"
            )
    elif vendor == "sqlite":
        execute(f"CREATE TABLE {TABLE} (id integer PRIMARY KEY CHECK (id = 1), token varchar(32) NOT NULL)")
        execute(f"INSERT INTO {TABLE} (id, token) VALUES (1, lower(hex(randomblob(16))))")
        for table in WATCHED:
            for event in ("INSERT", "UPDATE", "DELETE"):
                execute(
                    f"CREATE TRIGGER promises_generation_{table}_{event.lower()} AFTER {event} ON {table} "
                    f"BEGIN UPDATE {TABLE} SET token = lower(hex(randomblob(16))); END"
                )
    # Another database: no table; the rules are then read for every ticket (policies.rules).


def backwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    execute = schema_editor.execute
    if vendor == "postgresql":
        for table in WATCHED:
            execute(f"DROP TRIGGER IF EXISTS promises_generation_{table} ON {table}")
        execute("DROP FUNCTION IF EXISTS promises_bump_generation()")
    elif vendor == "sqlite":
        for table in WATCHED:
            for event in ("insert", "update", "delete"):
                execute(f"DROP TRIGGER IF EXISTS promises_generation_{table}_{event}")
    execute(f"DROP TABLE IF EXISTS {TABLE}")


class Migration(migrations.Migration):
    dependencies = [
        ("promises", "0001_initial"),
        ("core", "0005_businessday_provisional"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
