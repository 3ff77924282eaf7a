"""Technicians read the archive and change nothing in it (accounts.roles): take back the right
to change owned products that earlier versions gave the role. Sync only adds (decision 0007),
so a right that leaves the table leaves the group here."""

from django.db import migrations

TAKEN_BACK = {"technician": [("customers", "change_ownedproduct")]}


def take_back(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for role, perms in TAKEN_BACK.items():
        group = Group.objects.filter(name=role).first()
        if group is None:
            continue
        for app_label, codename in perms:
            group.permissions.remove(
                *Permission.objects.filter(content_type__app_label=app_label, codename=codename)
            )


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
        ("customers", "0003_redact_audited_phones"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [migrations.RunPython(take_back, migrations.RunPython.noop)]
