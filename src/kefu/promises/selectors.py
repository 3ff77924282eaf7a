"""Reads of promises that matter: a ticket's promises, those of a page of tickets (one query), and
the promise-kept figure, read from the PromiseTally rollup (never a scan of tickets or promises:
DESIGN.md "headline figures over 10M tickets < 100 ms").
"""

import datetime
from dataclasses import dataclass

from django.db.models import Sum
from django.utils.translation import gettext as _

from kefu.core.errors import InvalidRequest
from kefu.promises.models import PolicyTarget, PromiseKind, PromisePolicy, PromiseTally, TicketPromise

KIND_ORDER = {kind: position for position, kind in enumerate(PromiseKind.values)}
# The longest range the figure answers for (ten years of daily rows is still a small table).
FIGURE_MAX_DAYS = 3660
FIGURE_DEFAULT_DAYS = 30


def _in_order(promises) -> list[TicketPromise]:
    return sorted(promises, key=lambda promise: KIND_ORDER.get(promise.kind, 99))


def ticket_promises(ticket, *, with_policy: bool = True) -> list[TicketPromise]:
    """The promises made to `ticket`, first response, arrival, resolution: one query."""
    promises = TicketPromise.objects.filter(ticket_id=ticket.pk)
    if with_policy:
        promises = promises.select_related("policy")
    return _in_order(promises)


def promises_by_ticket(tickets) -> dict[int, list[TicketPromise]]:
    """The promises of a page of tickets by ticket id: one query whatever the page size."""
    by_ticket: dict[int, list[TicketPromise]] = {}
    ids = [ticket.id for ticket in tickets]  # models or selectors.ticket_queue's named rows
    if not ids:
        return by_ticket
    for promise in TicketPromise.objects.filter(ticket_id__in=ids):
        by_ticket.setdefault(promise.ticket_id, []).append(promise)
    return {ticket_id: _in_order(promises) for ticket_id, promises in by_ticket.items()}


def most_urgent(promises: list[TicketPromise]) -> TicketPromise | None:
    """The promise a queue row shows: the unsettled one due first (a paused one after the running
    ones); with all settled, the one settled last (kept, or kept late)."""
    open_ = [promise for promise in promises if promise.met_at is None]
    if open_:
        return min(open_, key=lambda promise: (promise.paused_since is not None, promise.due_at))
    settled = [promise for promise in promises if promise.met_at is not None]
    return max(settled, key=lambda promise: promise.met_at or promise.due_at, default=None)


# --- The promise-kept figure --------------------------------------------------------------------


@dataclass(frozen=True)
class KeptRow:
    """Kept and missed promises of one policy and kind in the range, beside what it advertises."""

    policy_id: int | None  # None: every policy (a kind's total)
    policy_name: str
    kind: str
    kind_label: str
    target_minutes: int | None  # the advertised target (today's); None for a total
    kept: int
    missed: int

    @property
    def settled(self) -> int:
        return self.kept + self.missed

    @property
    def kept_rate(self) -> float | None:
        """Kept over settled, 0..1; None when nothing was settled."""
        return self.kept / self.settled if self.settled else None


@dataclass(frozen=True)
class KeptFigure:
    date_from: datetime.date
    date_to: datetime.date
    rows: list[KeptRow]  # per policy and kind, policies by name, kinds in order
    kinds: list[KeptRow]  # per kind over every policy shown


def figure_range(date_from: datetime.date | None, date_to: datetime.date | None, *, today: datetime.date):
    """The range a figure covers: the last 30 days to today by default; InvalidRequest (400)
    when it ends before it starts or spans more than FIGURE_MAX_DAYS."""
    date_to = date_to or today
    date_from = date_from or date_to - datetime.timedelta(days=FIGURE_DEFAULT_DAYS - 1)
    if date_from > date_to:
        raise InvalidRequest({"from": [_("The range must start on or before its end.")]})
    if (date_to - date_from).days + 1 > FIGURE_MAX_DAYS:
        raise InvalidRequest(
            {"from": [_("The range may span at most %(days)d days.") % {"days": FIGURE_MAX_DAYS}]}
        )
    return date_from, date_to


def promise_kept(
    *,
    date_from: datetime.date,
    date_to: datetime.date,
    policy: int | None = None,
    kind: str | None = None,
) -> KeptFigure:
    """The promise-kept rate per policy and per kind over the days `date_from`..`date_to`
    (inclusive, the day a promise was met or breached), with each policy's advertised target.

    Two queries whatever the volume: one GROUP BY over the tally's rows in the range (days x
    policies x kinds, a few thousand a year) on its (day, policy, kind) index, and the names and
    targets of the policies found.
    """
    tallies = PromiseTally.objects.filter(day__gte=date_from, day__lte=date_to)
    if policy is not None:
        tallies = tallies.filter(policy_id=policy)
    if kind:
        tallies = tallies.filter(kind=kind)
    sums = list(
        tallies.order_by()
        .values("policy_id", "kind")
        .annotate(kept_sum=Sum("kept"), missed_sum=Sum("missed"))
    )
    policy_ids = {row["policy_id"] for row in sums}
    names: dict[int, str] = {}
    targets: dict[tuple[int, str], int] = {}
    if policy_ids:
        for target in PolicyTarget.objects.filter(policy_id__in=policy_ids).select_related("policy"):
            names[target.policy_id] = target.policy.name
            targets[(target.policy_id, target.kind)] = target.minutes
        missing = policy_ids - names.keys()
        if missing:  # a policy whose targets were all removed since: its name still
            names.update(PromisePolicy.objects.filter(pk__in=missing).values_list("pk", "name"))
    labels = dict(PromiseKind.choices)
    rows = [
        KeptRow(
            policy_id=row["policy_id"],
            policy_name=names.get(row["policy_id"], str(row["policy_id"])),
            kind=row["kind"],
            kind_label=str(labels.get(row["kind"], row["kind"])),
            target_minutes=targets.get((row["policy_id"], row["kind"])),
            kept=row["kept_sum"] or 0,
            missed=row["missed_sum"] or 0,
        )
        for row in sums
    ]
    rows.sort(key=lambda row: (row.policy_name, KIND_ORDER.get(row.kind, 99)))
    totals: dict[str, list[int]] = {}
    for row in rows:
        total = totals.setdefault(row.kind, [0, 0])
        total[0] += row.kept
        total[1] += row.missed
    kinds = [
        KeptRow(None, "", kind, str(labels.get(kind, kind)), None, kept, missed)
        for kind, (kept, missed) in sorted(totals.items(), key=lambda item: KIND_ORDER.get(item[0], 99))
    ]
    return KeptFigure(date_from, date_to, rows, kinds)
