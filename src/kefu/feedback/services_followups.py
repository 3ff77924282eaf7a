"""Every write to follow-ups (回访, SPEC §6; decision 0032).

- `on_status_changed`, the tickets' hook: a ticket resolved gets its follow-up (one per ticket:
  the unique `followup_once_per_ticket`; a reopen cancels the pending one and the next resolve
  brings that same one back with a new due date, never a second).
- `generate_follow_ups`: the same rule as one `INSERT … SELECT` for every resolved ticket that
  has none (what the hook missed: a rule added later, an owner who had left), idempotent.
- `sweep_revisits`: the account revisits due, one per customer and day (unique), and each
  account's next revisit moved on by its tier's interval, in one transaction.
- `escalate_overdue`: each pending follow-up past due is escalated once (`escalated_at`); the
  assignee's team supervisor (else the managers) is told, one notice per person and run.
- `record_follow_up_outcome`: reached / not reached (attempts) / the survey's answer given on
  the call / a new problem → a new ticket, linked.
"""

import datetime
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kefu.accounts.system import system_usernames
from kefu.core import audit
from kefu.core.concurrency import bump_version, lock_for_update
from kefu.core.errors import Conflict, PermissionDenied
from kefu.core.validation import TEXT_MAX, FieldErrors
from kefu.customers import timeline as customer_timeline
from kefu.feedback import followups, notices_followups, subjects
from kefu.feedback.models import (
    FollowUp,
    FollowUpKind,
    FollowUpMethod,
    FollowUpOutcome,
    FollowUpStatus,
    Survey,
)
from kefu.tickets.models import Channel, LinkKind, Status, Ticket, TicketType

RECORD_PERMISSION = "feedback.change_followup"
ALL_PERMISSION = "feedback.view_all_followups"
FOLLOW_UP_DONE = "feedback.follow_up_done"
FOLLOW_UP_FIELDS = ("kind", "customer", "ticket", "assignee", "method", "due_on", "status")
NOTES_MAX = 2000
RESOLVED_STATUSES = (Status.RESOLVED, Status.CLOSED)
# The channel of a ticket opened during a follow-up, by the follow-up's method.
CHANNEL_OF_METHOD = {
    FollowUpMethod.PHONE: Channel.PHONE,
    FollowUpMethod.MESSAGE: Channel.SOCIAL,
    FollowUpMethod.VISIT: Channel.SALES_VISIT,
}


class FollowUpNotPending(Conflict):
    code = "follow_up_not_pending"
    default_message = _("This follow-up is already done or cancelled.")


# --- After a resolved ticket --------------------------------------------------------------------


def on_status_changed(ticket: Ticket, old: str, new: str) -> None:
    """tickets.extensions hook: resolved → the follow-up; reopened → the pending one cancelled."""
    if new == Status.RESOLVED:
        create_after_ticket(ticket=ticket)
    elif new == Status.OPEN and old in RESOLVED_STATUSES:
        cancel_after_ticket(ticket=ticket)


def create_after_ticket(*, ticket: Ticket, now: datetime.datetime | None = None) -> FollowUp | None:
    """The ticket's follow-up, by the rules (feedback.followups), or None when no rule matches
    or nobody can do it. A cancelled one (the ticket was reopened) becomes pending again with a
    new due date; a pending or done one stays as it is."""
    now = now or timezone.now()
    resolved_at = ticket.resolved_at or now
    existing = FollowUp.objects.filter(kind=FollowUpKind.AFTER_TICKET, ticket=ticket).first()
    if existing is not None and existing.status != FollowUpStatus.CANCELLED:
        return existing
    tier = ticket.customer.tier
    rule = followups.rule_for(kind=FollowUpKind.AFTER_TICKET, ticket_type=ticket.type, tier=tier)
    assignee_id = followups.assignee_for(ticket) if rule is not None else None
    if rule is None or assignee_id is None:
        return None
    due = followups.due_on(resolved_at, rule.days)
    if existing is not None:
        existing.status = FollowUpStatus.PENDING
        existing.due_on = due
        existing.method = rule.method
        existing.assignee_id = assignee_id
        existing.done_at = None
        existing.done_by = None
        existing.escalated_at = None
        existing.version += 1
        existing.save(
            update_fields=[
                "status",
                "due_on",
                "method",
                "assignee",
                "done_at",
                "done_by",
                "escalated_at",
                "version",
                "updated_at",
            ]
        )
        return existing
    with transaction.atomic():
        follow_up = FollowUp.objects.create(
            kind=FollowUpKind.AFTER_TICKET,
            customer_id=ticket.customer_id,
            ticket=ticket,
            assignee_id=assignee_id,
            method=rule.method,
            due_on=due,
        )
        audit.record_create(actor=None, obj=follow_up, fields=FOLLOW_UP_FIELDS)
    return follow_up


def cancel_after_ticket(*, ticket: Ticket) -> int:
    """A reopened ticket's pending follow-up is cancelled (the next resolve brings it back)."""
    return FollowUp.objects.filter(
        kind=FollowUpKind.AFTER_TICKET, ticket=ticket, status=FollowUpStatus.PENDING
    ).update(status=FollowUpStatus.CANCELLED, done_at=timezone.now(), updated_at=timezone.now())


# --- The set-based generation -------------------------------------------------------------------


def _q(name: str) -> str:
    return connection.ops.quote_name(name)


def _local_date_plus(column: str, days: str) -> str:
    """SQL for the local date of a timestamp column plus a number of days (another column)."""
    if connection.vendor == "postgresql":
        return f"(({column} AT TIME ZONE %s)::date + {days})"
    return f"date({column}, %s, '+' || {days} || ' days')"


def _zone_param() -> str:
    if connection.vendor == "postgresql":
        return settings.TIME_ZONE
    # SQLite keeps UTC text: the zone's offset now, in minutes (Asia/Shanghai has no summer time).
    offset = timezone.now().astimezone(ZoneInfo(settings.TIME_ZONE)).utcoffset() or datetime.timedelta()
    return f"{int(offset.total_seconds() // 60):+d} minutes"


def _assignee_sql(params: list) -> str:
    """SQL for the assignee of ticket `t` (feedback.followups.assignee_for, set-based)."""
    members = followups.desk_members()
    if members:
        cases = " ".join(f"WHEN {index} THEN {int(user_id)}" for index, user_id in enumerate(members))
        return f"(CASE (t.id % {len(members)}) {cases} END)"
    system = sorted(system_usernames()) or [""]
    placeholders = ", ".join(["%s"] * len(system))
    params.extend(system)
    params.extend(system)
    return (
        f"(CASE WHEN o.is_active AND o.username NOT IN ({placeholders}) THEN o.id "
        f"WHEN s.is_active AND s.username NOT IN ({placeholders}) THEN s.id END)"
    )


GENERATION_BATCH = 50_000  # ticket ids per transaction


def generate_follow_ups(
    *,
    resolved_since: datetime.datetime | None = None,
    now: datetime.datetime | None = None,
    batch: int = GENERATION_BATCH,
    workers: int = 1,
) -> int:
    """Create the missing follow-ups of resolved (or closed) tickets, resolved since
    `resolved_since` (all when None), by `INSERT … SELECT`, one transaction per `batch` ticket
    ids (a killed run keeps the batches it committed; a long transaction would hold millions of
    deferred foreign-key checks to its end); with `resolved_since`, only the batches that hold a
    ticket resolved since then (ticket_resolved_idx); merged tickets are left out. Idempotent: a ticket
    that has one (of any status) is skipped, and the unique constraint refuses a second written
    by a hook at the same moment. With `workers` > 1 on PostgreSQL (and outside a transaction),
    that many connections take the batches in parallel (the batches are independent: disjoint
    ticket ids). How many were created."""
    now = now or timezone.now()
    params: list = []
    assignee = _assignee_sql(params)
    zone = _zone_param()
    rule = "r1.{f}, r2.{f}, r3.{f}, r4.{f}"
    due = _local_date_plus("t.resolved_at", "COALESCE({})".format(rule.format(f="days")))
    method = "COALESCE({})".format(rule.format(f="method"))
    joins = []
    for alias, type_match, tier_match in (
        ("r1", "r1.ticket_type = t.type", "r1.tier = c.tier"),
        ("r2", "r2.ticket_type = t.type", "r2.tier = ''"),
        ("r3", "r3.ticket_type = ''", "r3.tier = c.tier"),
        ("r4", "r4.ticket_type = ''", "r4.tier = ''"),
    ):
        joins.append(
            f"LEFT JOIN {_q('feedback_followuprule')} {alias} ON {alias}.kind = 'after_ticket' "
            f"AND {alias}.is_active AND {type_match} AND {tier_match}"
        )
    where = [
        "t.id >= %s AND t.id < %s",
        "t.status IN ('resolved', 'closed')",
        "t.resolved_at IS NOT NULL",
        "t.merged_into_id IS NULL",
    ]
    where_params: list = []
    if resolved_since is not None:
        where.append("t.resolved_at >= %s")
        where_params.append(resolved_since)
    # The anti-join names the batch's range too: whatever the statistics say (a table that just
    # grew by a million rows), its other side is this batch's follow-ups, never the whole table.
    sql = f"""
        INSERT INTO {_q("feedback_followup")}
            (version, created_at, updated_at, kind, customer_id, ticket_id, assignee_id, method, due_on,
             status, attempts, outcome, notes)
        SELECT 1, %s, %s, 'after_ticket', picked.customer_id, picked.ticket_id, picked.assignee_id,
               picked.method, picked.due_on, 'pending', 0, '', ''
        FROM (
            SELECT t.id AS ticket_id, t.customer_id AS customer_id, {assignee} AS assignee_id,
                   {method} AS method, {due} AS due_on
            FROM {_q("tickets_ticket")} t
            JOIN {_q("customers_customer")} c ON c.id = t.customer_id
            JOIN {_q("accounts_user")} o ON o.id = t.owner_id
            LEFT JOIN {_q("accounts_team")} tm ON tm.id = t.team_id
            LEFT JOIN {_q("accounts_user")} s ON s.id = tm.supervisor_id
            {" ".join(joins)}
            WHERE {" AND ".join(where)}
              AND NOT EXISTS (
                  SELECT 1 FROM {_q("feedback_followup")} f
                  WHERE f.ticket_id = t.id AND f.kind = 'after_ticket'
                    AND f.ticket_id >= %s AND f.ticket_id < %s
              )
        ) picked
        WHERE picked.assignee_id IS NOT NULL AND picked.method IS NOT NULL
        ON CONFLICT DO NOTHING
    """
    with connection.cursor() as cursor:
        if resolved_since is None:
            cursor.execute(f"SELECT MIN(id), MAX(id) FROM {_q('tickets_ticket')}")
            first, last = cursor.fetchone()
            ranges = [(start, start + batch) for start in range(first, last + 1, batch)] if first else []
        else:
            ranges = _window_batches(cursor, resolved_since, batch)

    def run_batch(bounds: tuple[int, int]) -> int:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, [now, now, *params, zone, *bounds, *where_params, *bounds])
            return max(cursor.rowcount, 0)

    parallel = workers > 1 and connection.vendor == "postgresql" and not connection.in_atomic_block
    if parallel:
        created = sum(_in_threads(run_batch, ranges, workers))
    else:
        created = sum(run_batch(bounds) for bounds in ranges)
    with transaction.atomic():
        audit.record_sweep(
            name="generate_follow_ups",
            model=FollowUp,
            counts={"created": created},
            criteria={"resolved_since": resolved_since.isoformat() if resolved_since else None},
            id_range=(ranges[0][0], ranges[-1][1] - 1) if ranges else None,
        )
    return created


def _window_batches(cursor, resolved_since: datetime.datetime, batch: int) -> list[tuple[int, int]]:
    """The batches of `batch` ticket ids (from, to exclusive) that hold a ticket resolved since
    `resolved_since`, found in one statement on ticket_resolved_idx: the hourly catch-up skips
    every batch of older tickets. A batch spans `batch` ids at most, as in a full run, so that
    its anti-join reads no more follow-ups than one batch's; inside it the planner still reads
    the range by primary key (cheap for ids next to each other)."""
    cursor.execute(*_window_batches_statement(resolved_since, batch))
    return [(number * batch, (number + 1) * batch) for (number,) in cursor.fetchall()]


def _window_batches_statement(resolved_since: datetime.datetime, batch: int) -> tuple[str, list]:
    sql = (
        f"SELECT DISTINCT id / %s FROM {_q('tickets_ticket')} "
        "WHERE resolved_at IS NOT NULL AND resolved_at >= %s ORDER BY 1"
    )
    return sql, [batch, resolved_since]


def _in_threads(work, items, workers: int) -> list[int]:
    """`work(item)` for each item on `workers` threads, each with its own database connection
    (closed when its thread is done)."""
    from concurrent.futures import ThreadPoolExecutor

    from django.db import connections

    def one(item):
        try:
            return work(item)
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(one, items))


# --- Account revisits ---------------------------------------------------------------------------


def _date_plus(column: str, days: str) -> str:
    if connection.vendor == "postgresql":
        return f"(CAST({column} AS date) + {days})"
    return f"date({column}, '+' || {days} || ' days')"


def _revisit_rule(field: str) -> str:
    """SQL for a field of the revisit rule of customer `c`: its tier's rule, else any tier's."""
    return (
        f"(SELECT r.{field} FROM {_q('feedback_followuprule')} r WHERE r.kind = 'account_revisit' "
        f"AND r.is_active AND r.ticket_type = '' AND r.tier IN (c.tier, '') ORDER BY r.tier DESC LIMIT 1)"
    )


@dataclass
class RevisitResult:
    created: int = 0
    moved: int = 0


def sweep_revisits(
    *, today: datetime.date | None = None, now: datetime.datetime | None = None
) -> RevisitResult:
    """For each account whose next revisit is due (today or earlier; never set counts as due
    today) and whose rep is active, a revisit follow-up due that day (the customer's tier's rule
    gives the method), and the next revisit moved to the due day plus the tier's interval (today
    plus the interval when that is not in the future). One transaction; the unique (customer,
    day) and the moved date make a second run write nothing."""
    now = now or timezone.now()
    today = today or timezone.localdate(now)
    days, method = _revisit_rule("days"), _revisit_rule("method")
    system = sorted(system_usernames()) or [""]
    placeholders = ", ".join(["%s"] * len(system))
    due = "COALESCE(a.next_revisit_on, %s)"
    eligible = f"""
        FROM {_q("feedback_accountrep")} a
        JOIN {_q("customers_customer")} c ON c.id = a.customer_id
        JOIN {_q("accounts_user")} u ON u.id = a.sales_rep_id
        WHERE (a.next_revisit_on IS NULL OR a.next_revisit_on <= %s)
          AND u.is_active AND u.username NOT IN ({placeholders})
          AND c.merged_into_id IS NULL
          AND {days} IS NOT NULL
    """
    eligible_params: list = [today, *system]
    insert = f"""
        INSERT INTO {_q("feedback_followup")}
            (version, created_at, updated_at, kind, customer_id, ticket_id, assignee_id, method, due_on,
             status, attempts, outcome, notes)
        SELECT 1, %s, %s, 'account_revisit', a.customer_id, NULL, a.sales_rep_id, {method}, {due},
               'pending', 0, '', ''
        {eligible}
        ON CONFLICT DO NOTHING
    """
    moved_to = _date_plus(due, days)
    update = f"""
        UPDATE {_q("feedback_accountrep")} SET next_revisit_on = x.next_on, updated_at = %s
        FROM (
            SELECT a.id AS id,
                   CASE WHEN {moved_to} > %s THEN {moved_to} ELSE {_date_plus("%s", days)} END AS next_on
            {eligible}
        ) x
        WHERE {_q("feedback_accountrep")}.id = x.id
    """
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(insert, [now, now, today, *eligible_params])
            created = max(cursor.rowcount, 0)
            cursor.execute(update, [now, today, today, today, today, *eligible_params])
            moved = max(cursor.rowcount, 0)
        audit.record_sweep(name="sweep_revisits", model=FollowUp, counts={"created": created, "moved": moved})
    return RevisitResult(created=created, moved=moved)


# --- Escalation ---------------------------------------------------------------------------------


@dataclass
class EscalationResult:
    escalated: int = 0
    notified: int = 0


def escalate_overdue(
    *, today: datetime.date | None = None, now: datetime.datetime | None = None
) -> EscalationResult:
    """Mark each pending follow-up past its due date and not yet escalated as escalated (once),
    and tell each assignee's team supervisor how many of their team's are overdue (the managers
    when the team has no active supervisor). One transaction."""
    now = now or timezone.now()
    today = today or timezone.localdate(now)
    with transaction.atomic():
        escalated = FollowUp.objects.filter(
            status=FollowUpStatus.PENDING, due_on__lt=today, escalated_at__isnull=True
        ).update(escalated_at=now)
        notified = 0
        if escalated:
            notified = notices_followups.tell_overdue(escalated_at=now)
        audit.record_sweep(
            name="escalate_follow_ups", model=FollowUp, counts={"escalated": escalated, "notified": notified}
        )
    return EscalationResult(escalated=escalated, notified=notified)


# --- The outcome --------------------------------------------------------------------------------


def may_record(user, follow_up: FollowUp) -> bool:
    """The assignee records the outcome; so does whoever sees everyone's follow-ups; so does the
    system (`user` None: a command, the demo loader)."""
    if user is None:
        return True
    if not user.has_perm(RECORD_PERMISSION):
        return False
    return follow_up.assignee_id == user.pk or user.has_perm(ALL_PERMISSION)


def _ticket_survey(follow_up: FollowUp) -> Survey | None:
    if follow_up.ticket_id is None:
        return None
    return Survey.objects.filter(subject_kind=subjects.TICKET, subject_id=follow_up.ticket_id).first()


def _check_outcome(
    errors: FieldErrors,
    follow_up: FollowUp,
    *,
    outcome: str,
    satisfied: bool | None,
    new_problem: str,
    new_ticket_type: str,
) -> Survey | None:
    errors.choice("outcome", outcome, FollowUpOutcome)
    survey = None
    if outcome == FollowUpOutcome.NOT_REACHED:
        if satisfied is not None:
            errors.add("satisfied", _("A customer who was not reached gave no answer."))
        if new_problem:
            errors.add("new_problem", _("A customer who was not reached told of no new problem."))
    if satisfied is not None and outcome == FollowUpOutcome.REACHED:
        survey = _ticket_survey(follow_up)
        if survey is None:
            errors.add("satisfied", _("This follow-up has no survey to answer."))
        elif survey.answered_at is not None:
            errors.add("satisfied", _("The customer already answered the survey."))
    if new_problem:
        errors.choice("new_ticket_type", new_ticket_type, TicketType)
    return survey


@transaction.atomic
def record_follow_up_outcome(
    *,
    follow_up: FollowUp,
    by,
    outcome: str,
    notes: str = "",
    satisfied: bool | None = None,
    reason=None,
    comment: str = "",
    new_problem: str = "",
    new_ticket_type: str = TicketType.REPAIR,
    version: int | None = None,
) -> FollowUp:
    """Record how the follow-up went.

    - not reached: one more attempt; at the limit (KEFU_FOLLOW_UP_MAX_ATTEMPTS, 3) it is done as
      not reached, else it stays to do;
    - reached: done; with `satisfied` the ticket's survey is answered as given on the call
      (feedback.services.record_survey_answer, via "call": a "not satisfied" opens the recovery
      case there); with `new_problem` (its subject) a new ticket is opened for the customer,
      linked to the followed-up ticket, and kept on the follow-up.

    Refused with nothing written: someone who is neither the assignee nor sees every follow-up
    (403), a follow-up already done or cancelled or a stale version (409), an unknown outcome,
    an answer or a problem from a customer not reached, an answer with no survey or a survey
    already answered, an empty or too long text (422).
    """
    if not may_record(by, follow_up):
        raise PermissionDenied(_("Only the assignee or a supervisor records this follow-up's outcome."))
    errors = FieldErrors()
    notes = (notes or "").strip()
    new_problem = (new_problem or "").strip()
    errors.length("notes", notes, NOTES_MAX)
    errors.length("new_problem", new_problem, 200)
    errors.length("comment", comment or "", TEXT_MAX)
    follow_up = lock_for_update(FollowUp.objects, follow_up.pk, version)
    if follow_up.status != FollowUpStatus.PENDING:
        raise FollowUpNotPending(current_status=follow_up.status)
    survey = _check_outcome(
        errors,
        follow_up,
        outcome=outcome,
        satisfied=satisfied,
        new_problem=new_problem,
        new_ticket_type=new_ticket_type,
    )
    errors.raise_if_any()

    before = audit.snapshot(follow_up, ("status", "attempts", "outcome", "notes", "survey", "new_ticket"))
    now = timezone.now()
    follow_up.notes = notes
    if outcome == FollowUpOutcome.NOT_REACHED:
        follow_up.attempts += 1
        if follow_up.attempts >= followups.max_attempts():
            follow_up.status = FollowUpStatus.DONE
            follow_up.outcome = FollowUpOutcome.NOT_REACHED
    else:
        follow_up.attempts += 1
        follow_up.status = FollowUpStatus.DONE
        follow_up.outcome = FollowUpOutcome.REACHED
        if survey is not None and satisfied is not None:
            from kefu.feedback import services as survey_services

            follow_up.survey = survey_services.record_survey_answer(
                survey=survey, satisfied=satisfied, reason=reason, comment=comment, via="call", by=by
            )
        if new_problem:
            follow_up.new_ticket = _open_new_ticket(
                follow_up, by=by, subject=new_problem, type=new_ticket_type, notes=notes
            )
    if follow_up.status == FollowUpStatus.DONE:
        follow_up.done_at = now
        follow_up.done_by = audit.acting_user(by)
    bump_version(follow_up)
    follow_up.save()
    audit.record_update(actor=by, obj=follow_up, before=before)
    if follow_up.status == FollowUpStatus.DONE:
        _on_timeline(follow_up, by=by)
    return follow_up


def _open_new_ticket(follow_up: FollowUp, *, by, subject: str, type: str, notes: str) -> Ticket:
    from kefu.tickets import services as ticket_services

    old = follow_up.ticket
    ticket = ticket_services.open_ticket(
        by=by,
        customer=follow_up.customer,
        subject=subject,
        type=type,
        channel=CHANNEL_OF_METHOD.get(FollowUpMethod(follow_up.method), Channel.PHONE),
        description=notes,
        product=old.product if old is not None and old.product_id else None,
    )
    if old is not None:
        ticket_services.link_tickets(ticket=ticket, to_ticket=old, kind=LinkKind.RELATED, by=by)
    return ticket


def _on_timeline(follow_up: FollowUp, *, by) -> None:
    customer_timeline.add(
        customer=follow_up.customer,
        kind=FOLLOW_UP_DONE,
        by=by,
        subject=follow_up,
        data={
            "kind": follow_up.kind,
            "method": follow_up.method,
            "outcome": follow_up.outcome,
            "ticket": follow_up.ticket.number if follow_up.ticket else "",
            "new_ticket": follow_up.new_ticket.number if follow_up.new_ticket else "",
            "satisfied": follow_up.survey.is_satisfied if follow_up.survey else None,
        },
    )
