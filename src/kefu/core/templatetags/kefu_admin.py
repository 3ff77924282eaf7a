"""What the admin index warns administrators about: a business calendar missing a year, a
background worker that is not running, and what the apps' health checks report (an outbox
backlog, given-up messages), so that none of them fails silently."""

from django import template
from django.utils.translation import gettext_lazy as _

from kefu.core.calendar import calendar_warnings
from kefu.core.health import check_queue, registered_warnings

register = template.Library()


@register.inclusion_tag("admin/kefu_warnings.html", takes_context=True)
def kefu_admin_warnings(context):
    request = context.get("request")
    user = getattr(request, "user", None)
    warnings = []
    if user is not None and user.is_active and user.is_staff:
        queue = check_queue()
        if not queue.get("worker_alive"):
            warnings.append(
                _(
                    "The background worker is not running: reminders, sweeps and notifications wait "
                    "until it is started again (see /healthz)."
                )
            )
        warnings.extend(registered_warnings())
        warnings.extend(calendar_warnings())
    return {"kefu_warnings": warnings}
