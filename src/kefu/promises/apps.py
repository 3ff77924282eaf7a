from django.apps import AppConfig
from django.db import DEFAULT_DB_ALIAS
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def _seed_defaults(sender, using=DEFAULT_DB_ALIAS, **kwargs):
    """The shipped calendars and policies, after every migrate (promises.defaults)."""
    if using != DEFAULT_DB_ALIAS:
        return
    from django.contrib.contenttypes.models import ContentType

    from kefu.promises.defaults import seed_defaults

    # After a flush (transactional tests) the cached content type ids name deleted rows.
    ContentType.objects.clear_cache()
    seed_defaults()


class PromisesConfig(AppConfig):
    name = "kefu.promises"
    verbose_name = _("Service promises")

    def ready(self):
        # The promises' places in the shared registries (decision 0018).
        from kefu.accounts import roles
        from kefu.promises.permissions import ROLE_GRANTS

        roles.declare_grants(self.label, ROLE_GRANTS)
        post_migrate.connect(_seed_defaults, sender=self, dispatch_uid="kefu.promises.seed_defaults")
        # The clocks on the ticket screens and the sentence on the customer's link (F2's).
        from kefu.promises import ui

        ui.register()
        # The clocks' hooks in the tickets' services, the timeline lines and the notices (F1's:
        # promises.services, promises.timeline, promises.notices; decision 0027).
        from kefu.promises import notices, services, timeline

        services.register_hooks()
        timeline.register_kinds()
        notices.register_kinds()
