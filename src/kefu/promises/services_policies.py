"""Writing promise policies and calendar days: the one path the admin, the API and the seeding
take (decision 0012). Each function runs in a transaction, checks everything before writing
anything, and leaves an audit row.

Refusals: a target that is not a positive number of minutes, a season day that is no day of
the year, a season with one end, an unknown status or code → ValidationError naming the field
(HTTP 422); a policy whose criteria and season overlap another active policy of the same
specificity → ValidationError on `season_start` naming the other policy (the match would be a
coin toss); a stale version → StaleVersion (409). The business calendar's days are
core.calendar's (add_business_day, confirm_year).
"""

import datetime
import re
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _

from kefu.core import audit
from kefu.core.concurrency import bump_version, lock_for_update
from kefu.core.validation import FieldErrors
from kefu.customers.models import ProductCategory, Tier
from kefu.promises.models import (
    PolicyTarget,
    PromiseKind,
    PromisePolicy,
    WorkCalendar,
)
from kefu.promises.policies import criteria_key, seasons_overlap, specificity
from kefu.tickets.models import Priority, Status, TicketType


class _Unset:
    def __repr__(self) -> str:
        return "UNSET"


UNSET: Any = _Unset()

# What a policy records in the audit trail and compares for "changed".
POLICY_FIELDS = (
    "name",
    "description",
    "active",
    "product_category",
    "ticket_type",
    "priority",
    "customer_tier",
    "season_start",
    "season_end",
    "calendar",
    "pause_statuses",
    "escalate_supervisor_after",
    "escalate_director_after",
    "escalate_hq_after",
)
MAX_MINUTES = 60 * 24 * 366  # a year: more is a typing slip
MAX_ESCALATION_MINUTES = 60 * 24 * 366
_SEASON = re.compile(r"^(\d{2})-(\d{2})$")
# Statuses a clock may pause in: the open ones that wait on someone else.
PAUSABLE = [Status.NEW, Status.OPEN, Status.PENDING_CUSTOMER, Status.PENDING_PARTS]


def _season_day(errors: FieldErrors, field: str, value: str) -> str:
    value = (value or "").strip()
    if not value:
        return ""
    match = _SEASON.match(value)
    valid = False
    if match:
        try:
            datetime.date(2024, int(match.group(1)), int(match.group(2)))  # a leap year: 02-29 is a day
            valid = True
        except ValueError:
            valid = False
    if not valid:
        errors.add(field, _("Enter a day of the year as MM-DD, for example 06-01."))
        return ""
    return value


def _clean_targets(errors: FieldErrors, targets) -> dict[str, int | None]:
    """{kind: minutes}; None for a kind removes its target (on update)."""
    if not isinstance(targets, dict):
        errors.add("targets", _("Give the targets as {kind: minutes}."))
        return {}
    cleaned: dict[str, int | None] = {}
    for kind, minutes in targets.items():
        if kind not in PromiseKind.values:
            errors.add("targets", _("“%(value)s” is not a kind of promise.") % {"value": kind})
            continue
        if minutes is None:
            cleaned[kind] = None
            continue
        if isinstance(minutes, bool) or not isinstance(minutes, int) or minutes <= 0:
            errors.add(
                "targets",
                _("The target for %(kind)s must be a positive number of minutes.")
                % {"kind": PromiseKind(kind).label},
            )
            continue
        if minutes > MAX_MINUTES:
            errors.add("targets", _("Enter at most %(limit)d minutes.") % {"limit": MAX_MINUTES})
            continue
        cleaned[kind] = minutes
    return cleaned


def _check_values(errors: FieldErrors, values: dict[str, Any]) -> None:
    """Check the policy's fields that are given in `values` (and normalise the season)."""
    if "name" in values:
        values["name"] = (values["name"] or "").strip()
        if not values["name"]:
            errors.add("name", _("This field is required."))
        errors.length("name", values["name"], 80)
    if "description" in values:
        values["description"] = (values["description"] or "").strip()
        errors.length("description", values["description"], 300)
    for field, choices in (("ticket_type", TicketType), ("priority", Priority), ("customer_tier", Tier)):
        if field in values:
            values[field] = values[field] or ""
            if values[field]:
                errors.choice(field, values[field], choices)
    category = values.get("product_category")
    if category is not None and not isinstance(category, ProductCategory):
        errors.add("product_category", _("Choose a product category."))
    if "calendar" in values and not isinstance(values["calendar"], WorkCalendar):
        errors.add("calendar", _("Choose a work calendar."))
    for field in ("season_start", "season_end"):
        if field in values:
            values[field] = _season_day(errors, field, values[field])
    if "pause_statuses" in values:
        statuses = values["pause_statuses"] or []
        if not isinstance(statuses, list) or any(status not in PAUSABLE for status in statuses):
            errors.add(
                "pause_statuses",
                _("Only open statuses may pause a clock: %(allowed)s.")
                % {"allowed": ", ".join(str(status) for status in PAUSABLE)},
            )
        else:
            values["pause_statuses"] = sorted(set(statuses))
    for field in ("escalate_supervisor_after", "escalate_director_after", "escalate_hq_after"):
        if field in values:
            value = values[field]
            if (
                isinstance(value, bool)
                or not isinstance(value, int)
                or not 0 <= value <= MAX_ESCALATION_MINUTES
            ):
                errors.add(
                    field,
                    _("Enter a number of minutes from 0 to %(limit)d.") % {"limit": MAX_ESCALATION_MINUTES},
                )


def _check_whole(errors: FieldErrors, policy: PromisePolicy) -> None:
    """Rules over several fields, on the policy as it would be saved."""
    if bool(policy.season_start) != bool(policy.season_end):
        field = "season_end" if policy.season_start else "season_start"
        errors.add(field, _("A season needs both its first and its last day (or neither, for all year)."))
    if (
        not errors.by_field.keys()
        & {"escalate_supervisor_after", "escalate_director_after", "escalate_hq_after"}
        and not policy.escalate_supervisor_after <= policy.escalate_director_after <= policy.escalate_hq_after
    ):
        errors.add(
            "escalate_director_after",
            _("The chain climbs in order: supervisor, then service director, then HQ (minutes past due)."),
        )


def _check_overlap(errors: FieldErrors, policy: PromisePolicy, *, lock: bool = True) -> None:
    """Refuse a policy that would tie with another active one for some ticket."""
    if not policy.active:
        return
    key = criteria_key(policy)
    candidates = PromisePolicy.objects.select_for_update() if lock else PromisePolicy.objects.all()
    others = (
        candidates.filter(active=True, specificity=policy.specificity).exclude(pk=policy.pk).order_by("id")
    )
    for other in others:
        if criteria_key(other) != key:
            continue
        if seasons_overlap((policy.season_start, policy.season_end), (other.season_start, other.season_end)):
            field = "season_start" if policy.season_start else "name"
            errors.add(
                field,
                _(
                    "The policy “%(other)s” already applies to the same tickets on some of these days "
                    "with the same criteria: the match would be a coin toss. Change the criteria or the "
                    "season, or deactivate one of them."
                )
                % {"other": other.name},
            )
            return


def _check_name(errors: FieldErrors, policy: PromisePolicy) -> None:
    if policy.name and PromisePolicy.objects.filter(name=policy.name).exclude(pk=policy.pk).exists():
        errors.add("name", _("Another policy has this name."))


def _lock_policies() -> None:
    """Serialise policy writes (on PostgreSQL): the overlap check reads the others, so two
    overlapping policies saved at once must not both pass it."""
    list(PromisePolicy.objects.select_for_update().filter(active=True).values_list("id", flat=True))


def _set_targets(policy: PromisePolicy, targets: dict[str, int | None]) -> dict[str, list]:
    """Write the targets; returns {kind: [before, after]} for the ones that changed."""
    current = {target.kind: target for target in policy.targets.all()}
    changes: dict[str, list] = {}
    for kind, minutes in targets.items():
        existing = current.get(kind)
        before = existing.minutes if existing else None
        if minutes == before:
            continue
        if minutes is None:
            assert existing is not None
            existing.delete()
        elif existing is None:
            PolicyTarget.objects.create(policy=policy, kind=kind, minutes=minutes)
        else:
            existing.minutes = minutes
            existing.save(update_fields=["minutes"])
        changes[f"target_{kind}"] = [before, minutes]
    return changes


def _specificity(policy: PromisePolicy) -> int:
    return specificity(
        product_category=policy.product_category_id,
        ticket_type=policy.ticket_type,
        priority=policy.priority,
        customer_tier=policy.customer_tier,
        season=bool(policy.season_start),
    )


def _refuse_integrity(error: IntegrityError):
    text = str(error).lower()
    if "name" in text:
        raise ValidationError({"name": [_("Another policy has this name.")]}) from error
    if "code" in text:
        raise ValidationError({"code": [_("Another policy has this code.")]}) from error
    raise error


def policy_errors(
    *, values: dict[str, Any], targets: dict[str, int | None], pk: int | None = None
) -> FieldErrors:
    """The service's checks on a policy as it would be saved, without writing anything: what a
    form shows beside its fields before it calls create_policy or update_policy (which check
    again, under the lock). `values` holds every field of POLICY_FIELDS, `targets` every kind."""
    errors = FieldErrors()
    values = dict(values)
    _check_values(errors, values)
    cleaned = _clean_targets(errors, targets)
    if "targets" not in errors.by_field and not any(cleaned.values()):
        errors.add("targets", _("Give at least one target: first response, on-site arrival or resolution."))
    if errors.by_field:
        return errors
    policy = PromisePolicy(pk=pk, **values)
    policy.specificity = _specificity(policy)
    _check_whole(errors, policy)
    _check_name(errors, policy)
    if not errors.by_field:
        _check_overlap(errors, policy, lock=False)
    return errors


@transaction.atomic
def create_policy(
    *,
    by,
    name: str,
    calendar: WorkCalendar,
    targets: dict[str, int],
    description: str = "",
    active: bool = True,
    product_category: ProductCategory | None = None,
    ticket_type: str = "",
    priority: str = "",
    customer_tier: str = "",
    season_start: str = "",
    season_end: str = "",
    pause_statuses: list[str] | None = None,
    escalate_supervisor_after: int = 0,
    escalate_director_after: int = 240,
    escalate_hq_after: int = 1440,
    code: str | None = None,
    audited: bool = True,
) -> PromisePolicy:
    """A new policy with its targets (at least one). Refused with every field's problem at once.

    `audited=False` only for the shipped defaults, which the system seeds after migrate as a data
    migration would (promises.defaults): they are not anybody's change."""
    errors = FieldErrors()
    values: dict[str, Any] = {
        "name": name,
        "description": description,
        "active": bool(active),
        "product_category": product_category,
        "ticket_type": ticket_type,
        "priority": priority,
        "customer_tier": customer_tier,
        "season_start": season_start,
        "season_end": season_end,
        "calendar": calendar,
        "pause_statuses": [Status.PENDING_CUSTOMER.value] if pause_statuses is None else pause_statuses,
        "escalate_supervisor_after": escalate_supervisor_after,
        "escalate_director_after": escalate_director_after,
        "escalate_hq_after": escalate_hq_after,
    }
    _check_values(errors, values)
    cleaned_targets = _clean_targets(errors, targets)
    if not errors.by_field.get("targets") and not any(v for v in cleaned_targets.values()):
        errors.add("targets", _("Give at least one target: first response, on-site arrival or resolution."))
    errors.raise_if_any()
    policy = PromisePolicy(code=code or None, **values)
    policy.specificity = _specificity(policy)
    _check_whole(errors, policy)
    errors.raise_if_any()
    _lock_policies()
    _check_name(errors, policy)
    _check_overlap(errors, policy)
    errors.raise_if_any()
    try:
        with transaction.atomic():
            policy.save()
    except IntegrityError as error:
        _refuse_integrity(error)
    PolicyTarget.objects.bulk_create(
        [
            PolicyTarget(policy=policy, kind=kind, minutes=minutes)
            for kind, minutes in cleaned_targets.items()
            if minutes
        ]
    )
    if not audited:
        return policy
    audit.record_create(
        actor=by,
        obj=policy,
        fields=POLICY_FIELDS,
        extra={f"target_{kind}": minutes for kind, minutes in sorted(cleaned_targets.items()) if minutes},
    )
    return policy


@transaction.atomic
def update_policy(
    *, policy: PromisePolicy, by, version: int | None, targets=UNSET, **changes
) -> PromisePolicy:
    """Change the given fields (those of POLICY_FIELDS) and targets ({kind: minutes}, None
    removes a kind). A stale `version` → StaleVersion (409), nothing written; a change that
    changes nothing writes nothing. Promises already made keep their snapshot."""
    unknown = set(changes) - set(POLICY_FIELDS)
    if unknown:
        raise TypeError(f"update_policy() got unknown fields: {sorted(unknown)}")
    _lock_policies()
    policy = lock_for_update(PromisePolicy.objects, policy.pk, version)
    errors = FieldErrors()
    values = dict(changes)
    _check_values(errors, values)
    cleaned_targets = _clean_targets(errors, targets) if targets is not UNSET else {}
    errors.raise_if_any()
    before = audit.snapshot(policy, POLICY_FIELDS)
    for field, value in values.items():
        setattr(policy, field, value)
    policy.specificity = _specificity(policy)
    _check_whole(errors, policy)
    if cleaned_targets:
        remaining: dict[str, int | None] = {target.kind: target.minutes for target in policy.targets.all()}
        remaining.update(cleaned_targets)
        if not any(remaining.values()):
            errors.add(
                "targets", _("Give at least one target: first response, on-site arrival or resolution.")
            )
    errors.raise_if_any()
    _check_name(errors, policy)
    _check_overlap(errors, policy)
    errors.raise_if_any()
    changed = audit.diff(before, audit.snapshot(policy, POLICY_FIELDS))
    target_changes = _set_targets(policy, cleaned_targets) if cleaned_targets else {}
    if not changed and not target_changes:
        return policy
    bump_version(policy)
    try:
        with transaction.atomic():
            policy.save()
    except IntegrityError as error:
        _refuse_integrity(error)
    audit.record_update(actor=by, obj=policy, before=before, extra=target_changes or None)
    return policy


# --- Calendars ------------------------------------------------------------------------------------


@transaction.atomic
def set_working_hours(
    *, calendar: WorkCalendar, by, hours: dict[int, tuple[datetime.time, datetime.time] | None]
):
    """Set the opening hours of some weekdays (None closes that weekday)."""
    from kefu.promises.models import WorkingHours

    errors = FieldErrors()
    for weekday, interval in hours.items():
        if not isinstance(weekday, int) or not 0 <= weekday <= 6:
            errors.add("weekday", _("A weekday is 0 (Monday) to 6 (Sunday)."))
        elif interval is not None and not interval[0] < interval[1]:
            errors.add("hours", _("A day closes after it opens."))
    errors.raise_if_any()
    changes = {}
    for weekday, interval in sorted(hours.items()):
        if interval is None:
            WorkingHours.objects.filter(calendar=calendar, weekday=weekday).delete()
        else:
            WorkingHours.objects.update_or_create(
                calendar=calendar, weekday=weekday, defaults={"start": interval[0], "end": interval[1]}
            )
        changes[f"weekday_{weekday}"] = [None, [t.strftime("%H:%M") for t in interval] if interval else None]
    audit.record(actor=by, action="update", obj=calendar, changes=changes)
