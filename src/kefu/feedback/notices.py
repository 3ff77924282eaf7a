"""What surveys send and tell, through the notifications outbox (decision 0021): the survey link
to the customer (a text message, else an e-mail; the words are templates per kind, language and
channel, editable in the admin) and, to its owner, that a recovery case was opened for them (the
managers when no supervisor could take it). Registered from FeedbackConfig.ready()."""

from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from kefu.notifications.registry import register_kind
from kefu.notifications.services import notify

SURVEY = "feedback.survey"
RECOVERY_OPENED = "feedback.recovery_opened"
MANAGER_ROLE = "manager"


def recovery_opened(*, case, owner) -> int:
    """Tell the owner of a new recovery case (or, with no owner, every active manager)."""
    User = get_user_model()
    recipients = (
        [owner]
        if owner is not None
        else list(User.objects.filter(groups__name=MANAGER_ROLE, is_active=True).distinct())
    )
    rows = notify(
        kind=RECOVERY_OPENED,
        recipients=recipients,
        context={"number": case.number, "subject": case.subject},
        link=reverse("tickets:detail", args=[case.number]),
    )
    return len(rows)


def register_kinds() -> None:
    register_kind(
        SURVEY,
        label=_("Satisfaction survey to the customer"),
        defaults={
            ("sms", "zh-hans"): (
                "",
                "【客服】您的服务{% if number %}（{{ number }}）{% endif %}已完成。"
                "您满意吗？请点击一下告诉我们：{{ url }}",
            ),
            ("sms", "en"): (
                "",
                "[Kefu] Your service{% if number %} ({{ number }}){% endif %} is done. Were you satisfied? "
                "One tap tells us: {{ url }}",
            ),
            ("email", "zh-hans"): (
                "您对这次服务满意吗？",
                "您好：\n\n您的服务{% if number %}（{{ number }}）{% endif %}已完成。您对这次服务满意吗？"
                "请点击下面的链接告诉我们，只需一下：\n\n{{ url }}\n\n谢谢！",
            ),
            ("email", "en"): (
                "Were you satisfied with our service?",
                "Hello,\n\nYour service{% if number %} ({{ number }}){% endif %} is done. "
                "Were you satisfied? Tell us with one tap:\n\n{{ url }}\n\nThank you!",
            ),
        },
    )
    register_kind(
        RECOVERY_OPENED,
        label=_("Recovery case opened for you"),
        defaults={
            ("inapp", "zh-hans"): ("客户不满意：补救工单 {{ number }}", "{{ subject }}"),
            ("inapp", "en"): ("A customer is not satisfied: recovery case {{ number }}", "{{ subject }}"),
            ("email", "zh-hans"): (
                "客户不满意：补救工单 {{ number }}",
                "客户在满意度调查中回答“不满意”，已为您开立补救工单 {{ number }}（{{ subject }}）。"
                "请尽快联系客户。\n\n{{ url }}",
            ),
            ("email", "en"): (
                "A customer is not satisfied: recovery case {{ number }}",
                "A customer answered “not satisfied”; recovery case {{ number }} ({{ subject }}) was opened "
                "for you. Please contact the customer soon.\n\n{{ url }}",
            ),
        },
    )
