from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InsightsConfig(AppConfig):
    name = "kefu.insights"
    verbose_name = _("Figures")

    def ready(self):
        from kefu.insights import wiring

        wiring.register()
