"""notify() and send_to_customer(): rows in the caller's transaction, delivery after its commit."""

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import transaction

from kefu.notifications import services
from kefu.notifications.models import LocalSms, Notification, OutboxMessage, OutboxStatus
from tests.factories import make_user
from tests.notifications.conftest import CONTEXT

pytestmark = pytest.mark.django_db


@pytest.fixture
def owner(db):
    return make_user("agent", username="owner", email="owner@example.com")


def test_notify_writes_the_bell_row_and_the_email_in_the_callers_transaction(kind, owner):
    with transaction.atomic():
        rows = services.notify(
            kind=kind, recipients=[owner], context=CONTEXT, link="/tickets/1/", channels=("inapp", "email")
        )
        assert Notification.objects.filter(recipient=owner).count() == 1
        assert OutboxMessage.objects.filter(recipient=owner, status=OutboxStatus.PENDING).count() == 1

    assert [row.title for row in rows] == ["工单 KF2611240001 已转给您"]
    assert rows[0].body == "王工：<b>空调</b> & 外机"  # plain text: the page escapes it
    assert rows[0].link == "/tickets/1/"


def test_nothing_is_written_or_sent_when_the_callers_transaction_rolls_back(
    kind, owner, nothing_written, django_capture_on_commit_callbacks
):
    def change_that_fails():
        with transaction.atomic():
            services.notify(kind=kind, recipients=[owner], context=CONTEXT, channels=("inapp", "email"))
            raise RuntimeError("the change that notifies failed")

    with django_capture_on_commit_callbacks(execute=True) as callbacks, pytest.raises(RuntimeError):
        change_that_fails()

    assert callbacks == []
    nothing_written()


def test_the_email_is_sent_only_after_the_commit(kind, owner, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.notify(kind=kind, recipients=[owner], context=CONTEXT, channels=("inapp", "email"))
    assert mail.outbox == []
    assert len(callbacks) == 1

    callbacks[0]()

    message = OutboxMessage.objects.get()
    assert message.status == OutboxStatus.SENT
    assert message.attempts == 1
    assert message.sent_at is not None
    assert [(m.to, m.subject) for m in mail.outbox] == [(["owner@example.com"], "工单 KF2611240001 已转给您")]
    assert "http://" in mail.outbox[0].body
    assert "/tickets/" not in mail.outbox[0].body


def test_inapp_only_writes_no_outbox_row(kind, owner, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        services.notify(kind=kind, recipients=[owner], context=CONTEXT)

    assert callbacks == []
    assert OutboxMessage.objects.count() == 0
    assert Notification.objects.count() == 1


def test_users_without_an_email_get_only_the_bell(kind, owner):
    colleague = make_user("agent", username="colleague", email="")

    services.notify(kind=kind, recipients=[owner, colleague], context=CONTEXT, channels=("inapp", "email"))

    assert Notification.objects.count() == 2
    assert list(OutboxMessage.objects.values_list("address", flat=True)) == ["owner@example.com"]


def test_inactive_users_and_repeats_are_skipped(kind, owner):
    gone = make_user("agent", username="gone", is_active=False)

    rows = services.notify(kind=kind, recipients=[owner, owner, gone], context=CONTEXT)

    assert [row.recipient for row in rows] == [owner]


def test_a_link_must_be_a_path_in_the_site(kind, owner, nothing_written):
    for link in ("https://evil.example/", "//evil.example/x", "javascript:alert(1)", "/a b"):
        with pytest.raises(ValueError, match="path inside the site"):
            services.notify(kind=kind, recipients=[owner], context=CONTEXT, link=link)
    nothing_written()


def test_an_unknown_kind_or_channel_is_a_programming_error(kind, owner, nothing_written):
    with pytest.raises(LookupError):
        services.notify(kind="tests.nothing", recipients=[owner], context={})
    with pytest.raises(ValueError, match="in-app or by e-mail"):
        services.notify(kind=kind, recipients=[owner], context={}, channels=("sms",))
    nothing_written()


def test_send_to_customer_records_the_text_in_the_local_gateway_after_commit(
    kind, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        messages = services.send_to_customer(
            kind=kind, phone="+8613971805566", context={"number": "KF1", "link": "/t/abc/"}
        )

    message = OutboxMessage.objects.get(pk=messages[0].pk)
    assert message.status == OutboxStatus.SENT
    record = LocalSms.objects.get()
    assert (record.phone, record.message_id) == ("+8613971805566", message.pk)
    assert record.body == "【客服】您的工单 KF1 有新进展：/t/abc/"
    assert message.provider_id == f"local-{record.pk}"


def test_send_to_customer_in_english_by_text_and_email(kind, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        messages = services.send_to_customer(
            kind=kind, phone="+8613971805566", email="chen@example.com", language="en", context=CONTEXT
        )

    assert sorted(message.channel for message in messages) == ["email", "sms"]
    assert LocalSms.objects.get().body.startswith("[Kefu] Your ticket KF2611240001")
    assert mail.outbox[0].subject == "Ticket KF2611240001 was transferred to you"


@pytest.mark.parametrize(
    ("arguments", "fields"),
    [
        ({}, {"phone"}),
        ({"phone": "13971805566"}, {"phone"}),
        ({"email": "not an address"}, {"email"}),
        ({"phone": "+8613971805566", "language": "fr"}, {"language"}),
    ],
)
def test_send_to_customer_refuses_bad_addresses_and_writes_nothing(kind, nothing_written, arguments, fields):
    with pytest.raises(ValidationError) as refusal:
        services.send_to_customer(kind=kind, context=CONTEXT, **arguments)

    assert set(refusal.value.message_dict) == fields
    nothing_written()


def test_mark_read_touches_only_the_users_own(kind, owner):
    other = make_user("agent", username="other")
    mine = services.notify(kind=kind, recipients=[owner], context=CONTEXT)[0]
    theirs = services.notify(kind=kind, recipients=[other], context=CONTEXT)[0]

    assert services.mark_read(user=owner, ids=[mine.pk, theirs.pk]) == 1
    assert services.mark_read(user=owner, ids=[mine.pk]) == 0  # already read

    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_mark_all_read(kind, owner):
    services.notify(kind=kind, recipients=[owner], context=CONTEXT)
    services.notify(kind=kind, recipients=[owner], context=CONTEXT)

    assert services.mark_all_read(user=owner) == 2
    assert not Notification.objects.filter(read_at__isnull=True).exists()


def test_a_customers_link_reaches_the_email_as_an_absolute_url(
    kind, settings, django_capture_on_commit_callbacks
):
    settings.KEFU_SITE_URL = "https://kefu.example.com"

    with django_capture_on_commit_callbacks(execute=True):
        services.send_to_customer(kind=kind, email="chen@example.com", context={**CONTEXT, "link": "/t/abc/"})

    assert mail.outbox[0].body.endswith("https://kefu.example.com/t/abc/")


def test_a_customers_link_must_be_a_path_in_the_site(kind, nothing_written):
    with pytest.raises(ValueError, match="path inside the site"):
        services.send_to_customer(
            kind=kind, phone="+8613971805566", context={"link": "https://evil.example/"}
        )
    nothing_written()
