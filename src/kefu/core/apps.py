from django.apps import AppConfig
from django.db import DEFAULT_DB_ALIAS
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def _ensure_calendar_years(sender, using=DEFAULT_DB_ALIAS, **kwargs):
    """This year and next in the business calendar after every migrate (decision 0025)."""
    if using != DEFAULT_DB_ALIAS:
        return
    from django.contrib.contenttypes.models import ContentType

    from kefu.core.calendar import ensure_years

    # After a flush (transactional tests) the cached content type ids name deleted rows.
    ContentType.objects.clear_cache()
    ensure_years(audited=False)


class CoreConfig(AppConfig):
    name = "kefu.core"
    verbose_name = _("Core")

    def ready(self):
        from kefu.core.panels import register_panels

        register_panels()
        post_migrate.connect(
            _ensure_calendar_years, sender=self, dispatch_uid="kefu.core.ensure_calendar_years"
        )
