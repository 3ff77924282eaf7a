"""Core's own panels on the start page (core.workbench): the audit trail and the business calendar."""

from kefu.core.workbench import Panel, register


def _calendar_warnings(request) -> dict:
    from kefu.core.admin import calendar_warnings  # the admin module registers models: import late

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
