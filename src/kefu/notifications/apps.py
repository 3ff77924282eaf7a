from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    name = "kefu.notifications"
    verbose_name = _("Notifications")

    def ready(self):
        # The outbox's places in the shared registries: its figures in /healthz and the admin
        # banner, its own test kind, and the templates seeded from every app's kinds.
        from django.core import checks as django_checks

        from kefu.accounts import roles
        from kefu.core import health as core_health
        from kefu.notifications import checks, health, kinds, registry
        from kefu.notifications.permissions import ROLE_GRANTS

        roles.declare_grants(self.label, ROLE_GRANTS)
        core_health.register_check("outbox", health.outbox_report, warnings=health.outbox_warnings)
        kinds.register_kinds()
        django_checks.register(checks.check_sms_gateway)
        # After every app's ready() has registered its kinds, and after each migrate.
        post_migrate.connect(
            registry.seed_after_migrate, sender=self, dispatch_uid="kefu.notifications.seed_templates"
        )
