from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CustomersConfig(AppConfig):
    name = "kefu.customers"
    verbose_name = _("Customer archive")

    def ready(self):
        from kefu.customers.panels import register_panels

        register_panels()
