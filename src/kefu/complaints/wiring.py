"""What this part registers in the shared registries, called once from its AppConfig.ready():
the roles' grants, the tickets' hooks (a complaint-type ticket gets its Complaint row), the ticket
page's parts, the timeline kinds, the notification kinds, the demo step, and the seeded causes
after migrate."""

from django.db import DEFAULT_DB_ALIAS
from django.db.models.signals import post_migrate


def _seed_causes(sender, using=DEFAULT_DB_ALIAS, **kwargs):
    if using != DEFAULT_DB_ALIAS:
        return
    from kefu.complaints.defaults import seed_causes

    seed_causes()


def register() -> None:
    from django.apps import apps

    from kefu.accounts import roles
    from kefu.complaints import demo, notices, services, timeline, ui
    from kefu.complaints.permissions import ROLE_GRANTS
    from kefu.tickets import extensions

    roles.declare_grants("complaints", ROLE_GRANTS)
    extensions.register(opened=services.ticket_opened, changed=services.ticket_changed)
    ui.register()
    if "complaint_classified" not in _registered_kinds():
        timeline.register_kinds()
    notices.register_kinds()
    demo.register()
    post_migrate.connect(
        _seed_causes, sender=apps.get_app_config("complaints"), dispatch_uid="kefu.complaints.seed_causes"
    )


def _registered_kinds():
    from kefu.customers import timeline

    return timeline.KINDS
