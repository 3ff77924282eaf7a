"""The outbox's delivery: retries with backoff, the dead letter, messages left by a stopped
worker, and the drain (the periodic task and `manage.py deliver_outbox`)."""

import datetime

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import timezone
from huey.contrib.djhuey import HUEY

from kefu.notifications import delivery, services, tasks
from kefu.notifications.checks import check_sms_gateway
from kefu.notifications.models import LocalSms, OutboxMessage, OutboxStatus
from tests.factories import make_user
from tests.notifications.conftest import CONTEXT
from tests.notifications.gateways import DownGateway

pytestmark = pytest.mark.django_db

PHONE = "+8613971805566"


@pytest.fixture
def gateway_down(settings):
    settings.SMS_GATEWAY = "tests.notifications.gateways.DownGateway"
    settings.KEFU_OUTBOX_MAX_ATTEMPTS = 3
    DownGateway.calls = 0
    return DownGateway


def make_due(message: OutboxMessage) -> None:
    """As if the wait before the next try had passed."""
    OutboxMessage.objects.filter(pk=message.pk).update(
        next_attempt_at=timezone.now() - datetime.timedelta(seconds=1)
    )


def written_while_the_worker_is_stopped(
    django_capture_on_commit_callbacks, **arguments
) -> list[OutboxMessage]:
    """The change commits, but the task it queues is never run (no worker consumes the queue)."""
    with django_capture_on_commit_callbacks(execute=False):
        return services.send_to_customer(**arguments)


def test_a_failed_try_is_retried_later_with_a_growing_wait(
    kind, gateway_down, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        [message] = services.send_to_customer(kind=kind, phone=PHONE, context=CONTEXT)

    message.refresh_from_db()
    assert message.status == OutboxStatus.PENDING
    assert message.attempts == 1
    assert message.last_error == "HTTP 503 from the provider"
    first_wait = message.next_attempt_at - timezone.now()
    assert datetime.timedelta(seconds=50) < first_wait <= datetime.timedelta(seconds=60)

    assert delivery.drain().sent == 0  # not due yet: nothing is tried
    assert gateway_down.calls == 1

    make_due(message)
    assert delivery.drain().retried == 1
    message.refresh_from_db()
    assert message.attempts == 2
    assert message.next_attempt_at - timezone.now() > datetime.timedelta(minutes=3)


def test_after_the_last_attempt_the_message_is_given_up_with_its_error(
    kind, gateway_down, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        [message] = services.send_to_customer(kind=kind, phone=PHONE, context=CONTEXT)
    for _ in range(2):
        make_due(message)
        delivery.drain()

    message.refresh_from_db()
    assert (message.status, message.attempts) == (OutboxStatus.DEAD, 3)
    assert message.last_error == "HTTP 503 from the provider"
    make_due(message)
    assert delivery.drain().sent == 0
    assert gateway_down.calls == 3


def test_a_given_up_message_sent_again_is_delivered(
    kind, gateway_down, settings, administrator, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        [message] = services.send_to_customer(kind=kind, phone=PHONE, context=CONTEXT)
    OutboxMessage.objects.filter(pk=message.pk).update(status=OutboxStatus.DEAD)
    settings.SMS_GATEWAY = "kefu.notifications.sms.local.LocalSmsGateway"

    with django_capture_on_commit_callbacks(execute=True):
        services.retry_message(message_id=message.pk, by=administrator)

    message.refresh_from_db()
    assert message.status == OutboxStatus.SENT
    assert LocalSms.objects.filter(message=message).count() == 1


def test_only_a_dead_message_can_be_sent_again(kind, administrator):
    [message] = services.send_to_customer(kind=kind, phone=PHONE, context=CONTEXT)

    with pytest.raises(services.NotDead):
        services.retry_message(message_id=message.pk, by=administrator)


def test_a_stopped_worker_then_restarted_delivers_each_notification_exactly_once(
    kind, django_capture_on_commit_callbacks
):
    staff = [make_user("agent", username=f"agent{n}", email=f"agent{n}@example.com") for n in range(3)]
    with django_capture_on_commit_callbacks(execute=False):
        services.notify(kind=kind, recipients=staff, context=CONTEXT, channels=("inapp", "email"))
    texts = written_while_the_worker_is_stopped(
        django_capture_on_commit_callbacks, kind=kind, phone=PHONE, context=CONTEXT
    )
    assert mail.outbox == []
    assert LocalSms.objects.count() == 0
    assert OutboxMessage.objects.filter(status=OutboxStatus.PENDING).count() == 4

    # The worker starts again: its periodic drain runs, and an operator runs the command too.
    tasks.drain_outbox.call_local()
    call_command("deliver_outbox", stdout=open("/dev/null", "w"))  # noqa: SIM115
    tasks.drain_outbox.call_local()

    assert sorted(m.to[0] for m in mail.outbox) == [f"agent{n}@example.com" for n in range(3)]
    assert LocalSms.objects.filter(message=texts[0]).count() == 1
    assert set(OutboxMessage.objects.values_list("status", flat=True)) == {OutboxStatus.SENT}


def test_a_message_whose_worker_died_mid_send_is_put_back_and_sent_once(
    kind, settings, django_capture_on_commit_callbacks
):
    [message] = written_while_the_worker_is_stopped(
        django_capture_on_commit_callbacks, kind=kind, phone=PHONE, context=CONTEXT
    )
    [claimed] = delivery.claim()  # a worker claims it, then dies before sending
    assert claimed.pk == message.pk
    assert delivery.drain().sent == 0  # still within the timeout: nobody else sends it

    stale = timezone.now() - datetime.timedelta(seconds=settings.KEFU_OUTBOX_SENDING_TIMEOUT + 1)
    OutboxMessage.objects.filter(pk=message.pk).update(claimed_at=stale)
    outcome = delivery.drain()

    assert (outcome.requeued, outcome.sent) == (1, 1)
    message.refresh_from_db()
    assert (message.status, message.attempts) == (OutboxStatus.SENT, 2)
    assert LocalSms.objects.filter(message=message).count() == 1


def test_a_stuck_message_on_its_last_attempt_is_given_up(kind, settings, django_capture_on_commit_callbacks):
    settings.KEFU_OUTBOX_MAX_ATTEMPTS = 1
    [message] = written_while_the_worker_is_stopped(
        django_capture_on_commit_callbacks, kind=kind, phone=PHONE, context=CONTEXT
    )
    delivery.claim()
    stale = timezone.now() - datetime.timedelta(seconds=settings.KEFU_OUTBOX_SENDING_TIMEOUT + 1)
    OutboxMessage.objects.filter(pk=message.pk).update(claimed_at=stale)

    assert delivery.drain().dead == 1
    message.refresh_from_db()
    assert message.status == OutboxStatus.DEAD
    assert "worker stopped" in message.last_error


def test_a_claimed_message_is_not_claimed_again(kind, django_capture_on_commit_callbacks):
    written_while_the_worker_is_stopped(
        django_capture_on_commit_callbacks, kind=kind, phone=PHONE, context=CONTEXT
    )

    assert len(delivery.claim()) == 1
    assert delivery.claim() == []


def test_a_task_for_a_message_already_sent_sends_nothing(kind, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        [message] = services.send_to_customer(kind=kind, phone=PHONE, context=CONTEXT)

    assert tasks.deliver_messages.call_local([message.pk]) == 0
    assert LocalSms.objects.count() == 1


def test_the_tasks_are_queued_when_the_worker_is_not_immediate(
    kind, monkeypatch, django_capture_on_commit_callbacks
):
    """Outside the tests' immediate mode the commit only enqueues: the worker sends. (The
    in-memory storage of immediate mode stays: `_immediate` is set, not `immediate`, which
    would open the real queue.)"""
    monkeypatch.setattr(HUEY, "_immediate", False)
    HUEY.flush()
    with django_capture_on_commit_callbacks(execute=True):
        services.send_to_customer(kind=kind, phone=PHONE, context=CONTEXT)
    assert HUEY.pending_count() == 1
    assert LocalSms.objects.count() == 0

    task = HUEY.dequeue()
    assert task.name.endswith("deliver_messages")
    # The worker runs it (in this process, without closing the test's connection as a worker would).
    monkeypatch.setattr(HUEY, "_immediate", True)
    HUEY.execute(task)

    assert LocalSms.objects.count() == 1


def test_an_unreachable_mail_server_is_a_failed_try(kind, settings, django_capture_on_commit_callbacks):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 9, 2
    owner = make_user("agent", username="owner", email="owner@example.com")

    with django_capture_on_commit_callbacks(execute=True):
        services.notify(kind=kind, recipients=[owner], context=CONTEXT, channels=("email",))

    message = OutboxMessage.objects.get()
    assert (message.status, message.attempts) == (OutboxStatus.PENDING, 1)
    assert "ConnectionRefusedError" in message.last_error


def test_a_gateway_setting_that_names_no_class_fails_the_system_check(settings):
    settings.SMS_GATEWAY = "kefu.notifications.sms.nowhere.Gateway"

    [error] = check_sms_gateway()

    assert error.id == "kefu.E021"
    settings.SMS_GATEWAY = "kefu.notifications.sms.local.LocalSmsGateway"
    assert check_sms_gateway() == []
