"""What the follow-ups' part registers in the shared registries, called once from
FeedbackConfig.ready(): the roles' grants (under "feedback.followups"), the tickets' hook (a
resolved ticket gets its follow-up; a reopened one's is cancelled), the notification kind of the
overdue escalation, the "follow-up done" line of the customer's timeline, the admin pages of the
rules and the accounts' reps, the demo step, and the default rules seeded after migrate."""

from django.db import DEFAULT_DB_ALIAS
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def _seed_rules(sender, using=DEFAULT_DB_ALIAS, **kwargs):
    if using != DEFAULT_DB_ALIAS:
        return
    from kefu.feedback.followups import seed_rules

    seed_rules()


def _describe_done(data: dict) -> str:
    from kefu.feedback.models import FollowUpKind, FollowUpMethod, FollowUpOutcome

    values = {
        "method": FollowUpMethod(data["method"]).label if data.get("method") in FollowUpMethod.values else "",
        "outcome": FollowUpOutcome(data["outcome"]).label
        if data.get("outcome") in FollowUpOutcome.values
        else "",
        "ticket": data.get("ticket") or "",
    }
    if data.get("kind") == FollowUpKind.ACCOUNT_REVISIT:
        text = _("Account revisit (%(method)s): %(outcome)s") % values
    else:
        text = _("Follow-up of ticket %(ticket)s (%(method)s): %(outcome)s") % values
    if data.get("satisfied") is True:
        text = f"{text} · {_('satisfied')}"
    elif data.get("satisfied") is False:
        text = f"{text} · {_('not satisfied')}"
    if data.get("new_ticket"):
        text = f"{text} · " + _("new ticket %(number)s") % {"number": data["new_ticket"]}
    return str(text)


def register() -> None:
    from django.apps import apps

    from kefu.accounts import roles
    from kefu.customers import timeline
    from kefu.feedback import admin_followups, demo_followups, notices_followups
    from kefu.feedback.permissions_followups import ROLE_GRANTS
    from kefu.feedback.services_followups import FOLLOW_UP_DONE, on_status_changed
    from kefu.tickets import extensions

    roles.declare_grants("feedback.followups", ROLE_GRANTS)
    extensions.register(status_changed=on_status_changed)
    notices_followups.register_kinds()
    if FOLLOW_UP_DONE not in timeline.KINDS:
        timeline.register_kind(FOLLOW_UP_DONE, describe=_describe_done, label=_("Follow-up done"))
    admin_followups.register()
    demo_followups.register()
    post_migrate.connect(
        _seed_rules, sender=apps.get_app_config("feedback"), dispatch_uid="kefu.feedback.seed_follow_up_rules"
    )
