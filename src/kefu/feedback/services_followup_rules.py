"""The writes of follow-up rules and account reps (the admin calls these; decision 0032).

Each checks everything first and raises one ValidationError naming the fields, then writes,
bumps the version and audits in one transaction.
"""

import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from kefu.accounts.system import is_system_account
from kefu.core import audit
from kefu.core.concurrency import bump_version, lock_for_update
from kefu.core.validation import TEXT_MAX, FieldErrors
from kefu.customers.models import Customer, Tier
from kefu.feedback.models import AccountRep, FollowUpKind, FollowUpMethod, FollowUpRule
from kefu.tickets.models import TicketType

RULE_FIELDS = ("kind", "ticket_type", "tier", "days", "method", "script", "is_active")
MAX_DAYS = 366


def _rule_errors(values: dict, rule: FollowUpRule | None) -> FieldErrors:
    errors = FieldErrors()
    errors.choice("kind", values["kind"], FollowUpKind)
    errors.choice("method", values["method"], FollowUpMethod)
    if values["ticket_type"] and values["ticket_type"] not in TicketType.values:
        errors.add(
            "ticket_type",
            _("“%(value)s” is not one of the allowed values.") % {"value": values["ticket_type"]},
        )
    if values["kind"] == FollowUpKind.ACCOUNT_REVISIT and values["ticket_type"]:
        errors.add("ticket_type", _("An account revisit is by tier, not by ticket type."))
    if values["tier"] and values["tier"] not in Tier.values:
        errors.add("tier", _("“%(value)s” is not one of the allowed values.") % {"value": values["tier"]})
    if not isinstance(values["days"], int) or not 1 <= values["days"] <= MAX_DAYS:
        errors.add("days", _("Enter a number of days from 1 to %(max)d.") % {"max": MAX_DAYS})
    errors.length("script", values["script"], TEXT_MAX)
    if values["is_active"]:
        twin = FollowUpRule.objects.filter(
            kind=values["kind"], ticket_type=values["ticket_type"], tier=values["tier"], is_active=True
        )
        if rule is not None:
            twin = twin.exclude(pk=rule.pk)
        if twin.exists():
            errors.add("is_active", _("Another active rule has the same kind, ticket type and tier."))
    return errors


@transaction.atomic
def save_rule(*, by, rule: FollowUpRule | None = None, version: int | None = None, **values) -> FollowUpRule:
    """Add a rule (`rule` None) or change one. Refused with nothing written: an unknown code, days
    outside 1–366, a ticket type on an account revisit rule, a second active rule for the same
    kind, type and tier (422), a stale version (409)."""
    unknown = set(values) - set(RULE_FIELDS)
    if unknown:
        raise ValueError(f"unknown rule fields: {sorted(unknown)}")
    if rule is not None:
        rule = lock_for_update(FollowUpRule.objects, rule.pk, version)
        merged = {name: values.get(name, getattr(rule, name)) for name in RULE_FIELDS}
    else:
        merged = {"ticket_type": "", "tier": "", "script": "", "is_active": True, **values}
        if set(RULE_FIELDS) - set(merged):
            raise ValidationError(
                {name: [_("This field is required.")] for name in set(RULE_FIELDS) - set(merged)}
            )
    merged["script"] = (merged["script"] or "").strip()
    _rule_errors(merged, rule).raise_if_any()
    if rule is None:
        rule = FollowUpRule.objects.create(**merged)
        audit.record_create(actor=by, obj=rule, fields=RULE_FIELDS)
        return rule
    before = audit.snapshot(rule, RULE_FIELDS)
    for name, value in merged.items():
        setattr(rule, name, value)
    if audit.diff(before, audit.snapshot(rule, RULE_FIELDS)):
        bump_version(rule)
        rule.save()
        audit.record_update(actor=by, obj=rule, before=before)
    return rule


@transaction.atomic
def assign_account_rep(
    *, by, customer: Customer, sales_rep, next_revisit_on: datetime.date | None = None
) -> AccountRep:
    """Make `sales_rep` the customer's account rep (replacing another), revisiting from
    `next_revisit_on` (None: due now). Refused: an inactive user or a system account (422)."""
    errors = FieldErrors()
    if sales_rep is None or not sales_rep.is_active or is_system_account(sales_rep):
        errors.add("sales_rep", _("Choose an active member of staff."))
    errors.raise_if_any()
    rep = AccountRep.objects.select_for_update().filter(customer=customer).first()
    if rep is None:
        rep = AccountRep.objects.create(
            customer=customer, sales_rep=sales_rep, next_revisit_on=next_revisit_on
        )
        audit.record_create(actor=by, obj=rep, fields=("customer", "sales_rep", "next_revisit_on"))
        return rep
    before = audit.snapshot(rep, ("sales_rep", "next_revisit_on"))
    rep.sales_rep = sales_rep
    rep.next_revisit_on = next_revisit_on
    rep.save()
    audit.record_update(actor=by, obj=rep, before=before)
    return rep
