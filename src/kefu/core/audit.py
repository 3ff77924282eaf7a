"""The audit trail: services call these inside their transaction, so a change and its record
commit or roll back together.

    before = audit.snapshot(customer, CUSTOMER_FIELDS)
    ... change and save ...
    audit.record_update(actor=by, obj=customer, before=before)
"""

import datetime
import decimal
import uuid
from collections.abc import Iterable, Sequence
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import models

from kefu.core.db.statements import insert
from kefu.core.models import AuditAction, AuditEvent


def _plain(value: Any) -> Any:
    """A JSON-safe form of a field value, readable in the audit page."""
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, datetime.datetime | datetime.date):
        return value.isoformat()
    if isinstance(value, decimal.Decimal | uuid.UUID):
        return str(value)
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    if isinstance(value, dict):
        return {str(key): _plain(item) for key, item in value.items()}
    return value


def snapshot(obj: models.Model, fields: Iterable[str]) -> dict[str, Any]:
    """The current values of `fields`, for comparison after a change.

    A foreign key is read through its `<name>_id` attribute, so no query is made. A field that
    the model lists in `personal_fields` (name → redactor) is kept redacted, never in clear:
    the trail is read by people who may not see personal data.
    """
    redactors = getattr(type(obj), "personal_fields", {})
    values = {}
    for name in fields:
        field = obj._meta.get_field(name)
        attname = getattr(field, "attname", name)
        value = getattr(obj, attname)
        if name in redactors and value:
            value = redactors[name](value)
        values[name] = _plain(value)
    return values


def diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[Any]]:
    """{field: [before, after]} for the fields whose value changed."""
    return {
        name: [before.get(name), after.get(name)] for name in after if before.get(name) != after.get(name)
    }


def acting_user(user):
    """The user to name in the trail; None for the system (a command, a task) or an anonymous caller."""
    return user if user is not None and user.is_authenticated else None


def record(
    *,
    actor,
    action: str,
    obj: models.Model,
    changes: dict[str, Any] | None = None,
    reason: str = "",
) -> AuditEvent:
    event = AuditEvent(
        actor=acting_user(actor),
        action=action,
        target_type=ContentType.objects.get_for_model(obj),
        target_id=str(obj.pk),
        target_repr=str(obj)[:200],
        changes=_plain(changes or {}),
        reason=reason[:200],
    )
    # The same row as create(), through a statement built once per process; in a batched() block
    # written at the block's end with its other writes (core.db.statements).
    insert([event], wait=False)
    return event


def record_create(
    *, actor, obj: models.Model, fields: Sequence[str], extra: dict | None = None, reason: str = ""
) -> None:
    """Record a new record's values (and `extra` values kept outside its own fields)."""
    after = {**snapshot(obj, fields), **(extra or {})}
    record(
        actor=actor,
        action=AuditAction.CREATE,
        obj=obj,
        changes={name: [None, value] for name, value in after.items()},
        reason=reason,
    )


def record_update(
    *, actor, obj: models.Model, before: dict[str, Any], extra: dict | None = None, reason=""
) -> dict[str, list[Any]]:
    """Record what changed since `before`; nothing is written when nothing changed."""
    changes = diff(before, snapshot(obj, before.keys()))
    changes.update(extra or {})
    if changes:
        record(actor=actor, action=AuditAction.UPDATE, obj=obj, changes=changes, reason=reason)
    return changes


def record_reveal(*, actor, objs: Iterable[models.Model], fields: Sequence[str], reason="") -> int:
    """One audit row per record whose personal data was shown in full to `actor`."""
    objs = list(objs)
    if not objs:
        return 0
    content_type = ContentType.objects.get_for_model(objs[0])
    AuditEvent.objects.bulk_create(
        AuditEvent(
            actor=acting_user(actor),
            action=AuditAction.REVEAL,
            target_type=content_type,
            target_id=str(obj.pk),
            target_repr=str(obj)[:200],
            changes={"fields": list(fields)},
            reason=reason[:200],
        )
        for obj in objs
    )
    return len(objs)


def record_delete(*, actor, obj: models.Model, fields: Sequence[str], reason: str = "") -> AuditEvent:
    """Record a record's last values; call it before deleting, while it still has its id."""
    before = snapshot(obj, fields)
    return record(
        actor=actor,
        action=AuditAction.DELETE,
        obj=obj,
        changes={name: [value, None] for name, value in before.items()},
        reason=reason,
    )


def record_lookup(*, actor, model: type[models.Model], shown_as: str, changes: dict[str, Any]) -> AuditEvent:
    """One row for a search by a personal value (a whole phone number): who looked for what.

    `shown_as` is the value as the trail may show it (masked); `changes` holds its redacted form.
    """
    return AuditEvent.objects.create(
        actor=acting_user(actor),
        action=AuditAction.LOOKUP,
        target_type=ContentType.objects.get_for_model(model),
        target_id="",
        target_repr=shown_as[:200],
        changes=_plain(changes),
    )


def record_sweep(
    *,
    name: str,
    model: type[models.Model],
    counts: dict[str, int],
    criteria: dict[str, Any] | None = None,
    id_range: tuple[int, int] | None = None,
    actor=None,
) -> AuditEvent | None:
    """One row for one run of a set-based sweep (decision 0020): which sweep, over which
    records (`criteria`, and the first and last id it touched), and how many it changed of each
    kind (`counts`), e.g. {"reminded": 1200, "skipped": 3}.

    The sweep writes it in the transaction of its own set-based writes; the rows it changed
    get their own timeline entries there too, written set-wise (INSERT … SELECT), not one audit
    row each. Nothing is written when the run changed nothing.
    """
    if not any(counts.values()):
        return None
    changes: dict[str, Any] = {"sweep": name, "counts": dict(counts), "criteria": criteria or {}}
    if id_range is not None:
        changes["ids"] = list(id_range)
    return AuditEvent.objects.create(
        actor=acting_user(actor),
        action=AuditAction.UPDATE,
        target_type=ContentType.objects.get_for_model(model),
        target_id="",
        target_repr=name[:200],
        changes=_plain(changes),
    )
