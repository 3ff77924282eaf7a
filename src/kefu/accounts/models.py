"""Staff users and their API tokens. Roles are Django groups (see accounts.roles)."""

import hashlib
import secrets

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kefu.core.models import TimeStampedModel


class Team(TimeStampedModel):
    """A group of staff who share a queue (a hotline shift, a region's service desk), and the
    supervisor who watches it: the team queue, flagged tickets and escalations go to them."""

    name = models.CharField(_("name"), max_length=50, unique=True)
    supervisor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("supervisor"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="supervised_teams",
    )

    class Meta:
        verbose_name = _("team")
        verbose_name_plural = _("teams")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class User(AbstractUser):
    """A member of staff. Customers are records in the archive, not users."""

    display_name = models.CharField(_("display name"), max_length=50, blank=True)
    phone = models.CharField(_("work phone"), max_length=20, blank=True)
    team = models.ForeignKey(
        Team, verbose_name=_("team"), null=True, blank=True, on_delete=models.PROTECT, related_name="members"
    )

    class Meta(AbstractUser.Meta):
        verbose_name = _("staff user")
        verbose_name_plural = _("staff users")

    def __str__(self) -> str:
        return self.display_name or self.get_full_name() or self.username

    @property
    def role_codes(self) -> list[str]:
        """The codes of the user's roles, read from the groups already prefetched when possible."""
        return sorted(group.name for group in self.groups.all())


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


class ApiToken(TimeStampedModel):
    """A personal token for the REST API. Only its SHA-256 is stored; the raw token is shown once.

    A token has a visible prefix so a user can tell their tokens apart in a list
    (`kf_3Gx9…`), and may expire. Tokens are random 256-bit values, so a fast hash
    is enough: there is nothing to brute-force.
    """

    PREFIX = "kf_"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="api_tokens",
    )
    name = models.CharField(_("name"), max_length=100, blank=True)
    prefix = models.CharField(_("prefix"), max_length=12)
    digest = models.CharField(_("digest"), max_length=64, unique=True)
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.user})"

    @classmethod
    def new_raw_token(cls) -> str:
        return cls.PREFIX + secrets.token_urlsafe(32)

    @property
    def is_usable(self) -> bool:
        now = timezone.now()
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > now)
