"""What each role may do with service promises (collected by accounts.roles, decision 0018).

Every member of staff reads the policies and calendars (the ticket says which policy applied and
why); managers and administrators edit them. The business calendar's rights to edit are granted
by accounts (accounts/permissions.py: managers and administrators); every member of staff reads it.
"""

from kefu.accounts.roles import Role

_VIEW = [
    "promises.view_promisepolicy",
    "promises.view_policytarget",
    "promises.view_workcalendar",
    "promises.view_workinghours",
    "promises.view_ticketpromise",
    "promises.view_escalation",
    "core.view_businessday",
]
_EDIT_POLICIES = [
    "promises.add_promisepolicy",
    "promises.change_promisepolicy",
    "promises.add_policytarget",
    "promises.change_policytarget",
    "promises.delete_policytarget",
    "promises.add_workcalendar",
    "promises.change_workcalendar",
    "promises.add_workinghours",
    "promises.change_workinghours",
    "promises.delete_workinghours",
    "promises.view_escalationcontact",
    "promises.add_escalationcontact",
    "promises.change_escalationcontact",
    "promises.delete_escalationcontact",
]

# The promise-kept figure (its page under Figures, GET /api/v1/figures/promise-kept): for those who
# answer for the promises' keeping (F2).
_FIGURES = ["promises.view_promisetally"]

ROLE_GRANTS: dict[str, list[str]] = {
    Role.AGENT: _VIEW,
    Role.SUPERVISOR: _VIEW + _FIGURES,
    Role.TECHNICIAN: [],
    Role.SALES: _VIEW,
    Role.CENTRE: _VIEW,
    Role.MANAGER: _VIEW + _FIGURES + _EDIT_POLICIES,
    Role.ADMIN: _VIEW + _FIGURES + _EDIT_POLICIES,
}
