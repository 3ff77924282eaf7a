"""What tickets tell people, and the one place where tickets call the notifications app.

The services call these inside their transaction: `notifications.services.notify` writes each
notice (the bell's row, an e-mail in the outbox) in that same transaction and the worker
delivers after commit, so a change and the notice of it commit or roll back together
(decision 0021). The words are templates per kind, language and channel, editable in the admin;
the defaults are registered here from TicketsConfig.ready().
"""

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from kefu.notifications.registry import register_kind
from kefu.notifications.services import notify

TRANSFERRED = "tickets.transferred"
BOUNCING = "tickets.bouncing"
URGED = "tickets.urged"
CUSTOMER_REPLIED = "tickets.customer_replied"
MENTIONED = "tickets.mentioned"
# In-app always, and an e-mail to whoever has an address: a transfer or an urge must not wait
# for someone to look at the bell.
CHANNELS = ("inapp", "email")
EXCERPT = 80


def _link(ticket) -> str:
    return reverse("tickets:detail", args=[ticket.number])


def _context(ticket, **extra) -> dict:
    return {"number": ticket.number, "subject": ticket.subject, **extra}


def _excerpt(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= EXCERPT else text[: EXCERPT - 1] + "…"


def transferred(ticket, transfer) -> None:
    """Tell the new owner that the ticket is now theirs, with the reason and who handed it over;
    when the ticket is bouncing (two transfers or more), tell the team's supervisor too."""
    context = _context(ticket, reason=transfer.reason, by=str(transfer.by or transfer.from_user))
    notify(
        kind=TRANSFERRED,
        recipients=[transfer.to_user],
        context=context,
        link=_link(ticket),
        channels=CHANNELS,
    )
    supervisor = ticket.team.supervisor if ticket.team_id and ticket.team else None
    if ticket.is_bouncing and supervisor is not None and supervisor.pk != transfer.to_user_id:
        notify(
            kind=BOUNCING,
            recipients=[supervisor],
            context={**context, "count": ticket.bounce_count},
            link=_link(ticket),
            channels=CHANNELS,
        )


def urged(ticket, event) -> None:
    """Tell the owner that the customer (or an agent on the phone) urged the ticket."""
    context = _context(ticket, count=ticket.urge_count, note=(event.data or {}).get("note", ""))
    notify(kind=URGED, recipients=[ticket.owner], context=context, link=_link(ticket), channels=CHANNELS)


def customer_replied(ticket, comment) -> None:
    """Tell the owner and the collaborators that the customer answered through their link."""
    recipients = [ticket.owner, *(c.user for c in ticket.collaborators.select_related("user"))]
    context = _context(ticket, excerpt=_excerpt(comment.body))
    notify(
        kind=CUSTOMER_REPLIED, recipients=recipients, context=context, link=_link(ticket), channels=CHANNELS
    )


def mentioned(ticket, comment, users) -> None:
    """Tell each of `users` (active staff named as @username in `comment`) that they were
    mentioned on the ticket. The author is never among them (the service leaves them out)."""
    context = _context(ticket, by=str(comment.author or ""), excerpt=_excerpt(comment.body))
    notify(kind=MENTIONED, recipients=users, context=context, link=_link(ticket), channels=("inapp",))


def register_kinds() -> None:
    """The tickets' notification kinds and their default words; TicketsConfig.ready() calls it."""
    register_kind(
        TRANSFERRED,
        label=_("Ticket transferred to you"),
        defaults={
            ("inapp", "zh-hans"): (
                "工单 {{ number }} 已转派给您",
                "{{ by }} 转派：{{ reason }}。{{ subject }}",
            ),
            ("inapp", "en"): (
                "Ticket {{ number }} is now yours",
                "{{ by }} transferred it: {{ reason }}. {{ subject }}",
            ),
            ("email", "zh-hans"): (
                "工单 {{ number }} 已转派给您",
                "{{ by }} 将工单 {{ number }}（{{ subject }}）转派给您。\n原因：{{ reason }}\n\n{{ url }}",
            ),
            ("email", "en"): (
                "Ticket {{ number }} is now yours",
                "{{ by }} transferred ticket {{ number }} ({{ subject }}) to you.\n"
                "Reason: {{ reason }}\n\n{{ url }}",
            ),
        },
    )
    register_kind(
        BOUNCING,
        label=_("Ticket bouncing between owners"),
        defaults={
            ("inapp", "zh-hans"): ("工单 {{ number }} 已转派 {{ count }} 次", "请关注：{{ subject }}"),
            ("inapp", "en"): (
                "Ticket {{ number }} transferred {{ count }} times",
                "Please look at it: {{ subject }}",
            ),
            ("email", "zh-hans"): (
                "工单 {{ number }} 已转派 {{ count }} 次",
                "工单 {{ number }}（{{ subject }}）已转派 {{ count }} 次，"
                "最近原因：{{ reason }}。\n\n{{ url }}",
            ),
            ("email", "en"): (
                "Ticket {{ number }} transferred {{ count }} times",
                "Ticket {{ number }} ({{ subject }}) has been transferred {{ count }} times; "
                "the last reason: {{ reason }}.\n\n{{ url }}",
            ),
        },
    )
    register_kind(
        URGED,
        label=_("Ticket urged"),
        defaults={
            ("inapp", "zh-hans"): (
                "工单 {{ number }} 被催办（第 {{ count }} 次）",
                "{{ subject }} {{ note }}",
            ),
            ("inapp", "en"): ("Ticket {{ number }} urged ({{ count }})", "{{ subject }} {{ note }}"),
            ("email", "zh-hans"): (
                "工单 {{ number }} 被催办（第 {{ count }} 次）",
                "客户催办工单 {{ number }}（{{ subject }}）。{{ note }}\n\n{{ url }}",
            ),
            ("email", "en"): (
                "Ticket {{ number }} urged ({{ count }})",
                "The customer urged ticket {{ number }} ({{ subject }}). {{ note }}\n\n{{ url }}",
            ),
        },
    )
    register_kind(
        CUSTOMER_REPLIED,
        label=_("Customer replied"),
        defaults={
            ("inapp", "zh-hans"): ("客户回复了工单 {{ number }}", "{{ excerpt }}"),
            ("inapp", "en"): ("The customer replied on ticket {{ number }}", "{{ excerpt }}"),
            ("email", "zh-hans"): (
                "客户回复了工单 {{ number }}",
                "{{ subject }}\n\n{{ excerpt }}\n\n{{ url }}",
            ),
            ("email", "en"): (
                "The customer replied on ticket {{ number }}",
                "{{ subject }}\n\n{{ excerpt }}\n\n{{ url }}",
            ),
        },
    )
    register_kind(
        MENTIONED,
        label=_("Mentioned on a ticket"),
        defaults={
            ("inapp", "zh-hans"): ("{{ by }} 在工单 {{ number }} 中提到了您", "{{ excerpt }}"),
            ("inapp", "en"): ("{{ by }} mentioned you on ticket {{ number }}", "{{ excerpt }}"),
        },
    )
