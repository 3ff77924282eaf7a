from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CustomersConfig(AppConfig):
    name = "kefu.customers"
    verbose_name = _("Customer archive")

    def ready(self):
        # The archive's places in the shared registries (decisions 0016, 0018, 0019).
        from kefu.accounts import roles
        from kefu.core import generation
        from kefu.customers import demo, generate, selectors, timeline
        from kefu.customers.panels import register_panels
        from kefu.customers.permissions import ROLE_GRANTS

        roles.declare_grants(self.label, ROLE_GRANTS)
        timeline.register_archive_kinds()
        timeline.register_source(timeline.OWN_SOURCE, selectors.own_timeline_entries)
        generation.register_step(generate.ARCHIVE_STEP)
        generation.register_demo_step(demo.DEMO_STEP)
        register_panels()
