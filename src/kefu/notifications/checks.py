"""`manage.py check` (and every start) fails early on an SMS_GATEWAY that names no class, rather
than every text message failing at the worker. Registered from NotificationsConfig.ready()."""

from django.conf import settings
from django.core.checks import Error
from django.utils.module_loading import import_string


def check_sms_gateway(app_configs=None, **kwargs):
    try:
        gateway = import_string(settings.SMS_GATEWAY)
    except ImportError as error:
        return [Error(f"SMS_GATEWAY {settings.SMS_GATEWAY!r} cannot be imported: {error}", id="kefu.E021")]
    if not callable(getattr(gateway, "send", None)):
        return [Error(f"SMS_GATEWAY {settings.SMS_GATEWAY!r} has no send() method", id="kefu.E021")]
    return []
