"""What complaints tell people, through the notifications outbox (decision 0021): the managers that
a complaint was escalated to HQ, and the customers of a closed problem's tickets what was done.
The services call these inside their transaction; the words are templates per kind, language and
channel, registered here from ComplaintsConfig.ready() and editable in the admin.
"""

from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from kefu.notifications.registry import register_kind
from kefu.notifications.services import notify, send_to_customer

ESCALATED_TO_HQ = "complaints.escalated_to_hq"
PROBLEM_CLOSED = "complaints.problem_closed"
CHANNELS = ("inapp", "email")
MANAGER_ROLE = "manager"


def escalated_to_hq(complaint, *, by) -> int:
    """Tell every active manager that the complaint reached HQ; how many were told."""
    managers = list(get_user_model().objects.filter(groups__name=MANAGER_ROLE, is_active=True).distinct())
    ticket = complaint.ticket
    notify(
        kind=ESCALATED_TO_HQ,
        recipients=managers,
        context={
            "number": ticket.number,
            "subject": ticket.subject,
            "reason": complaint.escalation_reason,
            "by": str(by or ""),
            "visit_on": complaint.apology_visit_on.isoformat() if complaint.apology_visit_on else "",
        },
        link=reverse("tickets:detail", args=[ticket.number]),
        channels=CHANNELS,
    )
    return len(managers)


def problem_closed(problem, customer, *, phone: str, email: str) -> None:
    """Tell one customer that the problem behind their ticket was corrected."""
    send_to_customer(
        kind=PROBLEM_CLOSED,
        phone=phone,
        email=email,
        context={"name": customer.name, "title": problem.title, "action": problem.corrective_action},
    )


def register_kinds() -> None:
    register_kind(
        ESCALATED_TO_HQ,
        label=_("Complaint escalated to HQ"),
        defaults={
            ("inapp", "zh-hans"): ("投诉 {{ number }} 已升级至总部", "{{ by }}：{{ reason }}。{{ subject }}"),
            ("inapp", "en"): (
                "Complaint {{ number }} escalated to HQ",
                "{{ by }}: {{ reason }}. {{ subject }}",
            ),
            ("email", "zh-hans"): (
                "投诉 {{ number }} 已升级至总部",
                "{{ by }} 将投诉 {{ number }}（{{ subject }}）升级至总部。\n原因：{{ reason }}"
                "{% if visit_on %}\n登门致歉：{{ visit_on }}{% endif %}\n\n{{ url }}",
            ),
            ("email", "en"): (
                "Complaint {{ number }} escalated to HQ",
                "{{ by }} escalated complaint {{ number }} ({{ subject }}) to HQ.\nReason: {{ reason }}"
                "{% if visit_on %}\nApology visit: {{ visit_on }}{% endif %}\n\n{{ url }}",
            ),
        },
    )
    register_kind(
        PROBLEM_CLOSED,
        label=_("Problem corrected (to the customers of its tickets)"),
        defaults={
            ("sms", "zh-hans"): (
                "",
                "【客服】{{ name }}您好，您反映的“{{ title }}”问题已整改：{{ action }}。感谢您的反馈！",
            ),
            ("sms", "en"): (
                "",
                "[Kefu] Dear {{ name }}, the problem you reported (“{{ title }}”) was corrected: "
                "{{ action }}. Thank you!",
            ),
            ("email", "zh-hans"): (
                "您反映的问题已整改",
                "{{ name }}您好：\n\n您反映的“{{ title }}”问题已整改：{{ action }}。\n\n感谢您的反馈。",
            ),
            ("email", "en"): (
                "The problem you reported was corrected",
                "Dear {{ name }},\n\nThe problem you reported (“{{ title }}”) was corrected: "
                "{{ action }}.\n\n"
                "Thank you for telling us.",
            ),
        },
    )
