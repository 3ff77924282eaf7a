"""Optimistic locking for VersionedModel records."""

from typing import TypeVar

from django.db import models

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
