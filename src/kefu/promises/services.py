"""Every write to a ticket's promises (SPEC §3): made when the ticket opens, recomputed when what
they depend on changes, paused and resumed with the ticket's status, met by the first public
reply, the on-site arrival and the resolution (decision 0027).

The tickets services call these through tickets.extensions (registered by PromisesConfig.ready()),
inside their transaction and after they locked and saved the ticket: every promise writer holds
the ticket's row lock, which is what keeps them and the breach sweep (promises.sweep) apart. Each
one keeps Ticket.due_at current (the earliest due time among the unmet promises, breached ones
included) and, when a promise is settled, adds one to its PromiseTally row (an upsert) and writes
its line on the ticket's timeline, all in that same transaction.
"""

import datetime
from collections.abc import Iterable, Sequence

from django.db import connection, transaction
from django.db.models import Min, Q
from django.utils import timezone

from kefu.core.concurrency import lock_for_update
from kefu.core.db.statements import insert
from kefu.core.errors import NotFound
from kefu.customers import extensions as customer_extensions
from kefu.promises import clock, policies
from kefu.promises.models import PromiseKind, PromisePolicy, TicketPromise
from kefu.promises.timeline import PROMISE_BREACHED, PROMISE_MET
from kefu.tickets import extensions
from kefu.tickets import timeline as ticket_timeline
from kefu.tickets.models import OPEN_STATUSES, Status, Ticket, TicketEvent

# The ticket's fields a policy matches on (promises.policies.facts_of); the tier is the customer's.
MATCHED_FIELDS = frozenset({"type", "priority", "product"})
US = 1_000_000
# Where a ticket just opened keeps the promises written with it, for its answer (promise_rows).
OPENED_PROMISES = "_opened_promises"


def register_hooks() -> None:
    """The promises' part in the tickets' services and answers; PromisesConfig.ready() calls it."""
    extensions.register(
        opening=ticket_opening,
        changed=ticket_changed,
        status_changed=status_changed,
        public_reply=public_reply,
        promise_rows=promise_rows,
    )
    customer_extensions.register_changed(customer_changed)


def customer_changed(customer, changed_fields: frozenset[str]) -> None:
    """A customer's tier changed: the open tickets' promises may follow another policy."""
    if "tier" in changed_fields:
        recompute_customer_tickets(customer)


# --- Helpers ------------------------------------------------------------------------------------


def _clock_runs(status: str, policy: PromisePolicy) -> bool:
    """A promise's clock runs while its ticket is open and not in one of the policy's pause
    statuses (resolved, closed and merged tickets stop every clock they still have)."""
    return status in OPEN_STATUSES and status not in (policy.pause_statuses or [])


def _due(promise: TicketPromise, data: clock.CalendarData) -> datetime.datetime:
    """Due = the target in business time after the start, plus the business time paused so far."""
    amount = promise.minutes * 60 * US + promise.paused_seconds * US
    return clock.add_business_microseconds(promise.started_at, amount, data)


def _calendars(policies_used: Iterable[PromisePolicy]) -> dict[int, clock.CalendarData]:
    return clock.load_calendars(list({policy.calendar_id for policy in policies_used}))


def sync_due_at(ticket: Ticket) -> None:
    """Ticket.due_at := the earliest due time of its unmet promises, breached ones included (a paused,
    unbreached promise has no due time while it stands still). Written only when it changed."""
    due_at = TicketPromise.objects.filter(
        Q(paused_since__isnull=True) | Q(breached_at__isnull=False), ticket_id=ticket.pk, met_at__isnull=True
    ).aggregate(first=Min("due_at"))["first"]
    if due_at != ticket.due_at:
        Ticket.objects.filter(pk=ticket.pk).update(due_at=due_at)
        ticket.due_at = due_at


def add_to_tally(rows: Sequence[tuple[datetime.date, int, str, int, int]]) -> None:
    """PromiseTally += (kept, missed) for each (day, policy id, kind): one upsert per row, so two
    transactions settling promises of the same day never lose a count."""
    table = connection.ops.quote_name("promises_promisetally")
    for day, policy_id, kind, kept, missed in rows:
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {table} (day, policy_id, kind, kept, missed) VALUES (%s, %s, %s, %s, %s) "
                f"ON CONFLICT (day, policy_id, kind) DO UPDATE SET kept = {table}.kept + excluded.kept, "
                f"missed = {table}.missed + excluded.missed",
                [connection.ops.adapt_datefield_value(day), policy_id, kind, kept, missed],
            )


def _event(ticket: Ticket, kind: str, at: datetime.datetime, data: dict) -> TicketEvent:
    return ticket_timeline.new_event(ticket, kind, at=at, data=data)


def _lock_ticket(ticket_or_id) -> Ticket:
    pk = ticket_or_id.pk if isinstance(ticket_or_id, Ticket) else ticket_or_id
    try:
        return lock_for_update(Ticket.objects, pk, None)
    except Ticket.DoesNotExist:
        raise NotFound() from None


# --- Making and recomputing ------------------------------------------------------------------------


def plan_promises(ticket: Ticket, *, at: datetime.datetime | None = None) -> list[TicketPromise]:
    """The promises a ticket opened `at` (its opening) is owed, unsaved: from the policy that
    matches it (none when none matches), each due `minutes` of its calendar after `at`. Sets
    Ticket.due_at (the earliest due time of those whose clock runs) on the instance, so that a
    new ticket's row is written once with it. The rules come from the process's copy
    (policies.rules: one statement while they have not changed)."""
    at = at or ticket.created_at or timezone.now()
    rules = policies.rules()
    policy = policies.first_match(policies.facts_of(ticket), rules.policies)
    if policy is None:
        ticket.due_at = None
        return []
    data = rules.calendars[policy.calendar_id]
    runs = _clock_runs(ticket.status, policy)
    promises = []
    for target in policy.targets.all():  # prefetched with the rules
        promise = TicketPromise(
            ticket=ticket,
            kind=target.kind,
            policy=policy,
            minutes=target.minutes,
            started_at=at,
            paused_since=None if runs else at,
        )
        # As the database gives it back (UTC), so that an answer built from it reads the same.
        promise.due_at = _due(promise, data).astimezone(datetime.UTC)
        promises.append(promise)
    ticket.due_at = min((p.due_at for p in promises if p.paused_since is None), default=None)
    return promises


def start_promises(ticket: Ticket, *, at: datetime.datetime | None = None) -> list[TicketPromise]:
    """Make the promises of a saved ticket that has none (plan_promises), and set Ticket.due_at.
    The ticket is locked (or new) in the caller's transaction."""
    due_before = ticket.due_at
    promises = plan_promises(ticket, at=at)
    TicketPromise.objects.bulk_create(promises)
    if ticket.due_at != due_before:
        Ticket.objects.filter(pk=ticket.pk).update(due_at=ticket.due_at)
    return promises


def recompute_promises(ticket: Ticket, *, at: datetime.datetime | None = None) -> None:
    """Match the policy again after what it depends on changed (type, priority, product, the
    customer's tier) and move the due times of the promises still running: the new target from
    the same start, plus the time paused so far. A kind the new policy does not promise is
    withdrawn; a kind it adds starts now. Met and breached promises stay as they are: a breach is
    not undone by changing the ticket. The ticket is locked in the caller's transaction."""
    at = at or timezone.now()
    rules = policies.rules()
    policy = policies.first_match(policies.facts_of(ticket), rules.policies)
    current = {
        promise.kind: promise
        for promise in TicketPromise.objects.filter(ticket_id=ticket.pk).select_related("policy")
    }
    open_ones = {kind: p for kind, p in current.items() if p.met_at is None and p.breached_at is None}
    targets = {target.kind: target.minutes for target in policy.targets.all()} if policy else {}
    withdrawn = [p.pk for kind, p in open_ones.items() if kind not in targets]
    if withdrawn:
        TicketPromise.objects.filter(pk__in=withdrawn).delete()
    if policy is not None:
        data = rules.calendars[policy.calendar_id]
        runs = _clock_runs(ticket.status, policy)
        changed, added = [], []
        for kind, minutes in targets.items():
            promise = open_ones.get(kind)
            if promise is None:
                if kind in current:
                    continue  # met or breached: settled
                promise = TicketPromise(
                    ticket=ticket,
                    kind=kind,
                    policy=policy,
                    minutes=minutes,
                    started_at=at,
                    paused_since=None if runs else at,
                )
                promise.due_at = _due(promise, data)
                added.append(promise)
                continue
            before = (promise.policy_id, promise.minutes, promise.due_at)
            promise.policy, promise.minutes = policy, minutes
            promise.due_at = _due(promise, data)
            if (promise.policy_id, promise.minutes, promise.due_at) != before:
                changed.append(promise)
        TicketPromise.objects.bulk_update(changed, ["policy", "minutes", "due_at"])
        TicketPromise.objects.bulk_create(added)
    sync_due_at(ticket)


@transaction.atomic
def recompute_customer_tickets(customer, *, at: datetime.datetime | None = None) -> int:
    """Recompute the promises of the customer's open tickets (after a change of tier): each ticket
    locked in id order. How many tickets were recomputed."""
    ids = list(
        Ticket.objects.filter(customer=customer, status__in=OPEN_STATUSES)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    for pk in ids:
        ticket = (
            Ticket.objects.select_for_update(of=("self",))
            .select_related("customer", "product__model")
            .get(pk=pk)
        )
        recompute_promises(ticket, at=at)
    return len(ids)


# --- Pausing, resuming, meeting ------------------------------------------------------------------


def _unmet(ticket: Ticket) -> list[TicketPromise]:
    return list(
        TicketPromise.objects.filter(ticket_id=ticket.pk, met_at__isnull=True)
        .select_related("policy")
        .order_by("pk")
    )


def follow_status(ticket: Ticket, *, at: datetime.datetime | None = None) -> None:
    """Pause the clocks the ticket's status stops and resume those it lets run again. A resumed
    clock's due time moves by the business time it stood still, to the microsecond; a breached
    promise stays breached (its due time does not move)."""
    at = at or timezone.now()
    promises = _unmet(ticket)
    if not promises:
        return
    calendars = _calendars(promise.policy for promise in promises)
    changed = []
    for promise in promises:
        runs = _clock_runs(ticket.status, promise.policy)
        if not runs and promise.paused_since is None:
            promise.paused_since = at
            changed.append(promise)
        elif runs and promise.paused_since is not None:
            data = calendars[promise.policy.calendar_id]
            stood = clock.business_microseconds_between(promise.paused_since, at, data)
            if promise.breached_at is None:
                promise.due_at = clock.add_business_microseconds(promise.due_at, stood, data)
            promise.paused_seconds += round(stood / US)
            promise.paused_since = None
            changed.append(promise)
    TicketPromise.objects.bulk_update(changed, ["paused_since", "paused_seconds", "due_at"])
    sync_due_at(ticket)


def meet(ticket: Ticket, kinds: Iterable[str], *, at: datetime.datetime | None = None) -> list[TicketPromise]:
    """Mark the ticket's unmet promises of `kinds` met at `at`. One met in time counts as kept;
    one met after its due time counts as missed: if the sweep has not marked the breach yet, it
    is marked now (met_at and breached_at both set), exactly once, since the sweep skips met
    promises and every writer holds the ticket's lock. The promises met."""
    at = at or timezone.now()
    promises = [promise for promise in _unmet(ticket) if promise.kind in set(kinds)]
    if not promises:
        return []
    tally: dict[tuple, list[int]] = {}
    events = []
    for promise in promises:
        stopped = promise.paused_since or at
        counted = promise.breached_at is None
        if counted and promise.due_at < stopped:
            promise.breached_at = at
            events.append(_event(ticket, PROMISE_BREACHED, at, _event_data(promise)))
        promise.met_at = at
        promise.paused_since = None
        kept = counted and promise.breached_at is None
        events.append(_event(ticket, PROMISE_MET, at, {**_event_data(promise), "kept": kept}))
        if counted:
            key = (timezone.localdate(at), promise.policy_id, promise.kind)
            tally.setdefault(key, [0, 0])[0 if kept else 1] += 1
    TicketPromise.objects.bulk_update(promises, ["met_at", "breached_at", "paused_since"])
    add_to_tally([(*key, kept, missed) for key, (kept, missed) in sorted(tally.items())])
    TicketEvent.objects.bulk_create(events)
    sync_due_at(ticket)
    return promises


def _event_data(promise: TicketPromise) -> dict:
    return {
        "promise": promise.pk,
        "kind": promise.kind,
        "policy": promise.policy_id,
        "due_at": promise.due_at.isoformat(),
    }


@transaction.atomic
def record_arrival(ticket: Ticket, at: datetime.datetime | None = None) -> list[TicketPromise]:
    """The technician arrived on site (field service calls this): the arrival promise is met.
    Locks the ticket, as every promise writer does. The promises met (none: nothing was owed)."""
    ticket = _lock_ticket(ticket)
    return meet(ticket, [PromiseKind.ARRIVAL], at=at)


# --- The hooks the tickets services call (tickets.extensions) --------------------------------------


def ticket_opening(ticket: Ticket):
    """Before a new ticket's INSERT (tickets.extensions): its promises planned and its due_at set
    on the instance; they are written once it has its id, and kept on the instance for the
    answer (promise_rows), which then reads nothing back."""
    promises = plan_promises(ticket)
    setattr(ticket, OPENED_PROMISES, promises)

    def write() -> None:
        # bulk_create's rows in one statement built once, not waited for (core.db.statements)
        insert(promises, wait=False)

    return write


def ticket_opened(ticket: Ticket) -> None:
    """For a ticket saved without its promises: make them now (start_promises)."""
    start_promises(ticket)


def ticket_changed(ticket: Ticket, fields: frozenset[str]) -> None:
    if fields & MATCHED_FIELDS:
        recompute_promises(ticket)


def status_changed(ticket: Ticket, old: str, new: str) -> None:
    now = timezone.now()
    if new == Status.RESOLVED:
        # Resolving answers the customer too: a first response still owed is met with it.
        meet(ticket, [PromiseKind.RESOLUTION, PromiseKind.FIRST_RESPONSE], at=now)
    follow_status(ticket, at=now)


def public_reply(ticket: Ticket, comment) -> None:
    if comment.author_id is not None and not comment.by_customer:
        meet(ticket, [PromiseKind.FIRST_RESPONSE], at=timezone.now())


def promise_rows(tickets: Sequence[Ticket]) -> dict[int, list[dict]]:
    """The promises of a page of tickets as the API shows them: one query for the page, none
    for tickets just opened in this request (their promises are on the instance)."""
    from kefu.promises.selectors import _in_order, promises_by_ticket

    if tickets and all(hasattr(ticket, OPENED_PROMISES) for ticket in tickets):
        found = {ticket.pk: _in_order(getattr(ticket, OPENED_PROMISES)) for ticket in tickets}
    else:
        found = promises_by_ticket(tickets)
    return {
        ticket_id: [
            {
                "kind": promise.kind,
                "due_at": promise.due_at,
                "paused": promise.paused_since is not None,
                "breached_at": promise.breached_at,
                "met_at": promise.met_at,
            }
            for promise in promises
        ]
        for ticket_id, promises in found.items()
    }
