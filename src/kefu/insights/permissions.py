"""Who reads the satisfaction and complaint figures (collected by accounts.roles, decision 0018).

The figures are read from other apps' rollups, so the rights are those rollups' view permissions:
the dashboard, dissatisfied per hundred, consistency and the answers behind a number need
feedback.view_satisfactiontally; the Pareto and the complaints behind a cause
complaints.view_complainttally (the iceberg both); the customers at risk
feedback.view_customermood. Supervisors, managers and administrators: those who answer for the
service's quality (decision 0034). Agents see their own answers on their tickets, not the figures.
"""

from kefu.accounts.roles import Role

SATISFACTION = "feedback.view_satisfactiontally"
COMPLAINTS = "complaints.view_complainttally"
AT_RISK = "feedback.view_customermood"

_FIGURES = [SATISFACTION, COMPLAINTS, AT_RISK]

ROLE_GRANTS: dict[str, list[str]] = {
    Role.AGENT: [],
    Role.SUPERVISOR: _FIGURES,
    Role.TECHNICIAN: [],
    Role.SALES: [],
    Role.CENTRE: [],
    Role.MANAGER: _FIGURES,
    Role.ADMIN: _FIGURES,
}
