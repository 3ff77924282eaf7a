"""The outbox's figures in /healthz and the admin banner (registered with core.health)."""

from django.conf import settings
from django.utils.translation import ngettext

from kefu.notifications import selectors


def outbox_report() -> dict:
    """pending, oldest_pending_seconds, dead."""
    return selectors.outbox_backlog()


def outbox_warnings(report: dict) -> list[str]:
    warnings = []
    if report["dead"]:
        warnings.append(
            ngettext(
                "%(count)d notification could not be delivered and was given up: see the outbox.",
                "%(count)d notifications could not be delivered and were given up: see the outbox.",
                report["dead"],
            )
            % {"count": report["dead"]}
        )
    if report["pending"] and report["oldest_pending_seconds"] >= settings.KEFU_OUTBOX_BACKLOG_WARN_SECONDS:
        minutes = report["oldest_pending_seconds"] // 60
        warnings.append(
            ngettext(
                "%(count)d notification is waiting to be sent, the oldest for %(minutes)d minutes.",
                "%(count)d notifications are waiting to be sent, the oldest for %(minutes)d minutes.",
                report["pending"],
            )
            % {"count": report["pending"], "minutes": minutes}
        )
    return warnings
