"""What each role may do with follow-ups (回访), declared under "feedback.followups" beside the
surveys' grants (accounts.roles keeps one declaration per key; decision 0032).

Everyone who talks to customers has a follow-up queue of their own and records its outcomes;
supervisors, managers and administrators see every person's queue (and record for them);
managers and administrators edit the rules and who revisits which account.
"""

from kefu.accounts.roles import Role

_OWN = ["feedback.view_followup", "feedback.change_followup", "feedback.view_followuprule"]
_ALL = ["feedback.view_all_followups", "feedback.view_accountrep"]
_EDIT = [
    "feedback.add_followuprule",
    "feedback.change_followuprule",
    "feedback.add_accountrep",
    "feedback.change_accountrep",
    "feedback.delete_accountrep",
]

ROLE_GRANTS: dict[str, list[str]] = {
    Role.AGENT: _OWN,
    Role.SUPERVISOR: _OWN + _ALL,
    Role.TECHNICIAN: [],
    Role.SALES: [*_OWN, "feedback.view_accountrep"],
    Role.CENTRE: _OWN,
    Role.MANAGER: _OWN + _ALL + _EDIT,
    Role.ADMIN: _OWN + _ALL + _EDIT,
}
