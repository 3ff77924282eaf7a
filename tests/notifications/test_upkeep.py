"""Keeping up: the bell asks for its count again by itself (one COUNT), and sent messages are
purged after KEFU_OUTBOX_KEEP_DAYS days by a set-based sweep that is safe to repeat."""

import datetime
from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from kefu.core.models import AuditEvent
from kefu.notifications import delivery, services, tasks
from kefu.notifications.models import LocalSms, Notification, OutboxMessage, OutboxStatus
from tests.notifications.conftest import CONTEXT

pytestmark = pytest.mark.django_db
BELL = "/notifications/bell/"
HTMX = {"HX-Request": "true", "HX-Current-URL": "http://testserver/tickets/"}


# --- The bell's poll ---------------------------------------------------------------------------


def test_the_page_bell_asks_for_its_count_again_every_minute(agent_client):
    page = agent_client.get("/").content.decode()

    assert f'hx-get="{reverse("notifications:bell")}"' in page
    assert 'hx-trigger="every 60s"' in page


def test_the_bell_answers_the_unread_count_in_three_statements(
    kind, agent, agent_client, django_assert_num_queries
):
    services.notify(kind=kind, recipients=[agent], context=CONTEXT, link="/customers/")
    services.notify(kind=kind, recipients=[agent], context=CONTEXT, link="/customers/")

    # the session, the user, and the one COUNT on the partial index of unread rows
    with django_assert_num_queries(3) as counted:
        response = agent_client.get(BELL, headers=HTMX)

    assert response.status_code == 200
    html = response.content.decode()
    assert '<span class="kf-bell-count" aria-hidden="true">2</span>' in html
    assert 'id="kf-bell"' in html
    assert 'hx-trigger="every 60s"' in html  # it keeps polling
    assert "<html" not in html
    assert "COUNT(" in counted.captured_queries[-1]["sql"].upper()


def test_the_polled_bell_is_current_only_on_the_notifications_page(agent_client):
    elsewhere = agent_client.get(BELL, headers=HTMX).content.decode()
    on_list = agent_client.get(
        BELL, headers={**HTMX, "HX-Current-URL": "http://testserver/notifications/?unread=1"}
    ).content.decode()

    assert 'aria-current="page"' not in elsewhere
    assert 'aria-current="page"' in on_list


def test_a_signed_out_bell_stops_polling_instead_of_showing_the_sign_in_page(client):
    response = client.get(BELL, headers=HTMX)

    assert response.status_code == 286  # htmx stops a poll on this status
    assert response.content == b""


def test_the_bell_shows_only_ones_own_count(kind, agent, supervisor, agent_client):
    services.notify(kind=kind, recipients=[supervisor], context=CONTEXT, link="/customers/")

    html = agent_client.get(BELL, headers=HTMX).content.decode()

    assert "kf-bell-count" not in html
    assert Notification.objects.filter(recipient=supervisor).count() == 1


# --- The outbox purge --------------------------------------------------------------------------


def message(status: str, *, sent_days_ago: float | None = None, channel: str = "email") -> OutboxMessage:
    now = timezone.now()
    sent_at = now - datetime.timedelta(days=sent_days_ago) if sent_days_ago is not None else None
    return OutboxMessage.objects.create(
        channel=channel,
        address="+8613971805566" if channel == "sms" else "chen@example.com",
        language="zh-hans",
        kind="tests.transferred",
        body="您的工单有新进展",
        status=status,
        sent_at=sent_at,
        created_at=now - datetime.timedelta(days=(sent_days_ago or 0) + 0.01),
        claimed_at=now if status == OutboxStatus.SENDING else None,
    )


@pytest.fixture
def outbox(settings):
    settings.KEFU_OUTBOX_KEEP_DAYS = 30
    old_sms = message(OutboxStatus.SENT, sent_days_ago=45, channel="sms")
    LocalSms.objects.create(message=old_sms, phone=old_sms.address, body=old_sms.body)
    return {
        "old": [
            old_sms,
            message(OutboxStatus.SENT, sent_days_ago=31),
            message(OutboxStatus.SENT, sent_days_ago=400),
        ],
        "kept": [
            message(OutboxStatus.SENT, sent_days_ago=29),
            message(OutboxStatus.PENDING),
            message(OutboxStatus.SENDING),
            message(OutboxStatus.DEAD),
        ],
    }


def test_sent_messages_past_their_days_are_purged_and_nothing_else(outbox):
    deleted = delivery.purge_sent()

    assert deleted == 3
    assert set(OutboxMessage.objects.values_list("pk", flat=True)) == {m.pk for m in outbox["kept"]}
    assert not LocalSms.objects.exists()  # the local gateway's copy goes with its message


def test_the_purge_is_idempotent_and_audited_once_per_run_that_deleted(outbox):
    first = delivery.purge_sent()
    audited = AuditEvent.objects.filter(target_repr="notifications.purge_outbox")
    second = delivery.purge_sent()

    assert (first, second) == (3, 0)
    assert audited.count() == 1
    assert audited.get().changes["counts"] == {"deleted": 3}


def test_the_purge_is_set_based_whatever_the_number_of_messages(outbox, django_assert_max_num_queries):
    for _ in range(40):
        message(OutboxStatus.SENT, sent_days_ago=60)

    # one batch: the ids, the local copies, the messages, the audit row's content type and
    # row (a savepoint each side on SQLite's atomic); then the empty look that ends the run.
    with django_assert_max_num_queries(8) as counted:
        assert delivery.purge_sent(batch=1000) == 43
    deletes = [q["sql"] for q in counted.captured_queries if q["sql"].upper().startswith("DELETE")]
    assert len(deletes) == 2


def test_the_purge_goes_batch_by_batch(outbox):
    for _ in range(7):
        message(OutboxStatus.SENT, sent_days_ago=60)

    assert delivery.purge_sent(batch=4) == 10
    assert AuditEvent.objects.filter(target_repr="notifications.purge_outbox").count() == 3


def test_the_keep_days_setting_moves_the_line(outbox, settings):
    settings.KEFU_OUTBOX_KEEP_DAYS = 500

    assert delivery.purge_sent() == 0
    settings.KEFU_OUTBOX_KEEP_DAYS = 1
    assert delivery.purge_sent() == 4


def test_the_command_and_the_nightly_task_run_the_same_purge(outbox):
    out = StringIO()
    call_command("purge_outbox", stdout=out)

    assert "Deleted 3 " in out.getvalue()
    assert tasks.purge_outbox.call_local() == 0
