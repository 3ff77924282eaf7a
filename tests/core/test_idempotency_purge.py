import datetime

import pytest
from django.core.management import call_command
from django.utils import timezone

from kefu.core.api.idempotency import KEY_LIFETIME, purge_expired_keys
from kefu.core.models import IdempotencyKey
from kefu.core.tasks import purge_idempotency_keys

pytestmark = pytest.mark.django_db


def key(user, name: str, age: datetime.timedelta) -> IdempotencyKey:
    return IdempotencyKey.objects.create(
        user=user, key=name, fingerprint="f" * 64, status=201, response={}, created_at=timezone.now() - age
    )


def test_only_keys_past_their_lifetime_are_purged_and_a_rerun_changes_nothing(agent):
    key(agent, "old", KEY_LIFETIME + datetime.timedelta(minutes=1))
    key(agent, "fresh", KEY_LIFETIME - datetime.timedelta(minutes=1))

    assert purge_expired_keys() == 1
    assert purge_expired_keys() == 0
    assert list(IdempotencyKey.objects.values_list("key", flat=True)) == ["fresh"]


def test_the_nightly_task_and_the_command_purge_the_same_way(agent, capsys):
    key(agent, "old-1", KEY_LIFETIME * 2)
    purge_idempotency_keys()  # Huey runs it in-process during tests
    key(agent, "old-2", KEY_LIFETIME * 2)
    call_command("purge_idempotency_keys")

    assert not IdempotencyKey.objects.exists()
    assert "Deleted 1 idempotency keys" in capsys.readouterr().out
