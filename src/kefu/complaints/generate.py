"""The complaints' generator step (decision 0019): a Complaint for every generated complaint-type
ticket, with a realistic mix of causes, severities, fault parties and outcomes, and the
ComplaintTally the Pareto and the iceberg read, set-based in the same step.

It runs with `manage.py generate_data --tickets N` after the tickets' step (it has no count of its
own), over the complaint-type tickets without a Complaint row after the last one that has one:
one `INSERT … SELECT` for the complaints and one upsert for the tally, every choice drawn from a
deterministic hash of (seed, ticket id). What the rows hold:

- the cause (parts per hundred): promise not kept 24, product quality 22, expectation gap 15,
  attitude 12, delivery error 10, not our fault 9, other 5; open complaints are unclassified
  in one case of three (cause empty, as the tickets' hook leaves a new one);
- severity: minor 70, major 25, critical 5;
- fault party: "not our fault" → a third party (60) or the customer (40); otherwise us (85) or
  unknown (15);
- outcome: open while the ticket is; then resolved (not our fault → resolved although not our
  fault in seven cases of ten), not resolved in one case of twenty;
- the week of the ticket's opening (Monday, Asia/Shanghai), as the tally keys it.
"""

from django.db import connection

from kefu.complaints.models import Complaint, ComplaintCause, ComplaintTally
from kefu.core import bulk
from kefu.core.generation import Context, GeneratorStep, Written

CAUSE_MIX = (
    ("promise_not_kept", 24),
    ("product_quality", 22),
    ("expectation_gap", 15),
    ("attitude", 12),
    ("delivery_error", 10),
    ("not_our_fault", 9),
    ("other", 5),
    # What is left (3): "other" as well, so that every hundred is served.
)

_DRAWS = {
    "cause": (2654435761, 1_000_003),
    "severity": (2246822519, 1_000_033),
    "fault": (3266489917, 1_000_037),
    "outcome": (668265263, 1_000_039),
    "classified": (374761393, 1_000_081),
}


def _pg() -> bool:
    return connection.vendor == "postgresql"


def draw(name: str, seed: int, modulo: int = 100) -> str:
    multiplier, prime = _DRAWS[name]
    return f"(((t.id * {multiplier} + {seed}) % {prime}) % {modulo})"


def shanghai_monday(moment: str) -> str:
    if _pg():
        return f"CAST(date_trunc('week', {moment} AT TIME ZONE 'Asia/Shanghai') AS date)"
    return f"date({moment}, '+8 hours', '-6 days', 'weekday 1')"


def _cause_case(seed: int, ids: dict[str, int]) -> str:
    whens, bound = [], 0
    for code, share in CAUSE_MIX:
        bound += share
        if code in ids:
            whens.append(f"WHEN {draw('cause', seed)} < {bound} THEN {ids[code]}")
    fallback = ids.get("other", "NULL")
    return f"(CASE {' '.join(whens)} ELSE {fallback} END)"


def _complaints_sql(*, seed: int, after_ticket: int, ids: dict[str, int]) -> str:
    table = Complaint._meta.db_table
    is_open = "t.status NOT IN ('resolved', 'closed')"
    unclassified = f"{is_open} AND {draw('classified', seed, 3)} = 0"
    cause = f"CASE WHEN {unclassified} THEN NULL ELSE {_cause_case(seed, ids)} END"
    not_ours = ids.get("not_our_fault", -1)
    return f"""
        INSERT INTO {table} (ticket_id, created_at, updated_at, version, cause_id, severity, fault_party,
            outcome,
            week, escalated_to_hq_at, escalated_by_id, escalation_reason, apology_visit_on, apology_visit_by)
        SELECT id, created_at, created_at, 1, cause_id,
            CASE WHEN {draw("severity", seed)} < 70 THEN 'minor'
                 WHEN {draw("severity", seed)} < 95 THEN 'major'
                 ELSE 'critical' END,
            CASE WHEN cause_id = {not_ours} THEN
                     CASE WHEN {draw("fault", seed)} < 60 THEN 'third_party' ELSE 'customer' END
                 WHEN cause_id IS NULL THEN 'unknown'
                 WHEN {draw("fault", seed)} < 85 THEN 'us' ELSE 'unknown' END,
            CASE WHEN is_open = 1 THEN 'open'
                 WHEN cause_id = {not_ours} AND {draw("outcome", seed)} < 70 THEN 'resolved_not_our_fault'
                 WHEN {draw("outcome", seed)} >= 95 THEN 'not_resolved'
                 ELSE 'resolved' END,
            {shanghai_monday("created_at")}, NULL, NULL, '', NULL, ''
        FROM (
            SELECT t.id, t.created_at, CASE WHEN {is_open} THEN 1 ELSE 0 END AS is_open, {cause} AS cause_id
            FROM tickets_ticket t
            WHERE t.id > {after_ticket} AND t.type = 'complaint'
        ) t
        ORDER BY id
    """


def _tally_sql(after_ticket: int) -> str:
    table = ComplaintTally._meta.db_table
    return (
        f"INSERT INTO {table} (week, cause, complaints, resolved_not_our_fault) "
        f"SELECT c.week, COALESCE(k.code, ''), COUNT(*), "
        f"SUM(CASE WHEN c.outcome = 'resolved_not_our_fault' THEN 1 ELSE 0 END) "
        f"FROM {Complaint._meta.db_table} c LEFT JOIN {ComplaintCause._meta.db_table} k ON k.id = c.cause_id "
        f"WHERE c.ticket_id > {after_ticket} GROUP BY c.week, COALESCE(k.code, '') "
        f"ON CONFLICT (week, cause) DO UPDATE SET complaints = {table}.complaints + excluded.complaints, "
        f"resolved_not_our_fault = {table}.resolved_not_our_fault + excluded.resolved_not_our_fault"
    )


def _write(context: Context) -> Written:
    if not context.counts.get("tickets"):
        return Written(rows={"complaints": 0}, main=0)
    seed = context.rng.randrange(1, 2**20)
    ids = dict(ComplaintCause.objects.filter(is_active=True).values_list("code", "pk"))
    table = Complaint._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COALESCE(MAX(ticket_id), 0) FROM {table}")
        (after_ticket,) = cursor.fetchone()
        with bulk.bulk_mode((Complaint,), new_rows=context.counts["tickets"] // 20, say=context.say):
            cursor.execute(_complaints_sql(seed=seed, after_ticket=after_ticket, ids=ids))
        cursor.execute(f"SELECT COUNT(*) FROM {table} WHERE ticket_id > {after_ticket}")
        (made,) = cursor.fetchone()
        cursor.execute(_tally_sql(after_ticket))
    context.say(f"complaints {made:,} and their tally")
    return Written(rows={"complaints": made}, main=0, tables=(Complaint, ComplaintTally))


def _check(context: Context) -> None:
    return None


COMPLAINTS_STEP = GeneratorStep(name="complaints", options=(), check=_check, write=_write)
