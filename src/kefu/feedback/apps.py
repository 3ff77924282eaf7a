from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FeedbackConfig(AppConfig):
    name = "kefu.feedback"
    verbose_name = _("Satisfaction and follow-ups")

    def ready(self):
        # Surveys and recovery (surveys.register: roles, the tickets' hooks, the ticket subject,
        # timeline kinds, notices, page parts) and follow-ups (followups.register: its hooks).
        from kefu.feedback import wiring_followups, wiring_surveys

        wiring_surveys.register()
        wiring_followups.register()
