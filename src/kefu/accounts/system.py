"""Accounts that are not people: an app's own user for work nobody on staff did (the tickets'
intake desk, 前台受理, owns the requests the public form opens).

An app names its account here from its AppConfig.ready() (`register_system_account`); such an
account is left out wherever staff choose or tell each other: the users list of the API, and
every notification (notifications.services.notify).
"""

_USERNAMES: set[str] = set()


def register_system_account(username: str) -> None:
    _USERNAMES.add(username)


def system_usernames() -> frozenset[str]:
    return frozenset(_USERNAMES)


def is_system_account(user) -> bool:
    return user is not None and getattr(user, "username", None) in _USERNAMES
