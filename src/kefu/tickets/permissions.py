"""What each role may do with tickets (collected by accounts.roles, decision 0018).

A technician holds no `view_ticket`: they see only the tickets they own or were asked to help
with (Ticket.objects.visible_to), and may comment on those and add files to them.
"""

from kefu.accounts.roles import Role

_VIEW = ["tickets.view_ticket", "tickets.view_comment", "tickets.view_attachment", "tickets.view_tag"]
_WORK = [
    "tickets.add_ticket",
    "tickets.change_ticket",
    "tickets.add_comment",
    "tickets.add_attachment",
    "tickets.add_collaborator",
    "tickets.add_ticketlink",
]
# Comment on and add files to the tickets one owns or helps with.
_COMMENT = ["tickets.add_comment", "tickets.add_attachment"]
# Transfer tickets one does not own; merge a duplicate into its original (decision 0022).
_OVERSEE = ["tickets.transfer_any_ticket", "tickets.merge_ticket"]
_TAGS = ["tickets.add_tag", "tickets.change_tag"]

ROLE_GRANTS: dict[str, list[str]] = {
    Role.AGENT: _VIEW + _WORK,
    Role.SUPERVISOR: _VIEW + _WORK + _OVERSEE + _TAGS,
    Role.TECHNICIAN: _COMMENT,
    Role.SALES: _VIEW + _WORK,
    Role.CENTRE: _VIEW + _WORK,
    Role.MANAGER: _VIEW + _OVERSEE + _TAGS,
    Role.ADMIN: _VIEW + _WORK + _OVERSEE + _TAGS,
}
