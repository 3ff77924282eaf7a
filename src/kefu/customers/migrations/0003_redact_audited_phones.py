"""The audit trail kept customers' phone numbers in clear until now: redact the rows written
before, as the services write them today (masked, with a keyed tag; core.masking.redact_phone).

A value that is already redacted is left as it is, so the migration may run twice.
"""

from django.db import migrations

from kefu.core.masking import redact_phone

BATCH = 2000


def _redacted(value):
    if isinstance(value, str) and value.startswith("+"):
        return redact_phone(value)
    if isinstance(value, list):
        return [_redacted(item) for item in value]
    return value


def redact(apps, schema_editor):
    AuditEvent = apps.get_model("core", "AuditEvent")
    ContentType = apps.get_model("contenttypes", "ContentType")
    fields_by_type = {}
    for model, field in (("customer", "phones"), ("customerphone", "number")):
        content_type = ContentType.objects.filter(app_label="customers", model=model).first()
        if content_type is not None:
            fields_by_type[content_type.pk] = field
    rows = AuditEvent.objects.filter(target_type_id__in=fields_by_type).only(
        "pk", "target_type_id", "changes"
    )
    changed = []
    for event in rows.iterator(chunk_size=BATCH):
        field = fields_by_type[event.target_type_id]
        values = (event.changes or {}).get(field)
        if values is None:
            continue
        redacted = _redacted(values)
        if redacted != values:
            event.changes = {**event.changes, field: redacted}
            changed.append(event)
        if len(changed) >= BATCH:
            AuditEvent.objects.bulk_update(changed, ["changes"])
            changed = []
    if changed:
        AuditEvent.objects.bulk_update(changed, ["changes"])


class Migration(migrations.Migration):
    dependencies = [
        ("customers", "0002_shipped_categories"),
        ("core", "0003_idempotency_key"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(redact, migrations.RunPython.noop)]
