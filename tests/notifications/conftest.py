"""A kind of notification for the tests (registered as an app would, its templates seeded), and
gateways that fail on purpose."""

import pytest
from django.core import mail

from kefu.notifications import registry
from kefu.notifications.models import Notification, OutboxMessage

KIND = "tests.transferred"
DEFAULTS = {
    ("inapp", "zh-hans"): ("工单 {{ number }} 已转给您", "{{ by }}：{{ reason }}"),
    ("inapp", "en"): ("Ticket {{ number }} was transferred to you", "{{ by }}: {{ reason }}"),
    ("email", "zh-hans"): ("工单 {{ number }} 已转给您", "{{ by }}：{{ reason }}\n{{ url }}"),
    ("email", "en"): ("Ticket {{ number }} was transferred to you", "{{ by }}: {{ reason }}\n{{ url }}"),
    ("sms", "zh-hans"): ("", "【客服】您的工单 {{ number }} 有新进展：{{ link }}"),
    ("sms", "en"): ("", "[Kefu] Your ticket {{ number }} has news: {{ link }}"),
}
CONTEXT = {"number": "KF2611240001", "by": "王工", "reason": "<b>空调</b> & 外机"}


@pytest.fixture
def kind(db):
    registry.register_kind(KIND, label="Ticket transferred", defaults=DEFAULTS)
    registry.seed_templates()
    return KIND


@pytest.fixture
def nothing_written():
    """Call it after a refusal: no notification and no outbox row exists."""

    def check():
        assert Notification.objects.count() == 0
        assert OutboxMessage.objects.count() == 0
        assert mail.outbox == []

    return check
