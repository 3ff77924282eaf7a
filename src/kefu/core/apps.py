from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "kefu.core"
    verbose_name = _("Core")

    def ready(self):
        from kefu.core.panels import register_panels

        register_panels()
