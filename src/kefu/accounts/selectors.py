"""Reads of staff accounts: colleagues by role or name, and the tokens a user may act on."""

from django.db.models import Q

from kefu.accounts.models import ApiToken, User
from kefu.accounts.system import system_usernames
from kefu.core.errors import NotFound
from kefu.core.pagination import Page, keyset_page


def staff_users(*, role: str | None = None, text: str = "", cursor=None, limit=50) -> Page[User]:
    """Active staff by id, optionally of one role and matching part of a username or name; no
    system account (accounts.system: the intake desk is nobody to choose)."""
    users = (
        User.objects.filter(is_active=True)
        .exclude(username__in=system_usernames())
        .prefetch_related("groups")
    )
    if role:
        users = users.filter(groups__name=role)
    text = text.strip()
    if text:
        users = users.filter(
            Q(username__icontains=text)
            | Q(display_name__icontains=text)
            | Q(first_name__icontains=text)
            | Q(last_name__icontains=text)
        )
    return keyset_page(users, order=("id",), cursor=cursor, limit=limit)


def access_token(user, token_id) -> ApiToken:
    """One of `user`'s own tokens, or anyone's for an administrator; NotFound otherwise."""
    tokens = ApiToken.objects.all()
    if not user.has_perm("accounts.change_user"):
        tokens = tokens.filter(user=user)  # another's token is not there for the caller
    try:
        return tokens.get(pk=token_id)
    except (ApiToken.DoesNotExist, ValueError, TypeError):
        raise NotFound() from None
