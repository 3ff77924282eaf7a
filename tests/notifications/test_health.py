"""The outbox's backlog in /healthz and the admin banner."""

import datetime

import pytest
from django.utils import timezone

from kefu.notifications import selectors, services
from kefu.notifications.models import OutboxMessage, OutboxStatus
from tests.notifications.conftest import CONTEXT

pytestmark = pytest.mark.django_db


def test_healthz_shows_the_backlog_beside_its_own_fields(kind, client):
    services.send_to_customer(kind=kind, phone="+8613971805566", context=CONTEXT)  # not committed: waits
    services.send_to_customer(kind=kind, phone="+8613971805567", context=CONTEXT)
    OutboxMessage.objects.filter(pk=OutboxMessage.objects.order_by("id").first().pk).update(
        status=OutboxStatus.DEAD, created_at=timezone.now() - datetime.timedelta(hours=1)
    )
    OutboxMessage.objects.filter(status=OutboxStatus.PENDING).update(
        created_at=timezone.now() - datetime.timedelta(minutes=5)
    )

    body = client.get("/healthz").json()

    assert body["ok"] is True
    assert {"version", "database", "queue"} <= body.keys()
    assert body["outbox"]["pending"] == 1
    assert body["outbox"]["dead"] == 1
    assert 290 <= body["outbox"]["oldest_pending_seconds"] <= 310


def test_an_empty_outbox_reports_zeros(client):
    assert client.get("/healthz").json()["outbox"] == {"pending": 0, "oldest_pending_seconds": 0, "dead": 0}


def test_the_admin_banner_warns_of_dead_messages_and_an_old_backlog(kind, administrator, client):
    client.force_login(administrator)
    assert (
        "could not be delivered"
        not in client.get("/admin/", headers={"Accept-Language": "en"}).content.decode()
    )

    services.send_to_customer(kind=kind, phone="+8613971805566", context=CONTEXT)
    services.send_to_customer(kind=kind, phone="+8613971805567", context=CONTEXT)
    first = OutboxMessage.objects.order_by("id").first()
    OutboxMessage.objects.filter(pk=first.pk).update(status=OutboxStatus.DEAD)
    OutboxMessage.objects.filter(status=OutboxStatus.PENDING).update(
        created_at=timezone.now() - datetime.timedelta(minutes=30)
    )
    page = client.get("/admin/", headers={"Accept-Language": "en"}).content.decode()

    assert "1 notification could not be delivered and was given up" in page
    assert "1 notification is waiting to be sent, the oldest for 30 minutes" in page


def test_the_backlog_costs_two_queries(kind, django_assert_num_queries):
    services.send_to_customer(kind=kind, phone="+8613971805566", context=CONTEXT)

    with django_assert_num_queries(2):
        assert selectors.outbox_backlog()["pending"] == 1
