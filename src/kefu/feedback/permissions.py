"""What each role may do with surveys, recovery cases and follow-ups (collected by accounts.roles,
decision 0018).

Surveys: everyone who works tickets reads them and records an answer heard in a call
(`change_survey`); the recovery queue (`view_recovery_queue`) is for supervisors, managers and
administrators; the reasons' list is edited by managers and administrators. Technicians see
none of it. Follow-ups (S2) add their grants in the block below.
"""

from kefu.accounts.roles import Role

_VIEW = ["feedback.view_survey", "feedback.view_surveyreason"]
_RECORD = ["feedback.change_survey"]
_RECOVERY = ["feedback.view_recovery_queue"]
_REASONS = ["feedback.add_surveyreason", "feedback.change_surveyreason"]

ROLE_GRANTS: dict[str, list[str]] = {
    Role.AGENT: _VIEW + _RECORD,
    Role.SUPERVISOR: _VIEW + _RECORD + _RECOVERY,
    Role.TECHNICIAN: [],
    Role.SALES: _VIEW + _RECORD,
    Role.CENTRE: _VIEW + _RECORD,
    Role.MANAGER: _VIEW + _RECORD + _RECOVERY + _REASONS,
    Role.ADMIN: _VIEW + _RECORD + _RECOVERY + _REASONS,
}

# --- Follow-ups (S2): add grants to ROLE_GRANTS here -------------------------------------------
