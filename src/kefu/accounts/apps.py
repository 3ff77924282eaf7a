import axes.apps
from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def _sync_roles(sender, **kwargs):
    from kefu.accounts.roles import sync_roles

    sync_roles()


def _register_start_page_panels():
    from kefu.accounts.panels import register_panels

    register_panels()


class AccountsConfig(AppConfig):
    name = "kefu.accounts"
    verbose_name = _("Accounts")

    def ready(self):
        from kefu.accounts import demo, roles
        from kefu.accounts.permissions import ROLE_GRANTS
        from kefu.core import generation

        roles.declare_grants(self.label, ROLE_GRANTS)
        generation.register_demo_step(demo.DEMO_STEP)
        # Permissions exist only after migrate, so roles are kept in step there.
        post_migrate.connect(_sync_roles, sender=self, dispatch_uid="kefu.accounts.sync_roles")
        _register_start_page_panels()


class LockoutRecordsConfig(axes.apps.AppConfig):
    """django-axes (label "axes"), whose records of sign-in attempts the admin lists under a
    heading in the reader's language rather than "Axes". Installed in its place in settings."""

    default = False
    verbose_name = _("Sign-in lockout")
