"""Writes to staff accounts: API tokens. Each runs in one transaction with its audit row."""

import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kefu.accounts.models import ApiToken, User, hash_token
from kefu.core import audit
from kefu.core.errors import Conflict, PermissionDenied

TOKEN_AUDIT_FIELDS = ("user", "name", "prefix", "expires_at")
MAX_TOKEN_DAYS = 366


@transaction.atomic
def issue_token(
    *, user: User, name: str = "", expires_at: datetime.datetime | None = None, by: User | None = None
) -> tuple[ApiToken, str]:
    """A new token for `user` and its raw value, which is shown once and never stored."""
    name = (name or "").strip()
    errors: dict[str, list] = {}
    if len(name) > 100:
        errors["name"] = [_("The name is longer than 100 characters.")]
    now = timezone.now()
    if expires_at is not None:
        if expires_at <= now:
            errors["expires_at"] = [_("The expiry must be in the future.")]
        elif expires_at > now + datetime.timedelta(days=MAX_TOKEN_DAYS):
            errors["expires_at"] = [_("A token lasts at most %(days)d days.") % {"days": MAX_TOKEN_DAYS}]
    if errors:
        raise ValidationError(errors)
    raw = ApiToken.new_raw_token()
    token = ApiToken.objects.create(
        user=user,
        name=name,
        prefix=raw[: len(ApiToken.PREFIX) + 4],
        digest=hash_token(raw),
        expires_at=expires_at,
    )
    audit.record_create(actor=by or user, obj=token, fields=TOKEN_AUDIT_FIELDS)
    return token, raw


@transaction.atomic
def revoke_token(*, token: ApiToken, by: User) -> ApiToken:
    """Stop a token from working. Its owner may revoke it, and so may an administrator."""
    if token.user_id != by.pk and not by.has_perm("accounts.change_user"):
        raise PermissionDenied(_("You may revoke only your own tokens."))
    token = ApiToken.objects.select_for_update().get(pk=token.pk)
    if token.revoked_at is not None:
        raise Conflict(_("This token is already revoked."))
    before = audit.snapshot(token, ("revoked_at",))
    token.revoked_at = timezone.now()
    token.save(update_fields=["revoked_at", "updated_at"])
    audit.record_update(actor=by, obj=token, before=before)
    return token
