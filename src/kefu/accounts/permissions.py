"""What each role may do with accounts, and with the plumbing below every app.

`core` knows no roles (it imports no domain app), so the rights on its records (the audit
trail, the business calendar) are granted here, as are Django's own (the groups).
"""

from kefu.accounts.roles import Role

_AUDIT = ["core.view_auditevent"]
_CALENDAR = ["core.view_businessday", "core.add_businessday", "core.change_businessday"]
_STAFF = ["accounts.view_user", "accounts.add_user", "accounts.change_user", "auth.view_group"]

ROLE_GRANTS: dict[str, list[str]] = {
    Role.SUPERVISOR: _AUDIT,
    Role.MANAGER: _AUDIT + _CALENDAR,
    Role.ADMIN: _AUDIT + _CALENDAR + _STAFF,
}
