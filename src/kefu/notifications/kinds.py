"""The notifications app's own kind: a test message, with which an administrator checks that
e-mail and text messages leave the system (`manage.py send_test_message`)."""

from django.utils.translation import gettext_lazy as _

from kefu.notifications.registry import register_kind

TEST_MESSAGE = "notifications.test"


def register_kinds() -> None:
    register_kind(
        TEST_MESSAGE,
        label=_("Test message"),
        defaults={
            ("inapp", "zh-hans"): ("测试通知", "这是一条测试通知：{{ note }}"),
            ("inapp", "en"): ("Test notification", "This is a test notification: {{ note }}"),
            ("email", "zh-hans"): ("客服系统测试邮件", "这是一封测试邮件：{{ note }}\n\n{{ url }}"),
            ("email", "en"): ("Kefu test e-mail", "This is a test e-mail: {{ note }}\n\n{{ url }}"),
            ("sms", "zh-hans"): ("", "【客服】这是一条测试短信：{{ note }}"),
            ("sms", "en"): ("", "[Kefu] This is a test text message: {{ note }}"),
        },
    )
