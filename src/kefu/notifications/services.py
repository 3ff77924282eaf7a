"""Every write of the notification centre and the outbox.

`notify()` and `send_to_customer()` write in the caller's transaction: the bell's rows and the
outbox rows commit with the change they tell of, or not at all, and delivery is handed to the
worker only after the commit (decision 0021). Nothing here talks to the network.
"""

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.template import Template, TemplateSyntaxError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kefu.accounts.system import is_system_account
from kefu.core import audit
from kefu.core.errors import Conflict
from kefu.core.links import absolute_url
from kefu.core.validation import FieldErrors
from kefu.notifications import registry
from kefu.notifications.models import (
    BODY_MAX,
    LINK_MAX,
    TITLE_MAX,
    Channel,
    Language,
    Notification,
    NotificationTemplate,
    OutboxMessage,
    OutboxStatus,
)

STAFF_CHANNELS = frozenset({Channel.INAPP, Channel.EMAIL})
E164 = re.compile(r"^\+[1-9]\d{6,14}$")
# A link inside the site: a path, never another host or a script.
SITE_PATH = re.compile(r"^/(?!/)[^\s\\]*$")
TEMPLATE_FIELDS = ("subject", "body")


def _schedule_delivery(messages: Sequence[OutboxMessage]) -> None:
    """After the caller's transaction commits, hand the messages to the worker. If the queue
    cannot take them then (its storage is down), the periodic drain delivers them later."""
    if not messages:
        return
    from kefu.notifications.tasks import deliver_messages

    ids = [message.pk for message in messages]
    transaction.on_commit(lambda: deliver_messages(ids), robust=True)


def _check_link(link: str) -> str:
    if link and (len(link) > LINK_MAX or not SITE_PATH.match(link)):
        raise ValueError(f"a notification's link is a path inside the site, not {link[:80]!r}")
    return link


def _context(context: Mapping[str, Any], link: str) -> dict[str, Any]:
    """What a template reads: the caller's context, `link` (a path in the site) and `url` (the
    same, absolute: core.links, under KEFU_SITE_URL; a `url` the caller gives wins)."""
    return {"url": absolute_url(link), **context, "link": link}


def notify(
    *,
    kind: str,
    recipients: Iterable[Any],
    context: Mapping[str, Any],
    link: str = "",
    channels: Iterable[str] = (Channel.INAPP,),
) -> list[Notification]:
    """Tell staff users about something: a line in each one's notification centre ("inapp") and,
    with "email" in `channels`, an e-mail to each who has an address. Each in their language.

    Runs in the caller's transaction (nothing is written if it rolls back); the e-mails are sent
    by the worker after the commit. Inactive users, system accounts (accounts.system: the intake
    desk) and repeats are skipped. `link` is a path in
    the site ("/tickets/42/"): the notification opens it. Returns the in-app rows written.
    """
    registry.get_kind(kind)
    wanted = set(channels)
    if not wanted <= STAFF_CHANNELS:
        raise ValueError(f"staff are notified in-app or by e-mail, not by {sorted(wanted - STAFF_CHANNELS)}")
    _check_link(link)
    people = list(
        {user.pk: user for user in recipients if user.is_active and not is_system_account(user)}.values()
    )
    if not people:
        return []
    templates = registry.load_templates(kind)
    words = _context(context, link)
    rows: list[Notification] = []
    messages: list[OutboxMessage] = []
    for user in people:
        language = registry.language_of(user)
        if Channel.INAPP in wanted:
            title, body = registry.render(kind, Channel.INAPP, language, words, templates)
            rows.append(
                Notification(
                    recipient=user, kind=kind, title=title[:TITLE_MAX], body=body[:BODY_MAX], link=link
                )
            )
        if Channel.EMAIL in wanted and user.email:
            subject, body = registry.render(kind, Channel.EMAIL, language, words, templates)
            messages.append(
                _message(kind, Channel.EMAIL, user.email, language, subject, body, recipient=user)
            )
    with transaction.atomic():
        Notification.objects.bulk_create(rows)
        OutboxMessage.objects.bulk_create(messages)
        _schedule_delivery(messages)
    return rows


def _message(kind, channel, address, language, subject, body, *, recipient=None) -> OutboxMessage:
    if not body:
        raise LookupError(f"{kind} has no words for {channel} in {language}: register them")
    return OutboxMessage(
        kind=kind,
        channel=channel,
        recipient=recipient,
        address=address,
        language=language,
        subject=subject[:TITLE_MAX],
        body=body,
    )


def send_to_customer(
    *,
    kind: str,
    phone: str = "",
    email: str = "",
    language: str = Language.ZH_HANS,
    context: Mapping[str, Any],
) -> list[OutboxMessage]:
    """A text message to `phone` (E.164) and/or an e-mail to `email`, in `language`, for a
    customer (who has no account). Runs in the caller's transaction; sent after the commit.
    ValidationError, with nothing written, for a missing or malformed address or language.

    A `link` in `context` (a path, such as the customer's signed page) is also offered to the
    templates as `url`, absolute under KEFU_SITE_URL, unless the context gives its own `url`."""
    registry.get_kind(kind)
    errors = FieldErrors()
    if not phone and not email:
        errors.add("phone", _("Give a phone number or an e-mail address to send to."))
    if phone and not E164.match(phone):
        errors.add("phone", _("Enter the phone number in international form, such as +8613812345678."))
    if email:
        errors.check("email", validate_email, email)
        errors.length("email", email, OutboxMessage._meta.get_field("address").max_length or 254)
    errors.choice("language", language, Language)
    errors.raise_if_any()
    templates = registry.load_templates(kind)
    link = str(context.get("link", ""))
    _check_link(link)
    words = _context(context, link)
    messages = []
    for channel, address in ((Channel.SMS, phone), (Channel.EMAIL, email)):
        if address:
            subject, body = registry.render(kind, channel, language, words, templates)
            messages.append(_message(kind, channel, address, language, subject, body))
    with transaction.atomic():
        OutboxMessage.objects.bulk_create(messages)
        _schedule_delivery(messages)
    return messages


def mark_read(*, user, ids: Iterable[int]) -> int:
    """Mark `user`'s notifications `ids` read (others' ids are ignored); how many changed."""
    return (
        Notification.objects.visible_to(user)
        .filter(pk__in=list(ids), read_at__isnull=True)
        .update(read_at=timezone.now())
    )


def mark_all_read(*, user) -> int:
    """Mark every unread notification of `user` read; how many changed."""
    return Notification.objects.visible_to(user).filter(read_at__isnull=True).update(read_at=timezone.now())


class NotDead(Conflict):
    code = "not_dead"
    default_message = _("Only a message that was given up can be sent again.")


@transaction.atomic
def retry_message(*, message_id: int, by) -> OutboxMessage:
    """Give a dead message a fresh set of attempts and hand it to the worker after the commit."""
    message = OutboxMessage.objects.select_for_update().get(pk=message_id)
    if message.status != OutboxStatus.DEAD:
        raise NotDead()
    before = audit.snapshot(message, ("status", "attempts", "last_error"))
    message.status = OutboxStatus.PENDING
    message.attempts = 0
    message.next_attempt_at = timezone.now()
    message.claimed_at = None
    message.save(update_fields=["status", "attempts", "next_attempt_at", "claimed_at"])
    audit.record_update(
        actor=by, obj=message, before=before, reason=str(_("Sent again after it was given up"))
    )
    _schedule_delivery([message])
    return message


def _template_errors(subject: str, body: str) -> FieldErrors:
    errors = FieldErrors()
    for name, text, limit in (("subject", subject, TITLE_MAX), ("body", body, BODY_MAX)):
        errors.length(name, text, limit)
        try:
            Template(text)
        except TemplateSyntaxError as error:
            errors.add(name, _("The template does not compile: %(error)s") % {"error": error})
    if not body.strip():
        errors.add("body", _("This field cannot be blank."))
    return errors


def template_errors(*, subject: str, body: str) -> dict[str, list]:
    """What update_template would refuse, for a form to show beside its fields."""
    return _template_errors(subject, body).by_field


@transaction.atomic
def update_template(*, template_id: int, subject: str, body: str, by) -> NotificationTemplate:
    """An administrator's words for a kind: checked to compile, kept from then on (a later seed
    of the registered defaults leaves it alone), audited."""
    _template_errors(subject, body).raise_if_any()
    template = NotificationTemplate.objects.select_for_update().get(pk=template_id)
    before = audit.snapshot(template, (*TEMPLATE_FIELDS, "is_customised"))
    if (template.subject, template.body) == (subject, body):
        return template
    template.subject, template.body, template.is_customised = subject, body, True
    template.save(update_fields=[*TEMPLATE_FIELDS, "is_customised", "updated_at"])
    audit.record_update(actor=by, obj=template, before=before)
    return template


@transaction.atomic
def restore_template(*, template_id: int, by) -> NotificationTemplate:
    """Put back the words the owning app registered, and let later seeds refresh them again."""
    template = NotificationTemplate.objects.select_for_update().get(pk=template_id)
    defaults = registry.get_kind(template.kind).defaults.get((template.channel, template.language))
    if defaults is None:
        raise ValidationError(_("The app that owns this kind registered no words for it."))
    before = audit.snapshot(template, (*TEMPLATE_FIELDS, "is_customised"))
    template.subject, template.body = defaults
    template.is_customised = False
    template.save(update_fields=[*TEMPLATE_FIELDS, "is_customised", "updated_at"])
    audit.record_update(actor=by, obj=template, before=before)
    return template
