"""What the breach sweep tells people, through the notifications outbox (decision 0021): the owner
that a promise of theirs was breached, each further level of the chain that it was escalated to
them. The sweep calls these inside its transaction; the words are templates per kind, language and
channel, registered here from PromisesConfig.ready() and editable in the admin.

One notice per person, level and run: an owner with three tickets breached in the same minute gets
one message naming how many and the first, not three (decision 0027).
"""

from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from kefu.notifications.registry import register_kind
from kefu.notifications.services import notify

BREACHED = "promises.breached"
ESCALATED = "promises.escalated"
CHANNELS = ("inapp", "email")
MANAGER_ROLE = "manager"
# The level in each template language (the templates are per language; so are these words).
LEVEL_WORDS = {
    1: ("负责人", "owner"),
    2: ("主管", "supervisor"),
    3: ("服务总监", "service director"),
    4: ("总部", "HQ"),
}


def _link(number: str, count: int) -> str:
    if count == 1:
        return reverse("tickets:detail", args=[number])
    return reverse("tickets:queue") + "?queue=breached"


def tell(*, user_id: int | None, level: int, count: int, number: str, subject: str) -> int:
    """Tell who a level of the chain reached: the user (`user_id`), or, at HQ with no contact set,
    every active manager. `count` promises reached them in this run; `number` and `subject` are
    the most overdue one's ticket. How many people were told."""
    User = get_user_model()
    if user_id is not None:
        recipients = list(User.objects.filter(pk=user_id, is_active=True))
    else:
        recipients = list(User.objects.filter(groups__name=MANAGER_ROLE, is_active=True).distinct())
    if not recipients:
        return 0
    notify(
        kind=BREACHED if level == 1 else ESCALATED,
        recipients=recipients,
        context={
            "count": count,
            "number": number,
            "subject": subject,
            "level_zh": LEVEL_WORDS[level][0],
            "level_en": LEVEL_WORDS[level][1],
        },
        link=_link(number, count),
        channels=CHANNELS,
    )
    return len(recipients)


def register_kinds() -> None:
    """The promises' notification kinds and their default words; PromisesConfig.ready() calls it."""
    register_kind(
        BREACHED,
        label=_("Service promise breached on your ticket"),
        defaults={
            ("inapp", "zh-hans"): (
                "{% if count == 1 %}工单 {{ number }} 服务承诺已超时"
                "{% else %}{{ count }} 个工单服务承诺已超时{% endif %}",
                "{% if count == 1 %}{{ subject }}{% else %}最早的一个：{{ number }} {{ subject }}{% endif %}",
            ),
            ("inapp", "en"): (
                "{% if count == 1 %}Ticket {{ number }} broke its service promise"
                "{% else %}{{ count }} tickets broke their service promise{% endif %}",
                "{% if count == 1 %}{{ subject }}"
                "{% else %}The most overdue: {{ number }} {{ subject }}{% endif %}",
            ),
            ("email", "zh-hans"): (
                "{% if count == 1 %}工单 {{ number }} 服务承诺已超时"
                "{% else %}{{ count }} 个工单服务承诺已超时{% endif %}",
                "您负责的{% if count == 1 %}工单 {{ number }}（{{ subject }}）{% else %} {{ count }} 个工单"
                "（最早的一个：{{ number }} {{ subject }}）{% endif %}已超过对客户承诺的时间，请尽快处理。"
                "\n\n{{ url }}",
            ),
            ("email", "en"): (
                "{% if count == 1 %}Ticket {{ number }} broke its service promise"
                "{% else %}{{ count }} tickets broke their service promise{% endif %}",
                "{% if count == 1 %}Your ticket {{ number }} ({{ subject }}){% else %}{{ count }} of your "
                "tickets (the most overdue: {{ number }}, {{ subject }}){% endif %} passed the time promised "
                "to the customer. Please act on it now.\n\n{{ url }}",
            ),
        },
    )
    register_kind(
        ESCALATED,
        label=_("Breached service promise escalated to you"),
        defaults={
            ("inapp", "zh-hans"): (
                "{% if count == 1 %}工单 {{ number }} 超时升级至您（{{ level_zh }}）"
                "{% else %}{{ count }} 个超时工单升级至您（{{ level_zh }}）{% endif %}",
                "{% if count == 1 %}{{ subject }}{% else %}最早的一个：{{ number }} {{ subject }}{% endif %}",
            ),
            ("inapp", "en"): (
                "{% if count == 1 %}Ticket {{ number }} escalated to you ({{ level_en }})"
                "{% else %}{{ count }} overdue tickets escalated to you ({{ level_en }}){% endif %}",
                "{% if count == 1 %}{{ subject }}"
                "{% else %}The most overdue: {{ number }} {{ subject }}{% endif %}",
            ),
            ("email", "zh-hans"): (
                "{% if count == 1 %}工单 {{ number }} 超时升级至您（{{ level_zh }}）"
                "{% else %}{{ count }} 个超时工单升级至您（{{ level_zh }}）{% endif %}",
                "{% if count == 1 %}工单 {{ number }}（{{ subject }}）{% else %}{{ count }} 个工单"
                "（最早的一个：{{ number }} {{ subject }}）{% endif %}超过对客户承诺的时间仍未兑现，"
                "已按升级规则通知您（{{ level_zh }}）。\n\n{{ url }}",
            ),
            ("email", "en"): (
                "{% if count == 1 %}Ticket {{ number }} escalated to you ({{ level_en }})"
                "{% else %}{{ count }} overdue tickets escalated to you ({{ level_en }}){% endif %}",
                "{% if count == 1 %}Ticket {{ number }} ({{ subject }})"
                "{% else %}{{ count }} tickets (the most overdue: {{ number }}, {{ subject }}){% endif %}"
                " passed the time promised to the customer "
                "and the escalation chain reached you ({{ level_en }}).\n\n{{ url }}",
            ),
        },
    )
