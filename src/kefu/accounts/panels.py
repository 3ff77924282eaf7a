"""The accounts' panel on the start page (core.workbench): staff accounts and their roles."""

from kefu.core.workbench import Panel, register


def register_panels() -> None:
    register(
        Panel(
            key="accounts.staff",
            template="accounts/panels/staff.html",
            order=60,
            shows_for=lambda user: user.has_perm("accounts.change_user"),
        )
    )
