from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PromisesConfig(AppConfig):
    name = "kefu.promises"
    verbose_name = _("Service promises")

    def ready(self):
        # The promises' places in the shared registries (decision 0018).
        from kefu.accounts import roles
        from kefu.promises.permissions import ROLE_GRANTS

        roles.declare_grants(self.label, ROLE_GRANTS)
