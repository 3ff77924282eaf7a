"""Core's own panels on the start page (core.workbench): the audit trail and the business calendar."""

from kefu.core.calendar import calendar_warnings
from kefu.core.workbench import Panel, register


def _calendar_warnings(request) -> dict:
    return {"warnings": calendar_warnings()}


def register_panels() -> None:
    register(
        Panel(
            key="core.audit",
            template="core/panels/audit.html",
            order=40,
            shows_for=lambda user: user.has_perm("core.view_auditevent"),
        )
    )
    register(
        Panel(
            key="core.calendar",
            template="core/panels/calendar.html",
            order=55,
            shows_for=lambda user: user.has_perm("core.change_businessday"),
            context=_calendar_warnings,
        )
    )
