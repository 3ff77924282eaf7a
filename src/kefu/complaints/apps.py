from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ComplaintsConfig(AppConfig):
    name = "kefu.complaints"
    verbose_name = _("Complaints and problems")

    def ready(self):
        # Roles, the tickets' hooks, the ticket page's complaint part, timeline kinds, notices.
        from kefu.complaints import wiring

        wiring.register()
