"""What each role may do with complaints and problems (collected by accounts.roles, decision 0018).

Everyone who works tickets reads and records a complaint's classification, apologies and
compensation; approving a compensation is for supervisors and managers (the approver named on it
must hold `approve_compensation`, whoever records it), and so is escalating to HQ. Problems: every
member of staff but a technician reads them and links tickets; supervisors and managers open,
change and close them. The causes' list is edited by managers. Administrators hold every right a
manager holds.
"""

from kefu.accounts.roles import Role

_VIEW = [
    "complaints.view_complaint",
    "complaints.view_complaintcause",
    "complaints.view_apology",
    "complaints.view_compensation",
    "complaints.view_problem",
    "complaints.view_problemticket",
]
_RECORD = [
    "complaints.change_complaint",
    "complaints.add_apology",
    "complaints.add_compensation",
    "complaints.add_problemticket",
]
_APPROVE = ["complaints.approve_compensation"]
_ESCALATE = ["complaints.escalate_complaint"]
_PROBLEMS = ["complaints.add_problem", "complaints.change_problem", "complaints.close_problem"]
_CAUSES = ["complaints.add_complaintcause", "complaints.change_complaintcause"]

ROLE_GRANTS: dict[str, list[str]] = {
    Role.AGENT: _VIEW + _RECORD,
    Role.SUPERVISOR: _VIEW + _RECORD + _APPROVE + _ESCALATE + _PROBLEMS,
    Role.TECHNICIAN: [],
    Role.SALES: _VIEW + _RECORD,
    Role.CENTRE: _VIEW + _RECORD,
    Role.MANAGER: _VIEW + _RECORD + _APPROVE + _ESCALATE + _PROBLEMS + _CAUSES,
    # Administrators hold every right a manager holds (accounts' rule: they may give any role).
    Role.ADMIN: _VIEW + _RECORD + _APPROVE + _ESCALATE + _PROBLEMS + _CAUSES,
}
