"""Optimistic locking for VersionedModel records: an update service locks the row with
`lock_for_update` (checking the version the client saw), and, when something really changed,
calls `bump_version` before it saves."""

from typing import TypeVar

from django.db import models, transaction

from kefu.core.errors import StaleVersion
from kefu.core.models import VersionedModel

M = TypeVar("M", bound=VersionedModel)


def lock_for_update(queryset: models.QuerySet[M] | models.Manager[M], pk, expected_version: int | None) -> M:
    """Lock the row and check that the caller saw its current version.

    Raises the model's DoesNotExist when the row is gone and StaleVersion when it changed
    since the caller read it. `expected_version=None` skips the check (internal callers).
    """
    obj = queryset.select_for_update().get(pk=pk)
    if expected_version is not None and obj.version != expected_version:
        raise StaleVersion(current_version=obj.version)
    return obj


def bump_version(obj: VersionedModel) -> None:
    """Mark a real change: the record's version goes up by one (in memory; the caller saves it).

    Call it once for each update that changed something and never for one that changed nothing,
    so that a client holding the version it read may still send its edit. It must run inside
    the transaction that locked the row (`lock_for_update`): the lock is what makes reading and
    raising the number safe.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("bump_version() outside a transaction: lock the row with lock_for_update() first")
    obj.version += 1
