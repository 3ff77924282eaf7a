"""The admin: the outbox readable with its numbers cut to the last four digits, "send again"
through the service, and the in-app notifications read-only."""

import pytest
from django.urls import reverse

from kefu.core.models import AuditEvent
from kefu.notifications import services
from kefu.notifications.models import LocalSms, Notification, OutboxMessage, OutboxStatus
from tests.notifications.conftest import CONTEXT

pytestmark = pytest.mark.django_db
PHONE = "+8613971805566"


def test_the_outbox_shows_a_phone_by_its_last_four_digits_only(kind, administrator, client):
    services.send_to_customer(kind=kind, phone=PHONE, context=CONTEXT)
    client.force_login(administrator)

    page = client.get(reverse("admin:notifications_outboxmessage_changelist")).content.decode()

    assert "…5566" in page
    assert "13971805566" not in page


def test_send_again_revives_a_dead_message_through_the_service(
    kind, administrator, client, django_capture_on_commit_callbacks
):
    [message] = services.send_to_customer(kind=kind, phone=PHONE, context=CONTEXT)
    OutboxMessage.objects.filter(pk=message.pk).update(status=OutboxStatus.DEAD, attempts=6)
    client.force_login(administrator)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("admin:notifications_outboxmessage_changelist"),
            {"action": "send_again", "_selected_action": [message.pk]},
        )

    assert response.status_code == 302
    message.refresh_from_db()
    assert message.status == OutboxStatus.SENT
    assert LocalSms.objects.filter(message=message).count() == 1
    assert AuditEvent.objects.filter(target_id=str(message.pk), actor=administrator).exists()


def test_in_app_notifications_are_read_only(kind, administrator, client):
    [row] = services.notify(kind=kind, recipients=[administrator], context=CONTEXT)
    client.force_login(administrator)

    url = reverse("admin:notifications_notification_change", args=[row.pk])
    client.post(url, {"title": "changed"})

    assert Notification.objects.get().title == row.title
    assert client.get(reverse("admin:notifications_notification_add")).status_code == 403
