from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TicketsConfig(AppConfig):
    name = "kefu.tickets"
    verbose_name = _("Tickets")

    def ready(self):
        # The tickets' places in the shared registries (decisions 0016, 0018).
        from kefu.accounts import roles
        from kefu.customers import timeline as customer_timeline
        from kefu.tickets import notices, selectors, timeline
        from kefu.tickets.permissions import ROLE_GRANTS

        roles.declare_grants(self.label, ROLE_GRANTS)
        # The intake desk owns unassigned tickets; nobody chooses it or notifies it.
        from kefu.accounts.system import register_system_account
        from kefu.tickets.services import INTAKE_USERNAME

        register_system_account(INTAKE_USERNAME)
        notices.register_kinds()
        timeline.register_ticket_kinds()
        customer_timeline.register_source(timeline.SOURCE, selectors.customer_timeline_entries)
        # The screens' places outside the tickets' own pages: start-page panels, the 360° page's
        # new-ticket buttons and open tickets, a ticket number in the search box (tickets/panels.py).
        from kefu.tickets.panels import register_panels

        register_panels()
        # The generator's and the demo's steps (decision 0019; tickets.generate, tickets.demo).
        from kefu.core import generation
        from kefu.tickets import demo, generate

        generation.register_step(generate.TICKETS_STEP)
        generation.register_demo_step(demo.DEMO_STEP)
