"""The follow-ups' part of the demo data (`make run`): the resolved demo tickets already have
their follow-ups (the tickets' hook made them); this step adds the ones a hook could not make,
moves a few into the past so that the overdue tab and the escalation have something to show,
records a few outcomes through the service, and gives the sales rep a few accounts to revisit.
Idempotent: nothing is added when a follow-up is already done."""

import datetime
import random

from django.contrib.auth import get_user_model
from django.utils import timezone

from kefu.core import generation

DONE = 4
OVERDUE = 3
ACCOUNTS = 6
NOTES = ("客户表示已经正常使用，感谢回访", "客户说维修师傅很准时", "客户在开会，约好明天再打")


def load_demo(counts, seed: int | None) -> list[str]:
    from kefu.customers.models import Customer
    from kefu.feedback import services_followup_rules, services_followups
    from kefu.feedback.models import FollowUp, FollowUpOutcome, FollowUpStatus

    if FollowUp.objects.filter(status=FollowUpStatus.DONE).exists():
        return ["There are follow-ups done already: no demo follow-ups added."]
    generated = services_followups.generate_follow_ups()
    rng = random.Random(seed)
    today = timezone.localdate()
    pending = list(FollowUp.objects.filter(status=FollowUpStatus.PENDING).order_by("id")[: DONE + OVERDUE])
    done = 0
    for follow_up in pending[:DONE]:
        services_followups.record_follow_up_outcome(
            follow_up=follow_up,
            by=None,
            outcome=FollowUpOutcome.REACHED,
            notes=rng.choice(NOTES[:2]),
        )
        done += 1
    overdue = [follow_up.pk for follow_up in pending[DONE:]]
    FollowUp.objects.filter(pk__in=overdue).update(due_on=today - datetime.timedelta(days=2))
    sales = get_user_model().objects.filter(username="sales", is_active=True).first()
    accounts = 0
    if sales is not None:
        for customer in Customer.objects.filter(merged_into__isnull=True).order_by("-tier", "id")[:ACCOUNTS]:
            services_followup_rules.assign_account_rep(
                by=None,
                customer=customer,
                sales_rep=sales,
                next_revisit_on=today - datetime.timedelta(days=1),
            )
            accounts += 1
        revisits = services_followups.sweep_revisits().created
    else:
        revisits = 0
    return [
        f"Follow-ups: {generated} generated, {done} done, {len(overdue)} overdue; "
        f"{accounts} accounts for the sales rep, {revisits} revisits due."
    ]


DEMO_STEP = generation.DemoStep(name="follow_ups", options=(), load=load_demo)


def register() -> None:
    if DEMO_STEP.name not in generation.DEMO_STEPS:
        generation.register_demo_step(DEMO_STEP)
