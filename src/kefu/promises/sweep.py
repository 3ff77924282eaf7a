"""The breach sweep (SPEC §3, decision 0027): every minute, set-based SQL marks each newly breached
promise once and climbs the escalation chain once per level, owner → supervisor → service
director → HQ, by the time past due and the thresholds of each promise's policy.

One run is one transaction, whatever it finds:
1. `UPDATE … SET breached_at = <run time>` on the running promises past due (the partial index of
   running promises); their PromiseTally rows (+missed) and their "promise breached" timeline
   lines follow with `INSERT … SELECT … WHERE breached_at = <run time>`.
2. For each level, `INSERT INTO escalation … SELECT … ON CONFLICT (promise, level) DO NOTHING`
   for the breached, unmet, running promises past that level's threshold; their timeline lines
   and their notices (one per person and level) follow from the rows of this run (ids above the
   run's watermark), and the promises' escalation_level is raised.
3. One audit row with the counts (decision 0020).

Idempotent and exact: runs are serialized (PostgreSQL: a transaction-scoped advisory lock; a
second sweep waits for the first and then finds nothing left, or, as the worker's periodic task
asks, gives up at once; SQLite: its one writer), a killed
run rolls back whole, and the conditions (breached_at IS NULL, escalation_level < level) and the
unique (promise, level) would refuse a second write anyway. The sweep never writes a ticket
row; it locks the tickets it works on FOR KEY SHARE and skips those a service holds (their turn
comes the next minute), so a service that locked a ticket and then writes its promises never
waits on a sweep that waits on it.
"""

import datetime
import zlib
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db import connection, transaction
from django.utils import timezone

from kefu.core import audit
from kefu.promises import notices
from kefu.promises.models import EscalationLevel, PromisePolicy, TicketPromise
from kefu.promises.timeline import PROMISE_BREACHED, PROMISE_ESCALATED

LOCK_KEY = zlib.crc32(b"kefu.promises.sweep")
LEVELS = (EscalationLevel.OWNER, EscalationLevel.SUPERVISOR, EscalationLevel.DIRECTOR, EscalationLevel.HQ)
LEVEL_NAMES = {1: "owner", 2: "supervisor", 3: "director", 4: "hq"}


@dataclass
class SweepResult:
    breached: int = 0
    escalated: dict[int, int] = field(default_factory=dict)  # level → promises escalated to it
    notified: int = 0
    skipped: bool = False  # another sweep was running

    @property
    def counts(self) -> dict[str, int]:
        return {
            "breached": self.breached,
            **{f"escalated_{LEVEL_NAMES[level]}": n for level, n in sorted(self.escalated.items())},
            "notified": self.notified,
        }


def _q(name: str) -> str:
    return connection.ops.quote_name(name)


def _t(value: datetime.datetime):
    """A time as the database driver takes it in raw SQL (SQLite: UTC text)."""
    return connection.ops.adapt_datetimefield_value(value)


def _json() -> str:
    return "jsonb_build_object" if connection.vendor == "postgresql" else "json_object"


def _key_share(alias: str) -> str:
    """Lock the tickets a statement works on against a service's FOR UPDATE, skipping those a
    service holds (PostgreSQL; SQLite has one writer and no row locks)."""
    if connection.vendor == "postgresql":
        return f"FOR KEY SHARE OF {alias} SKIP LOCKED"
    return ""


def _exclusive(wait: bool) -> bool:
    """Take the sweep's lock for this transaction (PostgreSQL; SQLite has one writer): wait for a
    running sweep to finish, or (`wait=False`) give up at once. Whether it was taken."""
    if connection.vendor != "postgresql":
        return True
    with connection.cursor() as cursor:
        if wait:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [LOCK_KEY])
            return True
        cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [LOCK_KEY])
        return bool(cursor.fetchone()[0])


def _execute(sql: str, params: Iterable = ()) -> int:
    with connection.cursor() as cursor:
        cursor.execute(sql, list(params))
        return cursor.rowcount


# --- 1. Breaches ------------------------------------------------------------------------------------


def _mark_breaches(now: datetime.datetime) -> int:
    """Mark every running promise past due as breached at `now`; its tally and timeline line."""
    promise, ticket = _q("promises_ticketpromise"), _q("tickets_ticket")
    at = _t(now)
    count = _execute(
        f"UPDATE {promise} SET breached_at = %s WHERE id IN ("
        f" SELECT p.id FROM {promise} p JOIN {ticket} t ON t.id = p.ticket_id"
        f" WHERE p.due_at < %s AND p.met_at IS NULL AND p.breached_at IS NULL AND p.paused_since IS NULL"
        f" {_key_share('t')})"
        f" AND met_at IS NULL AND breached_at IS NULL AND paused_since IS NULL",
        [at, at],
    )
    if not count:
        return 0
    tally = _q("promises_promisetally")
    _execute(
        f"INSERT INTO {tally} (day, policy_id, kind, kept, missed)"
        f" SELECT %s, policy_id, kind, 0, COUNT(*) FROM {promise} WHERE breached_at = %s"
        f" GROUP BY policy_id, kind"
        f" ON CONFLICT (day, policy_id, kind) DO UPDATE SET missed = {tally}.missed + excluded.missed",
        [connection.ops.adapt_datefield_value(timezone.localdate(now)), at],
    )
    _execute(
        f"INSERT INTO {_q('tickets_ticketevent')}"
        f" (ticket_id, customer_id, product_id, occurred_at, kind, actor_id, is_public, data)"
        f" SELECT t.id, t.customer_id, t.product_id, %s, %s, NULL, %s,"
        f" {_json()}('number', t.number, 'promise', p.id, 'kind', p.kind, 'policy', p.policy_id,"
        f" 'due_at', p.due_at)"
        f" FROM {promise} p JOIN {ticket} t ON t.id = p.ticket_id WHERE p.breached_at = %s",
        [at, PROMISE_BREACHED, False, at],
    )
    return count


# --- 2. Escalations ---------------------------------------------------------------------------------


def _thresholds(level: int, now: datetime.datetime) -> list[tuple[list[int], datetime.datetime]]:
    """For `level`: (policy ids, due at or before this) — the promises past the level's threshold,
    one pair per distinct threshold (few: policies are a short list)."""
    if level == EscalationLevel.OWNER:
        return [([], now)]
    column = {
        EscalationLevel.SUPERVISOR: "escalate_supervisor_after",
        EscalationLevel.DIRECTOR: "escalate_director_after",
        EscalationLevel.HQ: "escalate_hq_after",
    }[level]
    groups: dict[int, list[int]] = {}
    for pk, minutes in PromisePolicy.objects.values_list("pk", column):
        groups.setdefault(minutes, []).append(pk)
    return [(ids, now - datetime.timedelta(minutes=minutes)) for minutes, ids in sorted(groups.items())]


def _recipient(level: int) -> str:
    """Who a level reaches, as SQL over the promise's ticket `t` and its team `tm`."""
    if level == EscalationLevel.OWNER:
        return "t.owner_id"
    if level == EscalationLevel.SUPERVISOR:
        return "tm.supervisor_id"
    contact = _q("promises_escalationcontact")
    # The team's own contact, else the contact for every team; none at HQ: the managers (notices).
    return (
        f"COALESCE((SELECT MIN(c.user_id) FROM {contact} c WHERE c.level = {int(level)}"
        f" AND c.team_id = t.team_id),"
        f" (SELECT MIN(c.user_id) FROM {contact} c WHERE c.level = {int(level)} AND c.team_id IS NULL))"
    )


def _escalate(level: int, now: datetime.datetime, watermark: int) -> int:
    """Escalate to `level` every breached, unmet, running promise past its threshold that has not
    reached it: the Escalation rows, their timeline lines, the promises' level. How many."""
    promise, ticket, escalation = (
        _q("promises_ticketpromise"),
        _q("tickets_ticket"),
        _q("promises_escalation"),
    )
    past: list[str] = []
    params: list = []
    for ids, cutoff in _thresholds(level, now):
        if ids:
            past.append(f"(p.policy_id IN ({', '.join(['%s'] * len(ids))}) AND p.due_at <= %s)")
            params += [*ids, _t(cutoff)]
        else:
            past.append("p.due_at <= %s")
            params.append(_t(cutoff))
    if not past:
        return 0
    count = _execute(
        f"INSERT INTO {escalation} (promise_id, level, notified_user_id, created_at)"
        f" SELECT p.id, {int(level)}, {_recipient(level)}, %s"
        f" FROM {promise} p JOIN {ticket} t ON t.id = p.ticket_id"
        f" LEFT JOIN {_q('accounts_team')} tm ON tm.id = t.team_id"
        f" WHERE p.id IN (SELECT p.id FROM {promise} p JOIN {ticket} t ON t.id = p.ticket_id"
        f"  WHERE p.breached_at IS NOT NULL AND p.met_at IS NULL AND p.paused_since IS NULL"
        f"  AND p.escalation_level < {int(level)} AND ({' OR '.join(past)}) {_key_share('t')})"
        f" ON CONFLICT (promise_id, level) DO NOTHING",
        [_t(now), *params],
    )
    if not count:
        return 0
    user = _q("accounts_user")
    _execute(
        f"INSERT INTO {_q('tickets_ticketevent')}"
        f" (ticket_id, customer_id, product_id, occurred_at, kind, actor_id, is_public, data)"
        f" SELECT t.id, t.customer_id, t.product_id, %s, %s, NULL, %s,"
        f" {_json()}('number', t.number, 'promise', p.id, 'kind', p.kind, 'policy', p.policy_id,"
        f" 'due_at', p.due_at, 'level', e.level, 'user', e.notified_user_id,"
        f" 'user_name', COALESCE(NULLIF(u.display_name, ''), u.username))"
        f" FROM {escalation} e JOIN {promise} p ON p.id = e.promise_id JOIN {ticket} t ON t.id = p.ticket_id"
        f" LEFT JOIN {user} u ON u.id = e.notified_user_id"
        f" WHERE e.id > %s AND e.level = {int(level)}",
        [_t(now), PROMISE_ESCALATED, False, watermark],
    )
    _execute(
        f"UPDATE {promise} SET escalation_level = {int(level)} WHERE escalation_level < {int(level)}"
        f" AND id IN (SELECT promise_id FROM {escalation} WHERE id > %s AND level = {int(level)})",
        [watermark],
    )
    return count


def _tell(watermark: int) -> int:
    """One notice per person and level for the escalations of this run, naming how many and the
    most overdue one (one query for the groups). How many people were told."""
    promise, ticket, escalation = (
        _q("promises_ticketpromise"),
        _q("tickets_ticket"),
        _q("promises_escalation"),
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT user_id, level, n, number, subject FROM ("
            f" SELECT e.notified_user_id AS user_id, e.level AS level,"
            f" COUNT(*) OVER (PARTITION BY e.notified_user_id, e.level) AS n,"
            f" ROW_NUMBER() OVER (PARTITION BY e.notified_user_id, e.level ORDER BY p.due_at, p.id) AS r,"
            f" t.number AS number, t.subject AS subject"
            f" FROM {escalation} e JOIN {promise} p ON p.id = e.promise_id"
            f" JOIN {ticket} t ON t.id = p.ticket_id"
            f" WHERE e.id > %s) ranked WHERE r = 1 ORDER BY level, user_id",
            [watermark],
        )
        groups = cursor.fetchall()
    told = 0
    for user_id, level, count, number, subject in groups:
        if user_id is None and level != EscalationLevel.HQ:
            continue  # no supervisor or director set: the timeline says so, nobody to tell
        told += notices.tell(user_id=user_id, level=level, count=count, number=number, subject=subject)
    return told


# --- The run ---------------------------------------------------------------------------------------


@transaction.atomic
def sweep(*, now: datetime.datetime | None = None, wait: bool = True) -> SweepResult:
    """One run of the breach sweep at `now` (the current time): see the module's docstring. With
    another run going, wait for it and then find what it left (or, `wait=False`, skip this run)."""
    if not _exclusive(wait):
        return SweepResult(skipped=True)
    # The time is read once the lock is ours: a run that waited sees past the one before it.
    now = now or timezone.now()
    result = SweepResult()
    result.breached = _mark_breaches(now)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {_q('promises_escalation')}")
        watermark = cursor.fetchone()[0]
    for level in LEVELS:
        escalated = _escalate(level, now, watermark)
        if escalated:
            result.escalated[int(level)] = escalated
    if result.escalated:
        result.notified = _tell(watermark)
    audit.record_sweep(
        name="promise_sweep",
        model=TicketPromise,
        counts=result.counts,
        criteria={"now": now.isoformat()},
    )
    return result
