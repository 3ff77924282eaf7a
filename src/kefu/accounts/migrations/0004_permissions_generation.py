"""The permissions' generation (decision 0038): one row whose token changes, by a trigger, with
every write to what a user's permissions are made of — their own permissions, their roles, the
roles' permissions, the permissions and content types themselves. A process keeps each user's
permissions under the token it read them with, and the API token's statement reads the token
instead of the permissions (promises 0002 does the same for the promise rules).

A plain table with triggers, no model: every writer is caught (the admin, the services, a
queryset's update, raw SQL, a test's flush). The token is random, never a counter, so a
rolled-back change cannot bring back a token that names other permissions."""

from django.db import migrations

from kefu.core.db import generation

TABLE = "accounts_permissions_generation"
WATCHED = (
    "auth_permission",
    "auth_group_permissions",
    "accounts_user_groups",
    "accounts_user_user_permissions",
    "django_content_type",
)


def forwards(apps, schema_editor):
    generation.create(
        schema_editor, table=TABLE, function="accounts_bump_permissions_generation", watched=WATCHED
    )


def backwards(apps, schema_editor):
    generation.drop(
        schema_editor, table=TABLE, function="accounts_bump_permissions_generation", watched=WATCHED
    )


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0003_team"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
