"""The surveys' generator step (decision 0019): survey answers for the generated tickets, and the
rollups the figures read (SatisfactionTally, CustomerMood), set-based in the same step.

It runs with `manage.py generate_data --tickets N` (it has no count of its own: the tickets
decide) after the tickets' step, over the resolved tickets that have no survey yet (those after
the last ticket asked). Like the tickets' step it is a few `INSERT … SELECT` statements that the
database runs itself; every choice comes from a deterministic hash of (seed, ticket id), so the
same seed gives the same answers. What the rows hold, as feedback's services would have written:

- one survey per resolved ticket (a merged duplicate is asked through its original: none),
  created and sent when the ticket was resolved (SMS 70 %, WeChat 25 %, a call 5 %), its link
  valid 7 days; its dimensions frozen from the ticket: the owner (none for the intake account),
  team, channel, the customer's default-address province, the product's category;
- about 65 % answered within three days (walk-in 75 %, e-mail 50 %), by link or in a call;
- "not satisfied" about 5 in a hundred, 3–8 by agent (owner id mod 5: +0 … +2 per hundred), by
  region (+0 … +1) and by category (+0 … +1), more after a bounced ticket (+5) and for a
  complaint (+6); a reason from the seeded list;
- no recovery case for these historical answers (the cases of the past were handled then);
- SatisfactionTally += the answers per week and dimension value (an upsert: it adds to what the
  services already counted); CustomerMood: the last unhappy moment (a "not satisfied" answer or
  a complaint-type ticket opened) and the last "satisfied" answer per customer, upserted keeping
  the later of the stored and the new moments.
"""

from django.db import connection
from django.utils import timezone

from kefu.core.generation import Context, GeneratorStep, Written
from kefu.feedback.models import CustomerMood, SatisfactionTally, Survey, SurveyReason

# Parts per ten thousand.
ANSWERED = {
    "walk_in": 7500,
    "phone": 6800,
    "sales_visit": 7000,
    "portal": 6000,
    "social": 5500,
    "email": 5000,
}
ANSWERED_OTHER = 6500
UNHAPPY_BASE = 200
UNHAPPY_PER_AGENT_STEP = 50  # owner id mod 5 → +0 … +2 per hundred
UNHAPPY_CATEGORY = {"air_conditioner": 100, "washing_machine": 60, "computer": 80, "phone": 40}
UNHAPPY_BOUNCED = 500
UNHAPPY_COMPLAINT = 600
LINK_DAYS = 7
ANSWER_WITHIN_SECONDS = 3 * 86_400

# Odd multipliers and distinct prime moduli: draws for one ticket that do not follow each other.
_DRAWS = {
    "answered": (2654435761, 1_000_003),
    "unhappy": (2246822519, 1_000_033),
    "delay": (3266489917, 1_000_037),
    "sent": (668265263, 1_000_039),
    "via": (374761393, 1_000_081),
    "reason": (2870177450, 1_000_099),
}


def _pg() -> bool:
    return connection.vendor == "postgresql"


def draw(name: str, seed: int, column: str = "t.id", modulo: int = 10_000) -> str:
    """SQL for a number 0 … modulo-1 drawn from the ticket id (deterministic for a seed)."""
    multiplier, prime = _DRAWS[name]
    return f"((({column} * {multiplier} + {seed}) % {prime}) % {modulo})"


def plus_seconds(moment: str, seconds: str) -> str:
    if _pg():
        return f"({moment} + ({seconds}) * interval '1 second')"
    return f"strftime('%Y-%m-%d %H:%M:%f', {moment}, '+' || ({seconds}) || ' seconds')"


def shanghai_monday(moment: str) -> str:
    """The Monday (Asia/Shanghai) of the week a stored moment falls in, as the tallies' week."""
    if _pg():
        return f"CAST(date_trunc('week', {moment} AT TIME ZONE 'Asia/Shanghai') AS date)"
    return f"date({moment}, '+8 hours', '-6 days', 'weekday 1')"


def earlier(a: str, b: str) -> str:
    return f"LEAST({a}, {b})" if _pg() else f"MIN({a}, {b})"


def later_of(a: str, b: str) -> str:
    """The later of two nullable moments (either may be NULL)."""
    if _pg():
        return f"GREATEST({a}, {b})"
    return f"CASE WHEN {a} IS NULL THEN {b} WHEN {b} IS NULL THEN {a} WHEN {a} >= {b} THEN {a} ELSE {b} END"


def _text(column: str) -> str:
    return f"COALESCE(CAST({column} AS {'text' if _pg() else 'TEXT'}), '')"


def _case(value: str, mapping: dict[str, int], default: int) -> str:
    whens = " ".join(f"WHEN '{key}' THEN {number}" for key, number in mapping.items())
    return f"(CASE {value} {whens} ELSE {default} END)"


def _first_char_code(column: str) -> str:
    return f"COALESCE(ascii({column}), 0)" if _pg() else f"COALESCE(unicode({column}), 0)"


def _quote(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _surveys_sql(*, seed: int, after_ticket: int, intake_id: int | None, reasons: list[int], now: str) -> str:
    survey = Survey._meta.db_table
    answered_share = _case("t.channel", ANSWERED, ANSWERED_OTHER)
    unhappy_share = (
        f"({UNHAPPY_BASE} + (t.owner_id % 5) * {UNHAPPY_PER_AGENT_STEP}"
        f" + {_case('t.category', UNHAPPY_CATEGORY, 0)}"
        f" + ({_first_char_code('t.region')} % 3) * 50"
        f" + CASE WHEN t.bounce_count > 0 THEN {UNHAPPY_BOUNCED} ELSE 0 END"
        f" + CASE WHEN t.type = 'complaint' THEN {UNHAPPY_COMPLAINT} ELSE 0 END)"
    )
    is_answered = f"{draw('answered', seed)} < {answered_share}"
    is_unhappy = f"{draw('unhappy', seed)} < {unhappy_share}"
    answered_at = earlier(
        plus_seconds("t.resolved_at", draw("delay", seed, modulo=ANSWER_WITHIN_SECONDS)), now
    )
    sent = draw("sent", seed, modulo=100)
    sent_via = f"CASE WHEN {sent} < 70 THEN 'sms' WHEN {sent} < 95 THEN 'wechat' ELSE 'call' END"
    reason = "NULL"
    if reasons:
        picks = " ".join(f"WHEN {index} THEN {pk}" for index, pk in enumerate(reasons))
        reason = f"(CASE {draw('reason', seed, modulo=len(reasons))} {picks} END)"
    expires_at = plus_seconds("t.resolved_at", str(LINK_DAYS * 86_400))
    via = draw("via", seed, modulo=100)
    agent = "t.owner_id" if intake_id is None else f"NULLIF(t.owner_id, {intake_id})"
    # The ticket's dimensions, with the customer's default-address province and the category.
    # The provinces in one pass over the addresses, joined (a lookup per ticket cost about
    # 10 µs, and the planner repeated it for every use of the column).
    provinces = """
        SELECT customer_id, province FROM (
            SELECT customer_id, province,
                   ROW_NUMBER() OVER (PARTITION BY customer_id ORDER BY is_default DESC, id) AS n
            FROM customers_address
        ) a WHERE n = 1
    """
    dims = f"""
        SELECT t.id, t.customer_id, t.owner_id, t.team_id, t.channel, t.type, t.bounce_count, t.resolved_at,
               t.merged_into_id, COALESCE(r.province, '') AS region, COALESCE(c.code, '') AS category
        FROM tickets_ticket t
        LEFT JOIN ({provinces}) r ON r.customer_id = t.customer_id
        LEFT JOIN customers_ownedproduct p ON p.id = t.product_id
        LEFT JOIN customers_productmodel m ON m.id = p.model_id
        LEFT JOIN customers_productcategory c ON c.id = m.category_id
        WHERE t.id > {after_ticket} AND t.resolved_at IS NOT NULL AND t.merged_into_id IS NULL
    """
    return f"""
        INSERT INTO {survey} (subject_kind, subject_id, ticket_id, customer_id, agent_id, technician_id,
            team_id,
            region, category, channel, created_at, sent_via, sent_at, expires_at, answered_at, is_satisfied,
            reason_id, comment, answered_via, recorded_by_id, recovery_ticket_id)
        SELECT 'ticket', t.id, t.id, t.customer_id, {agent}, NULL, t.team_id, t.region, t.category, t.channel,
            t.resolved_at, {sent_via}, t.resolved_at, {expires_at},
            CASE WHEN {is_answered} THEN {answered_at} END,
            CASE WHEN {is_answered} THEN NOT ({is_unhappy}) END,
            CASE WHEN {is_answered} AND {is_unhappy} THEN {reason} END,
            '',
            CASE WHEN NOT ({is_answered}) THEN '' WHEN {via} < 80 THEN 'link' ELSE 'call' END,
            NULL, NULL
        FROM ({dims}) t
        ORDER BY t.id
    """


def _tally_sql(first_survey: int) -> str:
    """The tallies of the new answers: each answer read once (its week worked out once) and
    counted under every dimension it has."""
    table = SatisfactionTally._meta.db_table
    key = connection.ops.quote_name("key")
    parts = [
        ("all", "''"),
        ("agent", _text("s.agent_id")),
        ("team", _text("s.team_id")),
        ("region", "s.region"),
        ("category", "s.category"),
        ("channel", "s.channel"),
        ("technician", _text("s.technician_id")),
    ]
    dimensions = " UNION ALL ".join(f"SELECT '{dimension}' AS dimension" for dimension, _value in parts)
    value = "CASE d.dimension " + " ".join(f"WHEN '{name}' THEN {v}" for name, v in parts) + " END"
    fence = " OFFSET 0" if _pg() else " LIMIT -1 OFFSET 0"
    answers = (
        f"SELECT {shanghai_monday('answered_at')} AS week, agent_id, team_id, region, category, channel, "
        f"technician_id, CASE WHEN is_satisfied THEN 0 ELSE 1 END AS unhappy "
        f"FROM {Survey._meta.db_table} WHERE id >= {first_survey} AND answered_at IS NOT NULL{fence}"
    )
    return (
        f"INSERT INTO {table} (week, dimension, {key}, answered, dissatisfied) "
        f"SELECT s.week, d.dimension, {value}, COUNT(*), SUM(s.unhappy) "
        f"FROM ({answers}) s CROSS JOIN ({dimensions}) d "
        f"WHERE d.dimension <> 'technician' OR s.technician_id IS NOT NULL "
        f"GROUP BY s.week, d.dimension, {value} "
        f"ON CONFLICT (dimension, {key}, week) DO UPDATE SET "
        f"answered = {table}.answered + excluded.answered, "
        f"dissatisfied = {table}.dissatisfied + excluded.dissatisfied"
    )


def _mood_sql(*, first_survey: int, after_ticket: int) -> str:
    table = CustomerMood._meta.db_table
    survey = Survey._meta.db_table
    # The latest unhappy moment per customer (a "not satisfied" answer or a complaint opened),
    # with its ticket, ranked among the unhappy moments only (a few in a hundred); the latest
    # happy answer, a plain maximum.
    unhappy = f"""
        SELECT customer_id, answered_at AS at, ticket_id FROM {survey}
        WHERE id >= {first_survey} AND answered_at IS NOT NULL AND NOT is_satisfied
        UNION ALL
        SELECT customer_id, created_at, id FROM tickets_ticket
        WHERE id > {after_ticket} AND type = 'complaint'
    """
    latest = f"""
        SELECT customer_id, MAX(unhappy_at) AS unhappy_at, MAX(ticket_id) AS ticket_id,
               MAX(happy_at) AS happy_at
        FROM (
            SELECT customer_id, at AS unhappy_at, ticket_id, NULL AS happy_at FROM (
                SELECT customer_id, at, ticket_id,
                       ROW_NUMBER() OVER (PARTITION BY customer_id ORDER BY at DESC, ticket_id DESC) AS n
                FROM ({unhappy}) u
            ) r WHERE n = 1
            UNION ALL
            SELECT customer_id, NULL, NULL, MAX(answered_at) FROM {survey}
            WHERE id >= {first_survey} AND answered_at IS NOT NULL AND is_satisfied GROUP BY customer_id
        ) m GROUP BY customer_id
    """
    old_unhappy, new_unhappy = f"{table}.last_unhappy_at", "excluded.last_unhappy_at"
    return (
        f"INSERT INTO {table} (customer_id, last_unhappy_at, unhappy_ticket_id, last_happy_at) "
        f"SELECT customer_id, unhappy_at, ticket_id, happy_at FROM ({latest}) l WHERE TRUE "
        f"ON CONFLICT (customer_id) DO UPDATE SET "
        f"unhappy_ticket_id = CASE WHEN {old_unhappy} IS NULL OR {new_unhappy} > {old_unhappy} "
        f"THEN excluded.unhappy_ticket_id ELSE {table}.unhappy_ticket_id END, "
        f"last_unhappy_at = {later_of(old_unhappy, new_unhappy)}, "
        f"last_happy_at = {later_of(f'{table}.last_happy_at', 'excluded.last_happy_at')}"
    )


def _write(context: Context) -> Written:
    if not context.counts.get("tickets"):
        return Written(rows={"surveys": 0}, main=0)
    from kefu.accounts.models import User
    from kefu.core import bulk
    from kefu.tickets.services import INTAKE_USERNAME

    say = context.say
    seed = context.rng.randrange(1, 2**20)
    intake = User.objects.filter(username=INTAKE_USERNAME).values_list("pk", flat=True).first()
    reasons = list(
        SurveyReason.objects.filter(is_active=True).order_by("sort_order", "id").values_list("pk", flat=True)
    )
    now = _quote(bulk.stamp(timezone.now()))
    if _pg():
        now = f"CAST({now} AS timestamptz)"
    first_survey = bulk.next_id(Survey)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT COALESCE(MAX(subject_id), 0) FROM {Survey._meta.db_table} WHERE subject_kind = 'ticket'"
        )
        (after_ticket,) = cursor.fetchone()
        # Keys checked and indexes built once at the end when the rows are many (PostgreSQL).
        with bulk.bulk_mode((Survey,), new_rows=context.counts["tickets"], say=say):
            cursor.execute(
                _surveys_sql(seed=seed, after_ticket=after_ticket, intake_id=intake, reasons=reasons, now=now)
            )
        table = Survey._meta.db_table
        cursor.execute(f"SELECT COUNT(*), COUNT(answered_at) FROM {table} WHERE id >= {first_survey}")
        surveys, answered = cursor.fetchone()
        cursor.execute(f"SELECT COUNT(*) FROM {table} WHERE id >= {first_survey} AND is_satisfied = FALSE")
        (unhappy,) = cursor.fetchone()
        say(f"surveys {surveys:,} ({answered:,} answered, {unhappy or 0:,} not satisfied)")
        cursor.execute(_tally_sql(first_survey))
        # A mood points to its customer and ticket: with the keys in place each row would queue
        # two deferred checks that the commit runs one by one (at 10M tickets, 40 s of locking
        # rows of tables that no longer fit in memory).
        with bulk.bulk_mode((CustomerMood,), new_rows=context.counts["tickets"], say=say):
            cursor.execute(_mood_sql(first_survey=first_survey, after_ticket=after_ticket))
        say("satisfaction tallies and customers' moods")
        cursor.execute(f"SELECT COUNT(*) FROM {CustomerMood._meta.db_table}")
        (moods,) = cursor.fetchone()
    return Written(
        rows={"surveys": surveys, "survey answers": answered, "customer moods": moods},
        main=0,
        tables=(Survey, SatisfactionTally, CustomerMood),
    )


def _check(context: Context) -> None:
    return None


SURVEYS_STEP = GeneratorStep(name="surveys", options=(), check=_check, write=_write)
