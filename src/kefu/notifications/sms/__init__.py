"""Text messages: one interface (base.SmsGateway), chosen by the SMS_GATEWAY setting.

The local gateway (local.LocalSmsGateway, the default) sends nothing and records each message
for the admin; a real provider is a class with the same `send` in its own module here, named in
SMS_GATEWAY ("a real gateway is a setting away"). See docs/operations.md.
"""

from django.conf import settings
from django.utils.module_loading import import_string

from kefu.notifications.sms.base import SmsGateway


def gateway() -> SmsGateway:
    """A gateway of the class that settings.SMS_GATEWAY names (a dotted path)."""
    return import_string(settings.SMS_GATEWAY)()
