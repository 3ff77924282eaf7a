"""The permissions' generation (decision 0038): one row whose token changes, by a trigger, with
every write to what a user's permissions are made of — their own permissions, their roles, the
roles' permissions, the permissions and content types themselves. A process keeps each user's
permissions under the token it read them with, and the API token's statement reads the token
instead of the permissions (promises 0002 does the same for the promise rules).

A plain table with triggers, no model: every writer is caught (the admin, the services, a
queryset's update, raw SQL, a test's flush). The token is random, never a counter, so a
rolled-back change cannot bring back a token that names other permissions."""

from django.db import migrations

TABLE = "accounts_permissions_generation"
WATCHED = (
    "auth_permission",
    "auth_group_permissions",
    "accounts_user_groups",
    "accounts_user_user_permissions",
    "django_content_type",
)


def forwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    execute = schema_editor.execute
    if vendor == "postgresql":
        execute(f"CREATE TABLE {TABLE} (id integer PRIMARY KEY CHECK (id = 1), token varchar(32) NOT NULL)")
        execute(f"INSERT INTO {TABLE} (id, token) VALUES (1, md5(random()::text || clock_timestamp()::text))")
        execute(
            "CREATE FUNCTION accounts_bump_permissions_generation() RETURNS trigger LANGUAGE plpgsql AS $$ "
            f"BEGIN UPDATE {TABLE} SET token = md5(random()::text || clock_timestamp()::text); RETURN NULL; END $$"
        )
        for table in WATCHED:
            execute(
                f"CREATE TRIGGER accounts_permissions_generation_{table} AFTER INSERT OR UPDATE OR DELETE "
                f"OR TRUNCATE ON {table} FOR EACH STATEMENT EXECUTE FUNCTION accounts_bump_permissions_generation()"
            )
    elif vendor == "sqlite":
        execute(f"CREATE TABLE {TABLE} (id integer PRIMARY KEY CHECK (id = 1), token varchar(32) NOT NULL)")
        execute(f"INSERT INTO {TABLE} (id, token) VALUES (1, lower(hex(randomblob(16))))")
        for table in WATCHED:
            for event in ("INSERT", "UPDATE", "DELETE"):
                execute(
                    f"CREATE TRIGGER accounts_permissions_generation_{table}_{event.lower()} AFTER {event} "
                    f"ON {table} BEGIN UPDATE {TABLE} SET token = lower(hex(randomblob(16))); END"
                )


def backwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    execute = schema_editor.execute
    if vendor == "postgresql":
        for table in WATCHED:
            execute(f"DROP TRIGGER IF EXISTS accounts_permissions_generation_{table} ON {table}")
        execute("DROP FUNCTION IF EXISTS accounts_bump_permissions_generation()")
    elif vendor == "sqlite":
        for table in WATCHED:
            for event in ("insert", "update", "delete"):
                execute(f"DROP TRIGGER IF EXISTS accounts_permissions_generation_{table}_{event}")
    execute(f"DROP TABLE IF EXISTS {TABLE}")


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0003_team"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
