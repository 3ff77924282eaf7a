"""Which promise policy applies to a ticket, and why (decision 0026).

A policy matches a ticket when each of its criteria that is set equals the ticket's (product
category, ticket type, priority, customer tier) and, when it has a season, the day the ticket
was opened falls in it (a season may wrap the new year). Of the active matching policies the
most specific wins: the one with the most criteria set (a season counts as one). Two active
policies with the same criteria and overlapping seasons are refused by the service
(services_policies). Policies with as many criteria but different ones may both match one ticket
(urgent repairs and VIP repairs: an urgent repair for a VIP); then the criteria decide in a fixed
order, season before product category before priority before customer tier before ticket type
(the more particular promise wins), and only then the older policy.

    policies = active_policies()            # two queries, once per request or sweep
    policy, reasons = match_policy(ticket, policies=policies)
    reasons → ["产品品类：空调", "工单类型：维修", "季节：6月1日–8月31日"]

The services that open a ticket or recompute its promises use `rules()`: the active policies and
their calendars kept by the process under the rules' generation token (decision 0028), read
again only when the token (one row, changed by triggers with every write to the rules) or the
day has changed.
"""

import datetime
from dataclasses import dataclass, field

from django.db import connection
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kefu.core.db.statements import executable
from kefu.customers.catalogue import category_label
from kefu.customers.models import Tier
from kefu.promises import clock
from kefu.promises.models import PromisePolicy
from kefu.tickets.models import Priority, TicketType

SEASON_FORMAT = "MM-DD"


@dataclass(frozen=True)
class TicketFacts:
    """What a policy looks at: the ticket's criteria and the local day it was opened."""

    category_id: int | None
    ticket_type: str
    priority: str
    customer_tier: str
    day: datetime.date


def facts_of(ticket) -> TicketFacts:
    """The facts of a Ticket (or anything with its attributes). Reads ticket.product.model and
    ticket.customer: select_related("product__model", "customer") saves the queries."""
    product = getattr(ticket, "product", None)
    category_id = product.model.category_id if product is not None else None
    customer = getattr(ticket, "customer", None)
    opened = getattr(ticket, "created_at", None) or timezone.now()
    return TicketFacts(
        category_id=category_id,
        ticket_type=ticket.type,
        priority=ticket.priority,
        customer_tier=customer.tier if customer is not None else "",
        day=timezone.localtime(opened).date(),
    )


def in_season(day: datetime.date, start: str, end: str) -> bool:
    """Whether `day` falls in the season from `start` to `end` ("MM-DD", both ends included);
    a season whose end comes before its start wraps the new year; no season is all year."""
    if not start or not end:
        return True
    key = f"{day.month:02d}-{day.day:02d}"
    if start <= end:
        return start <= key <= end
    return key >= start or key <= end


def seasons_overlap(a: tuple[str, str], b: tuple[str, str]) -> bool:
    """Whether two seasons share a day (an empty season is all year)."""
    if not all(a) or not all(b):
        return True
    # A season as the set of day-of-year keys it covers; seasons are short strings, years have 366 keys.
    return bool(_season_keys(*a) & _season_keys(*b))


def _season_keys(start: str, end: str) -> set[str]:
    keys = set()
    day = datetime.date(2024, 1, 1)  # a leap year: 02-29 is a day of some seasons
    while day.year == 2024:
        key = f"{day.month:02d}-{day.day:02d}"
        if (start <= key <= end) if start <= end else (key >= start or key <= end):
            keys.add(key)
        day += datetime.timedelta(days=1)
    return keys


def specificity(
    *, product_category=None, ticket_type: str = "", priority: str = "", customer_tier: str = "", season: bool
) -> int:
    """The number of criteria set; the season counts as one."""
    return sum(
        bool(value) for value in (product_category is not None, ticket_type, priority, customer_tier, season)
    )


def criteria_key(policy: PromisePolicy) -> tuple:
    """The criteria values that make two policies compete (season aside)."""
    return (
        policy.product_category_id,
        policy.ticket_type,
        policy.priority,
        policy.customer_tier,
        bool(policy.season_start),
    )


def active_policies() -> list[PromisePolicy]:
    """Every active policy, most specific first, with its category, calendar and targets:
    two queries. Load them once for a request or a sweep and pass them to match_policy."""
    return list(
        PromisePolicy.objects.filter(active=True)
        .select_related("product_category", "calendar")
        .prefetch_related("targets")
        .order_by("-specificity", "id")
    )


def precedence(policy: PromisePolicy) -> tuple:
    """The order in which policies are tried: most criteria first, then by which criteria."""
    return (
        -policy.specificity,
        not policy.season_start,
        policy.product_category_id is None,
        not policy.priority,
        not policy.customer_tier,
        not policy.ticket_type,
        policy.pk or 0,
    )


def matches(policy: PromisePolicy, facts: TicketFacts) -> bool:
    return (
        (policy.product_category_id is None or policy.product_category_id == facts.category_id)
        and (not policy.ticket_type or policy.ticket_type == facts.ticket_type)
        and (not policy.priority or policy.priority == facts.priority)
        and (not policy.customer_tier or policy.customer_tier == facts.customer_tier)
        and in_season(facts.day, policy.season_start, policy.season_end)
    )


def first_match(facts: TicketFacts, policies_in_order) -> PromisePolicy | None:
    """The policy that applies, from policies already in precedence order (Rules.policies),
    without its reasons."""
    for policy in policies_in_order:
        if policy.active and matches(policy, facts):
            return policy
    return None


# --- The rules kept per process (decision 0028) ------------------------------------------------------

GENERATION_TABLE = "promises_generation"
GENERATION_SQL = f"SELECT token FROM {GENERATION_TABLE} WHERE id = 1"


@dataclass(frozen=True)
class Rules:
    """What a new ticket's promises are computed from: the active policies in precedence order
    (targets prefetched) and the calendar data of those they use, as loaded under `token` on
    `day` (the calendars' years follow the day)."""

    token: str | None
    day: datetime.date
    policies: tuple[PromisePolicy, ...]
    calendars: dict[int, clock.CalendarData] = field(default_factory=dict)


_kept: dict[str, Rules] = {}


def generation() -> str | None:
    """The rules' generation token (migration promises 0002: triggers change it with every
    write to policies, targets, calendars, hours and business days): one small statement.
    None when there is none to read (another database, or the row is missing): then nothing
    is kept."""
    if connection.vendor not in ("postgresql", "sqlite"):
        return None
    with connection.cursor() as cursor:
        # Read with every ticket opened: prepared on the server once per connection (0039).
        cursor.execute(executable(GENERATION_SQL))
        row = cursor.fetchone()
    return row[0] if row else None


def rules() -> Rules:
    """The rules as they stand now: kept by the process while the generation token and the day
    are those they were loaded under, read again (policies, targets, calendars: about five
    statements) when either changed. Read inside the caller's transaction, so a change the same
    transaction made is seen."""
    token = generation()
    today = timezone.localdate()
    kept = _kept.get("rules")
    if token is not None and kept is not None and kept.token == token and kept.day == today:
        return kept
    policies = sorted(active_policies(), key=precedence)
    calendar_ids = sorted({policy.calendar_id for policy in policies})
    calendars = clock.load_calendars(calendar_ids) if calendar_ids else {}
    fresh = Rules(token=token, day=today, policies=tuple(policies), calendars=calendars)
    if token is not None:
        _kept["rules"] = fresh
    return fresh


def forget_rules() -> None:
    """Drop the rules this process keeps (tests; never needed for correctness)."""
    _kept.clear()


def match_policy(
    ticket, *, policies: list[PromisePolicy] | None = None
) -> tuple[PromisePolicy | None, list[str]]:
    """The policy that applies to `ticket` (a Ticket or TicketFacts) and why, in the reader's
    language; (None, []) when no active policy matches (no promise is made)."""
    facts = ticket if isinstance(ticket, TicketFacts) else facts_of(ticket)
    candidates = active_policies() if policies is None else policies
    for policy in sorted(candidates, key=precedence):
        if policy.active and matches(policy, facts):
            return policy, policy_reasons(policy)
    return None, []


# --- Why, in words ----------------------------------------------------------------------------------

LABEL_CATEGORY = gettext_lazy("product category")
LABEL_TYPE = gettext_lazy("ticket type")
LABEL_PRIORITY = gettext_lazy("priority")
LABEL_TIER = gettext_lazy("customer tier")
LABEL_SEASON = gettext_lazy("season")


def season_text(start: str, end: str) -> str:
    """ "6月1日–8月31日" / "1/6–31/8"-style words for a season, in the reader's language."""

    def one(value: str) -> str:
        month, day = (int(part) for part in value.split("-"))
        return _("%(month)d/%(day)d") % {"month": month, "day": day}

    return f"{one(start)}–{one(end)}"


def _reason(label, value) -> str:
    return _("%(field)s: %(message)s") % {"field": capfirst(label), "message": value}


def policy_reasons(policy: PromisePolicy) -> list[str]:
    """The criteria the policy matched a ticket by, one sentence each, in the reader's language.
    A policy with none says it applies to every ticket."""
    reasons = []
    category = policy.product_category if policy.product_category_id is not None else None
    if category is not None:
        reasons.append(_reason(LABEL_CATEGORY, category_label(category.code, category.name)))
    if policy.ticket_type:
        reasons.append(_reason(LABEL_TYPE, TicketType(policy.ticket_type).label))
    if policy.priority:
        reasons.append(_reason(LABEL_PRIORITY, Priority(policy.priority).label))
    if policy.customer_tier:
        reasons.append(_reason(LABEL_TIER, Tier(policy.customer_tier).label))
    if policy.season_start and policy.season_end:
        reasons.append(_reason(LABEL_SEASON, season_text(policy.season_start, policy.season_end)))
    if not reasons:
        reasons.append(_("The default policy: it applies to every ticket no other policy matches."))
    return reasons


def reasons_text(reasons: list[str]) -> str:
    """The reasons in one line, as the ticket shows them."""
    return _("; ").join(reasons)
