"""Handing one outbox message to its channel: e-mail through Django's e-mail backend, text
messages through the configured SMS gateway (notifications.sms). Network work only: no
transaction is open while a channel talks to the outside."""

import smtplib

from django.conf import settings
from django.core.mail import EmailMessage

from kefu.notifications import sms
from kefu.notifications.models import Channel, OutboxMessage


class DeliveryFailed(Exception):
    """The channel could not deliver the message now; the outbox tries again later."""


def send_email(message: OutboxMessage) -> str:
    email = EmailMessage(
        subject=message.subject,
        body=message.body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[message.address],
        headers={"X-Kefu-Outbox-Id": str(message.pk)},
    )
    try:
        email.send(fail_silently=False)
    except (smtplib.SMTPException, OSError) as error:
        raise DeliveryFailed(f"{error.__class__.__name__}: {error}") from error
    return ""


def send_sms(message: OutboxMessage) -> str:
    return sms.gateway().send(phone=message.address, body=message.body, message_id=message.pk)


SENDERS = {Channel.EMAIL: send_email, Channel.SMS: send_sms}


def send(message: OutboxMessage) -> str:
    """Deliver `message`; the provider's id for it (empty when the channel gives none)."""
    return SENDERS[Channel(message.channel)](message)
