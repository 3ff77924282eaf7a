"""Real races on the outbox (PostgreSQL): two drains at once, and a drain beside the task that a
commit queued, deliver each message exactly once (decision 0021)."""

import threading

import pytest

from kefu.notifications import delivery
from kefu.notifications.kinds import TEST_MESSAGE
from kefu.notifications.models import Channel, LocalSms, OutboxMessage, OutboxStatus
from kefu.notifications.sms.local import LocalSmsGateway
from tests.races.parallel import Racers

pytestmark = [pytest.mark.postgresql, pytest.mark.django_db(transaction=True)]

MESSAGES = 60


@pytest.fixture
def waiting():
    """Messages written while no worker ran: their rows, and no task queued for them."""
    rows = OutboxMessage.objects.bulk_create(
        OutboxMessage(
            kind=TEST_MESSAGE,
            channel=Channel.SMS,
            address=f"+86139{n:08d}",
            language="zh-hans",
            body=f"【客服】测试 {n}",
        )
        for n in range(MESSAGES)
    )
    return [row.pk for row in rows]


def sent_once(ids: list[int]) -> None:
    per_message = dict.fromkeys(ids, 0)
    for message_id in LocalSms.objects.values_list("message_id", flat=True):
        per_message[message_id] += 1
    assert set(per_message.values()) == {1}, "every message is sent, none twice"
    assert set(OutboxMessage.objects.values_list("status", flat=True)) == {OutboxStatus.SENT}


class MeetingGateway(LocalSmsGateway):
    """The local gateway, whose first send in each thread waits until two threads are sending:
    both drains then hold claimed messages at the same moment, so the overlap is certain."""

    meeting = threading.Barrier(2)
    seen = threading.local()

    def send(self, *, phone: str, body: str, message_id: int) -> str:
        if not getattr(self.seen, "met", False):
            self.seen.met = True
            self.meeting.wait(timeout=10)
        return super().send(phone=phone, body=body, message_id=message_id)


def test_two_drains_at_once_deliver_each_message_once(waiting, settings):
    settings.SMS_GATEWAY = "tests.races.test_outbox.MeetingGateway"
    MeetingGateway.meeting.reset()

    outcomes = Racers(lambda: delivery.drain(), lambda: delivery.drain()).start().join()

    assert [outcome.error for outcome in outcomes] == [None, None]
    assert all(outcome.value.sent > 0 for outcome in outcomes), "both drains sent a share"
    assert sum(outcome.value.sent for outcome in outcomes) == MESSAGES
    sent_once(waiting)


def test_drains_and_the_task_queued_by_the_commit_overlap_without_sending_twice(waiting):
    racers = Racers(
        lambda: delivery.deliver(waiting),
        lambda: delivery.drain(),
        lambda: delivery.drain(),
        lambda: delivery.deliver(waiting[::2]),
    ).start()
    outcomes = racers.join()

    assert [outcome.error for outcome in outcomes] == [None] * 4
    assert sum(outcome.value.sent for outcome in outcomes) == MESSAGES
    sent_once(waiting)
