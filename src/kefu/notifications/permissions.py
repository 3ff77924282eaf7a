"""What each role may do with the notification machinery (collected by accounts.roles, decision 0018).

Everyone reads and marks their own notifications without any permission (a person's own bell);
the permissions here are the admin's: the words of each kind, and the outbox with what the local
SMS gateway recorded, for administrators.
"""

from kefu.accounts.roles import Role

_TEMPLATES = ["notifications.view_notificationtemplate", "notifications.change_notificationtemplate"]
# Reading the outbox, and sending a given-up message again (the admin's action, a change).
_OUTBOX = [
    "notifications.view_outboxmessage",
    "notifications.change_outboxmessage",
    "notifications.view_localsms",
]

ROLE_GRANTS: dict[str, list[str]] = {
    Role.ADMIN: _TEMPLATES + _OUTBOX,
}
