"""The tickets' generator step: `manage.py generate_data --tickets N` (decision 0019).

Ten million tickets cannot be built in Python within the figure DESIGN.md sets (< 5 min with
1M customers and 2M products): building and streaming each row through COPY costs about
10 µs, and a ticket comes with three or four timeline rows. So the rows are made by the database
itself, set-based: one `INSERT … SELECT` per table and batch over a series of ticket positions
(`generate_series` on PostgreSQL, a recursive CTE on SQLite), every choice drawn from a
deterministic hash of (seed, position, what is drawn) — `hashint8extended` on PostgreSQL, a
small Python function registered on SQLite's connection. The same seed gives the same data set
on the same database. Python only prepares small tables (agents, days, texts) and memory stays
flat whatever N.

What the rows hold, as the services would have written them:
- tickets opened over the last three years, evenly in time, numbered `KF<yymmdd><serial>` per
  opening day (Asia/Shanghai) after what the day's counter already gave, and the counters moved
  on, so that a ticket opened later continues the day's serial;
- realistic mixes of type, channel, priority; each ticket takes from minutes to four months to be
  resolved (most within a day) and is closed three to five days later, so that nearly all are
  closed and the recent ones are new, open or pending;
- one owner always: the opener (an agent) for phone, walk-in and sales-visit tickets; for those
  opened through the portal, email, social media or by the system, the intake account until an
  agent claims them (half of those still open are unclaimed: the unassigned queue);
- transfers with a reason, each a Transfer row and a `ticket_transferred` event, with
  `bounce_count` equal to the ticket's bounce transfers; claims as non-bounce transfers;
- urges (`ticket_urged` events, as many as `urge_count`), public replies, internal notes and the
  customers' own replies (Comment rows, each with its event);
- the status changes on the timeline (opened; new → resolved → closed, or new → open →
  pending), every event carrying the ticket's customer and product.

Staff: the tickets go to the generated agents (`gen-agent-001` …, five teams with a supervisor
each), created when there are none.
"""

import datetime
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.db import connection, transaction
from django.utils import timezone

from kefu.accounts.models import Team, User
from kefu.core import bulk
from kefu.core.generation import Context, GenerateError, GeneratorStep, Option, Written
from kefu.customers.demo import SPOKEN_NAMES
from kefu.customers.models import Customer, OwnedProduct, ProductCategory
from kefu.customers.samples import GIVEN_NAME_CHARS, SURNAMES
from kefu.tickets import demo as words
from kefu.tickets import search, timeline
from kefu.tickets.models import (
    OPEN_STATUSES,
    Channel,
    Comment,
    Priority,
    Status,
    Ticket,
    TicketEvent,
    TicketNumberCounter,
    TicketType,
    Transfer,
)

DAYS = 1095  # three years of tickets
AGENT_PREFIX = "gen-agent-"
SUPERVISOR_PREFIX = "gen-supervisor-"
TEAMS = ("华东热线组", "华南热线组", "华北热线组", "华中热线组", "西南热线组")
AGENTS_PER_TEAM = 8
VARIANTS = 8  # subjects per (type, category); every word list has eight entries

# Mixes in parts per ten thousand.
TYPE_MIX = (
    (TicketType.REPAIR, 4500),
    (TicketType.INSTALLATION, 2000),
    (TicketType.CONSULTATION, 1500),
    (TicketType.MAINTENANCE, 800),
    (TicketType.COMPLAINT, 500),
    (TicketType.RETURN, 400),
    (TicketType.CARE, 300),
)
CHANNEL_MIX = (
    (Channel.PHONE, 5500),
    (Channel.PORTAL, 1500),
    (Channel.SOCIAL, 1000),
    (Channel.WALK_IN, 800),
    (Channel.SYSTEM, 500),
    (Channel.EMAIL, 400),
    (Channel.SALES_VISIT, 300),
)
# Opened without a member of staff: owned by the intake account until claimed.
INTAKE_CHANNELS = (Channel.PORTAL, Channel.SOCIAL, Channel.SYSTEM, Channel.EMAIL)
PRIORITY_MIX = ((Priority.NORMAL, 7000), (Priority.HIGH, 1500), (Priority.LOW, 1000), (Priority.URGENT, 500))
BOUNCE_MIX = ((0, 8200), (1, 1200), (2, 450), (3, 150))
URGE_MIX = ((0, 9300), (1, 500), (2, 200))
# Time to a resolution: (from, to) seconds, weight. A ticket younger than its time is still open.
RESOLVE_MIX = (
    (600, 86_400, 6000),
    (86_400, 5 * 86_400, 3000),
    (5 * 86_400, 30 * 86_400, 900),
    (30 * 86_400, 120 * 86_400, 100),
)
CLOSE_AFTER = (3 * 86_400, 5 * 86_400)  # closed when the customer confirms, or after three days
OPEN_STATUS_MIX = (
    (Status.NEW, 1500),
    (Status.OPEN, 5000),
    (Status.PENDING_CUSTOMER, 1500),
    (Status.PENDING_PARTS, 2000),
)
UNCLAIMED_SHARE = 5000  # of the open tickets that came in through the intake account
NO_PRODUCT_TYPES = (TicketType.CONSULTATION, TicketType.COMPLAINT, TicketType.CARE)
REPLY_SHARE, NOTE_SHARE, CUSTOMER_REPLY_SHARE = 45, 12, 8  # per cent of tickets
EXCERPT = 60

TABLES = (Ticket, Comment, Transfer, TicketEvent)
# What the connection of its own writes (_Beside), when there is one.
BESIDE = (Comment, Transfer, TicketEvent)
WORK_MEMORY = "256MB"
# From this many tickets on, on PostgreSQL, the comments, transfers and timeline events are
# written on a connection of their own, beside the rest (_Beside), when the run's role is a
# superuser's.
PARALLEL_FROM = 50_000
DONE_STATUSES = (Status.RESOLVED, Status.CLOSED)


# --- Staff -----------------------------------------------------------------------------------


def intake_user() -> User:
    """The intake account (tickets.services: its one definition)."""
    from kefu.tickets.services import intake_user as from_services

    return from_services()


def _staff_name(rng: random.Random) -> str:
    surnames, weights = zip(*SURNAMES, strict=True)
    return rng.choices(surnames, weights)[0] + "".join(rng.choices(GIVEN_NAME_CHARS, k=rng.choice((1, 2))))


def ensure_agents(rng: random.Random) -> list[tuple[int, int | None]]:
    """(user id, team id) of the generated agents, in a fixed order; five teams of eight agents,
    each with its supervisor, are created when there are none."""
    found: list[tuple[int, int | None]] = list(
        User.objects.filter(username__startswith=AGENT_PREFIX, is_active=True)
        .order_by("username")
        .values_list("id", "team_id")
    )
    if len(found) >= 2:
        return found
    unusable = make_password(None)
    groups = {group.name: group for group in Group.objects.filter(name__in=("agent", "supervisor"))}
    for number, team_name in enumerate(TEAMS, 1):
        supervisor, _created = User.objects.get_or_create(
            username=f"{SUPERVISOR_PREFIX}{number}",
            defaults={"display_name": _staff_name(rng), "password": unusable},
        )
        if "supervisor" in groups:
            supervisor.groups.add(groups["supervisor"])
        team, _created = Team.objects.get_or_create(name=team_name, defaults={"supervisor": supervisor})
        supervisor.team = team
        supervisor.save(update_fields=["team"])
        for seat in range(AGENTS_PER_TEAM):
            agent, _created = User.objects.get_or_create(
                username=f"{AGENT_PREFIX}{(number - 1) * AGENTS_PER_TEAM + seat + 1:03d}",
                defaults={"display_name": _staff_name(rng), "password": unusable, "team": team},
            )
            if "agent" in groups:
                agent.groups.add(groups["agent"])
    return ensure_agents(rng)


# --- SQL of each database --------------------------------------------------------------------

_MASK64 = (1 << 64) - 1


def _mix(position: int, key: int) -> int:
    """SQLite's stand-in for hashint8extended: splitmix64 of (position, key), 31 bits."""
    x = (position * 0x9E3779B97F4A7C15 + key * 0xBF58476D1CE4E5B9 + 0x632BE59BD9B4E019) & _MASK64
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & _MASK64
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & _MASK64
    return (x ^ (x >> 31)) & 0x7FFFFFFF


def _quote(value: str) -> str:
    return "'" + str(value).replace("'", "''") + "'"


@dataclass
class _Sql:
    """The few expressions in which PostgreSQL and SQLite differ; everything else is shared."""

    seed: int
    epoch: int  # the unix time of offset 0

    def __post_init__(self):
        self.pg = connection.vendor == "postgresql"
        if not self.pg:
            connection.ensure_connection()
            connection.connection.create_function("kf_hash", 2, _mix, deterministic=True)

    def h(self, salt: int, position: str = "g.i") -> str:
        """A hash in [0, 2³¹) of the seed, the position and what is drawn (`salt`)."""
        key = self.seed * 1000 + salt
        if self.pg:
            return f"(hashint8extended(({position})::bigint, {key}) & 2147483647)"
        return f"kf_hash({position}, {key})"

    def series(self, start: int, stop: int) -> tuple[str, str]:
        """(prefix, source) of the positions start … stop - 1 as `g.i`."""
        if self.pg:
            return "", f"generate_series({start}::bigint, {stop - 1}) AS g(i)"
        return (
            f"WITH RECURSIVE g(i) AS (SELECT {start} UNION ALL SELECT i + 1 FROM g WHERE i < {stop - 1})",
            "g",
        )

    def ts(self, seconds: str) -> str:
        """The moment `seconds` after offset 0, as a datetime column stores it."""
        if self.pg:
            return f"to_timestamp({self.epoch} + ({seconds}))"
        return f"datetime({self.epoch} + ({seconds}), 'unixepoch')"

    def seconds(self, column: str) -> str:
        """A datetime column as seconds after offset 0."""
        if self.pg:
            # date_part gives a double (the moments are whole seconds); extract, a numeric, cost
            # about a tenth more CPU per comment or transfer.
            return f"(date_part('epoch', {column})::bigint - {self.epoch})"
        return f"(unixepoch({column}) - {self.epoch})"

    def pad(self, number: str) -> str:
        """The daily serial: four digits, five after 9999."""
        if self.pg:
            return (
                f"(CASE WHEN {number} < 10000 THEN lpad(({number})::text, 4, '0') ELSE ({number})::text END)"
            )
        return f"printf('%04d', {number})"

    def json(self, *pairs: tuple[str, str]) -> str:
        args = ", ".join(f"{_quote(key)}, {value}" for key, value in pairs)
        return f"jsonb_build_object({args})" if self.pg else f"json_object({args})"

    @property
    def fence(self) -> str:
        """Ends a subquery that the planner must not fold into the outer query: its columns are
        computed once per row instead of once per use."""
        return " OFFSET 0" if self.pg else " LIMIT -1 OFFSET 0"

    def temp(self, name: str, columns: str) -> str:
        return (
            f"CREATE TEMP TABLE {name} ({columns}) ON COMMIT DROP"
            if self.pg
            else f"CREATE TEMP TABLE {name} ({columns})"
        )


def _case(value: str, mix, *, literal=True) -> str:
    """CASE picking from `mix` ((choice, weight per ten thousand) …) by `value` in [0, 10000)."""
    parts, bound = [], 0
    for choice, weight in mix[:-1]:
        bound += weight
        parts.append(f"WHEN {value} < {bound} THEN {_quote(choice) if literal else choice}")
    last = mix[-1][0]
    return f"CASE {' '.join(parts)} ELSE {_quote(last) if literal else last} END"


def _in(values) -> str:
    return "(" + ", ".join(_quote(value) for value in values) + ")"


# --- Small tables ------------------------------------------------------------------------------

_TEMP_TABLES = ("kf_gen_agents", "kf_gen_days", "kf_gen_texts", "kf_gen_lines", "kf_gen_slots")
# Only on the connection of their own (_Beside): the staff's names, and the run's tickets as the
# draws make them.
_BESIDE_TABLES = ("kf_gen_names", "kf_gen_tickets")


def _drop_temp_tables(cursor) -> None:
    for name in (*_TEMP_TABLES, *_BESIDE_TABLES):
        cursor.execute(f"DROP TABLE IF EXISTS {name}")


def _category_codes() -> list[str]:
    """The categories that have words, then one for anything else."""
    return [*words.FAULTS, words.GENERIC_CATEGORY]


def _texts(rng: random.Random) -> list[tuple[int, str, str]]:
    """(key, subject, description) for every (type, category, variant): key = (type × categories
    + category) × VARIANTS + variant."""
    codes = _category_codes()
    rows = []
    for type_index, ticket_type in enumerate(words.TYPES):
        for category_index, code in enumerate(codes):
            subjects = words.subject_variants(ticket_type, code, SPOKEN_NAMES.get(code, "家电"))
            for variant, subject in enumerate(subjects):
                detail = rng.choice(words.DETAILS[ticket_type])
                key = (type_index * len(codes) + category_index) * VARIANTS + variant
                rows.append((key, subject, f"{subject}。{detail}"))
    return rows


LINES = (words.REPLIES, words.NOTES, words.CUSTOMER_REPLIES, words.TRANSFER_REASONS)


def _prepare(cursor, sql: _Sql, *, agents, days, texts, slots: bytes | None = None, names=None) -> int:
    """Fill the small tables the INSERTs join; returns the number of slots (products, or customers
    when there are no products) that tickets are drawn for. With `slots` and `names` (for the
    connection of their own, which cannot see the uncommitted products and staff: `_slot_copy`
    and `_names` of the first) the slots are copied and the staff's names kept in a table."""
    _drop_temp_tables(cursor)
    cursor.execute(sql.temp("kf_gen_agents", "idx integer PRIMARY KEY, user_id bigint, team_id bigint"))
    cursor.executemany(
        "INSERT INTO kf_gen_agents VALUES (%s, %s, %s)",
        [(index, user_id, team_id) for index, (user_id, team_id) in enumerate(agents)],
    )
    cursor.execute(sql.temp("kf_gen_days", "d integer PRIMARY KEY, label varchar(6), last integer"))
    cursor.executemany("INSERT INTO kf_gen_days VALUES (%s, %s, %s)", days)
    # Each text with its search words, cut once here by tickets.search.
    cursor.execute(
        sql.temp("kf_gen_texts", "k integer PRIMARY KEY, subject text, description text, words text")
    )
    cursor.executemany(
        "INSERT INTO kf_gen_texts VALUES (%s, %s, %s, %s)",
        [
            (key, subject, description, search.document(subject, description))
            for key, subject, description in texts
        ],
    )
    cursor.execute(
        sql.temp("kf_gen_lines", "kind integer, k integer, body text, words text, PRIMARY KEY (kind, k)")
    )
    cursor.executemany(
        "INSERT INTO kf_gen_lines VALUES (%s, %s, %s, %s)",
        [
            (kind, k, body, search.document(body))
            for kind, lines in enumerate(LINES)
            for k, body in enumerate(lines)
        ],
    )
    cursor.execute(
        sql.temp("kf_gen_slots", "n bigint PRIMARY KEY, customer_id bigint, product_id bigint, cat integer")
    )
    if slots is not None:
        with cursor.cursor.copy("COPY kf_gen_slots (n, customer_id, product_id, cat) FROM STDIN") as copy:
            copy.write(slots)
    else:
        _fill_slots(cursor)
    analysed = list(_TEMP_TABLES)
    if names is not None:
        cursor.execute(sql.temp("kf_gen_names", "user_id bigint PRIMARY KEY, name text"))
        cursor.executemany("INSERT INTO kf_gen_names VALUES (%s, %s)", names)
        analysed.append("kf_gen_names")
    if sql.pg:
        # Temporary tables have no statistics until analysed: the planner would guess.
        cursor.execute("ANALYZE " + ", ".join(analysed))
    cursor.execute("SELECT COUNT(*) FROM kf_gen_slots")
    return cursor.fetchone()[0]


def _slot_copy(cursor) -> bytes:
    """The slots in COPY's format (PostgreSQL)."""
    with cursor.cursor.copy(
        "COPY (SELECT n, customer_id, product_id, cat FROM kf_gen_slots ORDER BY n) TO STDOUT"
    ) as copy:
        return b"".join(bytes(block) for block in copy)


def _fill_slots(cursor) -> None:
    codes = _category_codes()
    category_index = {
        pk: codes.index(code) if code in codes else len(codes) - 1
        for pk, code in ProductCategory.objects.values_list("id", "code")
    }
    cases = " ".join(f"WHEN {pk} THEN {index}" for pk, index in category_index.items())
    cat = f"CASE m.category_id {cases} ELSE {len(codes) - 1} END" if cases else str(len(codes) - 1)
    if OwnedProduct.objects.exists():
        cursor.execute(
            "INSERT INTO kf_gen_slots (n, customer_id, product_id, cat) "
            f"SELECT row_number() OVER (ORDER BY p.id) - 1, p.customer_id, p.id, {cat} "
            f"FROM {OwnedProduct._meta.db_table} p JOIN customers_productmodel m ON m.id = p.model_id"
        )
    else:
        cursor.execute(
            "INSERT INTO kf_gen_slots (n, customer_id, product_id, cat) "
            f"SELECT row_number() OVER (ORDER BY c.id) - 1, c.id, NULL, {len(codes) - 1} "
            f"FROM {Customer._meta.db_table} c"
        )


# --- The writes --------------------------------------------------------------------------------


@dataclass
class _Plan:
    """The run's fixed numbers: N tickets evenly over `span` seconds from offset 0 (local
    midnight DAYS - 1 days ago), ids from `first_id`."""

    n: int
    span: int
    first_id: int
    agents: int
    intake_id: int
    slots: int
    categories: int

    def first_of_day(self, day: int) -> int:
        """The first position opened on day `day` (positions are in time order)."""
        return min(self.n, (day * 86_400 * self.n + self.span - 1) // self.span)


def _ticket_parts(sql: _Sql, plan: _Plan, start: int, stop: int, *, search: bool = False) -> tuple[str, str]:
    """(WITH clause, SELECT) of the tickets at positions start … stop - 1, in the column order of
    `_ticket_sql`; with `search`, each row also holds `words`, the index words of its subject and
    description (the search rows are made from the same draws, see `_search_sql`)."""
    prefix, source = sql.series(start, stop)
    h = sql.h
    n, span, agents = plan.n, plan.span, plan.agents
    type_index = _case(
        f"{h(1)} % 10000", [(index, weight) for index, (_t, weight) in enumerate(TYPE_MIX)], literal=False
    )
    type_codes = [ticket_type for ticket_type, _w in TYPE_MIX]
    type_of = (
        "CASE e.tix "
        + " ".join(f"WHEN {index} THEN {_quote(code)}" for index, code in enumerate(type_codes))
        + " END"
    )
    # The texts table is keyed by the type's position in words.TYPES.
    text_type = (
        "CASE e.tix "
        + " ".join(f"WHEN {index} THEN {words.TYPES.index(code)}" for index, code in enumerate(type_codes))
        + " END"
    )
    no_product = [index for index, code in enumerate(type_codes) if code in NO_PRODUCT_TYPES]
    bucket = f"{h(6)} % 10000"
    spread = h(7)
    resolve = (
        "CASE "
        + "".join(
            f"WHEN {bucket} < {bound} THEN {low} + {spread} % {high - low} "
            for bound, (low, high) in zip(
                _bounds([weight for _l, _h, weight in RESOLVE_MIX]),
                [(low, high) for low, high, _w in RESOLVE_MIX],
                strict=True,
            )
        )
        + "ELSE NULL END"
    )
    close_after = f"{CLOSE_AFTER[0]} + {h(9)} % {CLOSE_AFTER[1] - CLOSE_AFTER[0]}"
    open_status = _case("b0.us", OPEN_STATUS_MIX)
    bounce = _case("d.ub", BOUNCE_MIX, literal=False)
    done = f"e.status IN {_in(DONE_STATUSES)}"
    last_off = (
        f"CASE e.status WHEN 'closed' THEN e.off + e.res + e.cl WHEN 'resolved' THEN e.off + e.res "
        f"ELSE e.off + (({span} - e.off) * 9) / 10 END"
    )
    serial = f"(dd.last + e.i - ((e.off / 86400) * 86400 * {n} + {span} - 1) / {span} + 1)"
    # The draws, computed once per position (the fences below keep the planner from repeating
    # them for every use of a column).
    draws = f"""
                SELECT g.i,
                    (g.i * {span}) / {n} AS off,
                    {type_index} AS tix,
                    {_case(f"{h(2)} % 10000", CHANNEL_MIX)} AS channel,
                    {_case(f"{h(3)} % 10000", PRIORITY_MIX)} AS priority,
                    {resolve} AS res,
                    {close_after} AS cl,
                    {_case(f"{h(5)} % 10000", URGE_MIX, literal=False)} AS u,
                    {h(4)} % 10000 AS ub,
                    {h(10)} % 10000 AS us,
                    {h(11)} % 10000 AS ua,
                    {h(12)} % {agents} AS o,
                    1 + {h(13)} % {agents - 1} AS k,
                    {h(14)} % {plan.slots} AS slot,
                    {h(15)} % {VARIANTS} AS var,
                    {h(16)} % 2 AS unp
                FROM {source}
"""
    head = prefix
    body = f"""
SELECT
    {plan.first_id} + e.i AS id,
    {sql.ts("e.off")},
    {sql.ts(last_off)},
    1 + (CASE WHEN {done} THEN 1 ELSE 0 END) + (CASE WHEN e.status = 'closed' THEN 1 ELSE 0 END)
      + e.b + (CASE WHEN e.intake THEN 1 ELSE 0 END),
    'KF' || dd.label || {sql.pad(serial)} AS number,
    e.customer_id,
    CASE WHEN e.tix IN ({", ".join(map(str, no_product)) or "-1"}) AND e.unp = 0 THEN NULL
         ELSE e.product_id END,
    e.channel,
    {type_of},
    e.priority,
    e.status,
    x.subject,
    x.description,
    CASE WHEN e.unclaimed THEN {plan.intake_id} ELSE a.user_id END AS owner_id,
    CASE WHEN e.unclaimed THEN NULL ELSE a.team_id END,
    CASE WHEN e.intake THEN NULL ELSE a0.user_id END,
    e.b,
    e.u,
    0,
    NULL,
    CASE WHEN {done} THEN {sql.ts("e.off + e.res")} END,
    CASE WHEN e.status = 'closed' THEN {sql.ts("e.off + e.res + e.cl")} END,
    {sql.ts(last_off)}{", x.words AS words" if search else ""}
FROM (
    SELECT d.*,
        CASE WHEN d.unclaimed THEN 0 ELSE {bounce} END AS b
    FROM (
        SELECT c.*,
            c.channel IN {_in(INTAKE_CHANNELS)} AS intake,
            (c.channel IN {_in(INTAKE_CHANNELS)} AND c.status IN {_in(OPEN_STATUSES)}
             AND c.ua < {UNCLAIMED_SHARE}) AS unclaimed
        FROM (
            SELECT b0.*, s.customer_id, s.product_id, s.cat,
                CASE WHEN b0.res IS NULL OR b0.off + b0.res > {span} THEN {open_status}
                     WHEN b0.off + b0.res + b0.cl > {span} THEN 'resolved'
                     ELSE 'closed' END AS status
            FROM ({draws}{sql.fence}) b0
            JOIN kf_gen_slots s ON s.n = b0.slot{sql.fence}
        ) c{sql.fence}
    ) d{sql.fence}
) e
JOIN kf_gen_agents a ON a.idx = e.o
JOIN kf_gen_agents a0 ON a0.idx = (e.o + e.b * e.k) % {agents}
JOIN kf_gen_days dd ON dd.d = e.off / 86400
JOIN kf_gen_texts x ON x.k = (({text_type}) * {plan.categories} + e.cat) * {VARIANTS} + e.var
"""
    return head, body


TICKET_COLUMNS = (
    "id, created_at, updated_at, version, number, customer_id, product_id, channel, type, priority, "
    "status, subject, description, owner_id, team_id, opened_by_id, bounce_count, urge_count, "
    "reopen_count, merged_into_id, resolved_at, closed_at, last_activity_at"
)


def _ticket_sql(sql: _Sql, plan: _Plan, start: int, stop: int) -> str:
    head, body = _ticket_parts(sql, plan, start, stop)
    return f"{head} INSERT INTO {Ticket._meta.db_table} ({TICKET_COLUMNS}) {body}"


# What the comments, transfers and events read of a ticket (`_drawn_tickets_sql`).
DRAWN_COLUMNS = (
    "id, created_at, resolved_at, closed_at, number, customer_id, product_id, status, subject, "
    "owner_id, opened_by_id, bounce_count, urge_count"
)


def _drawn_tickets_sql(sql: _Sql, plan: _Plan, start: int, stop: int) -> str:
    """The tickets at positions start … stop - 1 into `kf_gen_tickets` (created by the first
    batch), only the columns the comments, transfers and events read: what the connection of
    their own reads instead of the uncommitted tickets (PostgreSQL; a temporary table writes no
    WAL). The columns left out are not computed: the planner folds the SELECT into this one."""
    _head, body = _ticket_parts(sql, plan, start, stop)
    select = f"SELECT {DRAWN_COLUMNS} FROM ({body}) b ({TICKET_COLUMNS})"
    if start == 0:
        return f"CREATE TEMP TABLE kf_gen_tickets ON COMMIT DROP AS {select}"
    return f"INSERT INTO kf_gen_tickets {select}"


def _bounds(weights) -> list[int]:
    total, bounds = 0, []
    for weight in weights:
        total += weight
        bounds.append(total)
    return bounds


def _position(plan: _Plan) -> str:
    return f"(t.id - {plan.first_id})"


def _range(plan: _Plan) -> str:
    return f"t.id >= {plan.first_id} AND t.id < {plan.first_id + plan.n}"


# The comments a ticket gets: (kind in LINES, per cent of tickets, salt, when between the
# opening and the resolution, author, by the customer, public). The search rows draw the same.
COMMENTS = (
    (0, REPLY_SHARE, 20, "/ 2", "t.owner_id", "FALSE", "TRUE"),
    (1, NOTE_SHARE, 21, "/ 3", "t.owner_id", "FALSE", "FALSE"),
    (2, CUSTOMER_REPLY_SHARE, 22, "* 2 / 3", "NULL", "TRUE", "TRUE"),
)


def _has_comment(sql: _Sql, plan: _Plan, kind: int) -> str:
    _kind, share, salt, *_rest = COMMENTS[kind]
    return f"({sql.h(salt, _position(plan))} % 100 < {share} AND t.owner_id <> {plan.intake_id})"


def _comment_line(sql: _Sql, plan: _Plan, kind: int, alias: str) -> str:
    salt = COMMENTS[kind][2]
    return f"{alias}.kind = {kind} AND {alias}.k = {sql.h(salt + 10, _position(plan))} % {len(LINES[kind])}"


def _comments_sql(sql: _Sql, plan: _Plan, tickets: str = Ticket._meta.db_table) -> list[str]:
    """Public replies (by the owner), internal notes, the customers' replies, of the tickets in
    the table `tickets`."""
    table = Comment._meta.db_table
    created, end = sql.seconds("t.created_at"), f"COALESCE({sql.seconds('t.resolved_at')}, {plan.span})"
    statements = []
    for kind, _share, _salt, at, author, by_customer, public in COMMENTS:
        moment = sql.ts(f"{created} + ({end} - {created}) {at}")
        statements.append(
            f"INSERT INTO {table} "
            "(created_at, updated_at, ticket_id, author_id, by_customer, is_public, body) "
            f"SELECT {moment}, {moment}, t.id, {author}, {by_customer}, {public}, l.body "
            f"FROM {tickets} t JOIN kf_gen_lines l ON {_comment_line(sql, plan, kind, 'l')} "
            f"WHERE {_range(plan)} AND {_has_comment(sql, plan, kind)}"
        )
    return statements


def _search_sql(sql: _Sql, plan: _Plan, start: int, stop: int) -> str:
    """The SELECT of the search rows of the tickets at positions start … stop - 1, for
    tickets.search.insert_from_select: the words of each ticket's subject and description, then
    of its comments in their order, each text cut once (a word in two of them
    appears twice: both databases read it as one). Made from the same draws as the tickets, not
    read from them: it needs only the small tables, so it can run on a connection of its own."""
    head, body = _ticket_parts(sql, plan, start, stop, search=True)
    return f"{head} {_search_words(sql, plan, f'({body}) t')}"


def _search_words(sql: _Sql, plan: _Plan, tickets: str) -> str:
    """The search rows' SELECT over `tickets` (aliased t, with their `words`)."""
    words_expr = "t.words"
    joins = []
    for kind in (1, 0, 2):  # the note, the reply, the customer's reply: their order in time
        joins.append(
            f"LEFT JOIN kf_gen_lines l{kind} ON {_comment_line(sql, plan, kind, f'l{kind}')} "
            f"AND {_has_comment(sql, plan, kind)}"
        )
        words_expr += f" || COALESCE(' ' || l{kind}.words, '')"
    return f"SELECT t.id, {words_expr} FROM {tickets} " + " ".join(joins)


_STEPS = "(SELECT 1 AS j UNION ALL SELECT 2 UNION ALL SELECT 3)"


def _status_steps(moved, pending) -> str:
    """(status, j): the timeline steps a ticket in each status went through (see _events_sql),
    hash-joined on the status."""
    steps = {status: [1] for status in Status.values}
    for status in DONE_STATUSES:
        steps[status].append(2)
    steps[Status.CLOSED].append(3)
    for status in moved:
        steps[status].append(4)
    for status in pending:
        steps[status].append(5)
    rows = [(status, j) for status, js in steps.items() for j in js]
    first, *rest = rows
    return (
        f"(SELECT {_quote(first[0])} AS status, {first[1]} AS j"
        + "".join(f" UNION ALL SELECT {_quote(status)}, {j}" for status, j in rest)
        + ")"
    )


def _transfers_sql(sql: _Sql, plan: _Plan, tickets: str = Ticket._meta.db_table) -> list[str]:
    """The bounces (a chain of agents ending with the owner) and the claims before them."""
    columns = "(at, from_user_id, to_user_id, by_id, reason, is_bounce, ticket_id)"
    return [
        f"INSERT INTO {Transfer._meta.db_table} {columns} {select}"
        for select in _transfer_selects(sql, plan, tickets)
    ]


def _transfer_selects(sql: _Sql, plan: _Plan, tickets: str = Ticket._meta.db_table) -> list[str]:
    """The SELECTs of the bounces and of the claims of the tickets in the table `tickets`, in the
    columns of a Transfer row."""
    pos = _position(plan)
    agents = plan.agents
    k = f"(1 + {sql.h(13, pos)} % {agents - 1})"
    created, end = sql.seconds("t.created_at"), f"COALESCE({sql.seconds('t.resolved_at')}, {plan.span})"
    span = f"({end} - {created})"
    bounce_at = sql.ts(f"{created} + ({span} * j.j) / (t.bounce_count + 2)")
    claim_at = sql.ts(f"{created} + {span} / (2 * (t.bounce_count + 2))")
    return [
        f"SELECT {bounce_at} AS at, af.user_id AS from_user_id, at_.user_id AS to_user_id, "
        f"af.user_id AS by_id, l.body AS reason, TRUE AS is_bounce, t.id AS ticket_id "
        f"FROM {tickets} t "
        f"JOIN kf_gen_agents a ON a.user_id = t.owner_id "
        f"JOIN {_STEPS} j ON j.j <= t.bounce_count "
        f"JOIN kf_gen_agents af ON af.idx = (a.idx + (t.bounce_count - j.j + 1) * {k}) % {agents} "
        f"JOIN kf_gen_agents at_ ON at_.idx = (a.idx + (t.bounce_count - j.j) * {k}) % {agents} "
        f"JOIN kf_gen_lines l ON l.kind = 3 "
        f"AND l.k = ({sql.h(23, pos)} + j.j) % {len(words.TRANSFER_REASONS)} "
        f"WHERE {_range(plan)} AND t.bounce_count > 0",
        f"SELECT {claim_at}, {plan.intake_id}, a0.user_id, a0.user_id, "
        f"{_quote(words.CLAIM_REASON)}, FALSE, t.id "
        f"FROM {tickets} t "
        f"JOIN kf_gen_agents a ON a.user_id = t.owner_id "
        f"JOIN kf_gen_agents a0 ON a0.idx = (a.idx + t.bounce_count * {k}) % {agents} "
        f"WHERE {_range(plan)} AND t.opened_by_id IS NULL",
    ]


# The staff's names as a transfer's event shows them (as tickets.services writes them).
_USER_NAMES = (
    f"(SELECT id AS user_id, COALESCE(NULLIF(display_name, ''), username) AS name FROM {User._meta.db_table})"
)


def _transfers_from(first_transfer: int) -> str:
    return f"(SELECT * FROM {Transfer._meta.db_table} WHERE id >= {first_transfer}) r"


def _events_sql(
    sql: _Sql,
    plan: _Plan,
    *,
    first_comment: int,
    transfers: str,
    tickets: str = Ticket._meta.db_table,
    names: str = _USER_NAMES,
) -> list[str]:
    """The timeline events of the tickets in the table `tickets`, of their `transfers` (a FROM
    item aliased r holding this run's transfers only) and of the comments from `first_comment`,
    with the staff's names from `names` (user_id, name)."""
    table = TicketEvent._meta.db_table
    columns = "(ticket_id, customer_id, product_id, occurred_at, kind, actor_id, is_public, data)"
    pos = _position(plan)
    created = sql.seconds("t.created_at")
    now_span = f"({plan.span} - {created})"
    number = ("number", "t.number")

    def status(frm: str, to: str) -> str:
        return sql.json(number, ("from", _quote(frm)), ("to", _quote(to)))

    def insert(select: str, where: str, joins: str = "") -> str:
        return (
            f"INSERT INTO {table} {columns} SELECT {select} FROM {tickets} t {joins} "
            f"WHERE {_range(plan)} AND {where}"
        )

    base = "t.id, t.customer_id, t.product_id"
    pending = [s for s in OPEN_STATUSES if s.startswith("pending")]
    urge_at = sql.ts(
        f"{created} + ((COALESCE({sql.seconds('t.resolved_at')}, {plan.span}) - {created}) * (2 * j.j - 1)) "
        f"/ (2 * t.urge_count + 2)"
    )
    via_phone = f"{sql.h(24, pos)} % 2 = 0"
    via = f"CASE WHEN {via_phone} THEN 'phone' ELSE 'portal' END"
    urge_data = sql.json(number, ("via", via), ("urge_count", "j.j"))
    # The opening and every status change, in one pass over the tickets: step 1 the opening,
    # 2 new → resolved, 3 resolved → closed, 4 new → open, 5 open → pending (customer or parts).
    moved = [Status.OPEN, *pending]
    status_steps = (
        f"INSERT INTO {table} {columns} SELECT {base}, "
        f"CASE j.j WHEN 1 THEN t.created_at WHEN 2 THEN t.resolved_at WHEN 3 THEN t.closed_at "
        f"WHEN 4 THEN {sql.ts(f'{created} + {now_span} / 10')} "
        f"ELSE {sql.ts(f'{created} + ({now_span} * 8) / 10')} END, "
        f"CASE j.j WHEN 1 THEN {_quote(timeline.TICKET_OPENED)} "
        f"ELSE {_quote(timeline.TICKET_STATUS_CHANGED)} END, "
        f"CASE j.j WHEN 1 THEN t.opened_by_id WHEN 3 THEN NULL ELSE t.owner_id END, TRUE, "
        f"CASE j.j WHEN 1 THEN {sql.json(number, ('subject', 't.subject'))} "
        f"WHEN 2 THEN {status(Status.NEW, Status.RESOLVED)} "
        f"WHEN 3 THEN {status(Status.RESOLVED, Status.CLOSED)} "
        f"WHEN 4 THEN {status(Status.NEW, Status.OPEN)} "
        f"ELSE {sql.json(number, ('from', _quote(Status.OPEN)), ('to', 't.status'))} END "
        f"FROM {tickets} t JOIN {_status_steps(moved, pending)} j ON j.status = t.status "
        f"WHERE {_range(plan)}"
    )
    statements = [
        status_steps,
        insert(
            f"{base}, {urge_at}, {_quote(timeline.TICKET_URGED)}, "
            f"CASE WHEN {via_phone} THEN t.owner_id END, TRUE, {urge_data}",
            "t.urge_count > 0",
            f"JOIN {_STEPS} j ON j.j <= t.urge_count",
        ),
        # Transfers and claims, from the rows just written.
        f"INSERT INTO {table} {columns} "
        f"SELECT {base}, r.at, CASE WHEN r.is_bounce THEN {_quote(timeline.TICKET_TRANSFERRED)} "
        f"ELSE {_quote(timeline.TICKET_CLAIMED)} END, r.by_id, FALSE, "
        + sql.json(
            number,
            ("from", "r.from_user_id"),
            ("to", "r.to_user_id"),
            ("from_name", "uf.name"),
            ("to_name", "ut.name"),
            ("reason", "r.reason"),
        )
        + f" FROM {transfers} JOIN {tickets} t ON t.id = r.ticket_id "
        f"JOIN {names} uf ON uf.user_id = r.from_user_id "
        f"JOIN {names} ut ON ut.user_id = r.to_user_id",
        # Replies, notes and the customers' replies.
        f"INSERT INTO {table} {columns} "
        f"SELECT {base}, m.created_at, "
        f"CASE WHEN m.by_customer THEN {_quote(timeline.TICKET_CUSTOMER_REPLIED)} "
        f"WHEN m.is_public THEN {_quote(timeline.TICKET_REPLIED)} ELSE {_quote(timeline.TICKET_NOTED)} END, "
        f"m.author_id, m.is_public, "
        + sql.json(number, ("comment", "m.id"), ("excerpt", f"substr(m.body, 1, {EXCERPT})"))
        + f" FROM {Comment._meta.db_table} m JOIN {tickets} t ON t.id = m.ticket_id "
        f"WHERE m.id >= {first_comment}",
    ]
    return statements


def _count(cursor, model, *, first_id: int) -> int:
    cursor.execute(f"SELECT COUNT(*) FROM {model._meta.db_table} WHERE id >= %s", [first_id])
    return cursor.fetchone()[0]


def _check(context: Context) -> None:
    if not context.counts["tickets"]:
        return
    if not context.counts["customers"] and not Customer.objects.exists():
        raise GenerateError("There are no customers to open tickets for; ask for customers too.")


class _Abandoned(Exception):
    pass


class _Beside(threading.Thread):
    """Writes the comments, transfers and timeline events (`_side_work`) on a connection of its own
    while the run's connection writes the rest: on two cores the two halves take about as long
    as the longer one. Its transaction waits for the run's: it commits right after the run's
    commit (after `after`), or rolls back with it (core.generation's `defer`). Should that last
    commit fail, the tickets stay without their comments and events (the rows were written,
    only the commit was left; it has not been seen to fail)."""

    def __init__(self, work: Callable[[], dict[str, int]], after: Callable[[], None] | None = None):
        super().__init__(name="kefu-generate-beside", daemon=True)
        self.work = work
        self.after = after  # run once the run has committed, before this connection commits
        self.written = threading.Event()
        self.decided = threading.Event()
        self.commit = False
        self.rows: dict[str, int] = {}
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            with transaction.atomic():
                self.rows = self.work()
                self.written.set()
                self.decided.wait()
                if not self.commit:
                    raise _Abandoned
                if self.after is not None:
                    self.after()
        except _Abandoned:
            pass
        except BaseException as error:  # reported to the run's thread
            self.error = error
        finally:
            self.written.set()
            connection.close()

    def wait(self) -> dict[str, int]:
        """The rows written, once they are (still uncommitted); raises if writing them failed."""
        self.written.wait()
        if self.error is not None:
            raise GenerateError(
                f"The comments, transfers and events could not be written: {self.error}"
            ) from self.error
        return self.rows

    def finish(self, committed: bool) -> None:
        self.commit = committed
        self.decided.set()
        self.join()
        if committed and self.error is not None:
            raise GenerateError(
                f"The tickets were written but not their comments, transfers and events ({self.error})."
            ) from self.error


def _is_superuser(cursor) -> bool:
    cursor.execute("SELECT current_setting('is_superuser') = 'on'")
    return cursor.fetchone()[0]


def _names(agents, intake_id: int) -> list[tuple[int, str]]:
    """(user id, name as a transfer's event shows it) of the generated agents and the intake."""
    ids = [user_id for user_id, _team in agents] + [intake_id]
    return [
        (pk, display_name or username)
        for pk, display_name, username in User.objects.filter(pk__in=ids).values_list(
            "id", "display_name", "username"
        )
    ]


def _timed_runner(cursor, say: Callable[[str], None]) -> Callable[[str, list[str]], None]:
    def run(label: str, statements: list[str]) -> None:
        times = []
        for statement in statements:
            started = time.perf_counter()
            cursor.execute(statement)
            times.append(time.perf_counter() - started)
        each = f": {' + '.join(f'{seconds:.1f}' for seconds in times)}" if len(times) > 1 else ""
        say(f"{label} ({sum(times):.1f} s{each})")

    return run


def _side_work(context: Context, sql: _Sql, plan: _Plan, prepared: dict) -> Callable[[], dict[str, int]]:
    """What the connection of its own writes (PostgreSQL): the comments, the transfers and every
    timeline event. It cannot see the run's uncommitted rows, so it draws the tickets again into
    a temporary table (no WAL) and reads that; its foreign keys are not fired
    (`session_replication_role = replica`, a superuser's setting: the rows point to what the run
    writes, by construction) nor dropped (that would lock the tables they point to, which the
    run holds); the run never touches these tables meanwhile (their indexes are dropped here),
    and `_mark_unchecked` leaves their keys NOT VALID after the run's commit."""
    say, n = context.say, plan.n
    batches = list(bulk.batches(n, max(context.batch, 1_000_000)))

    def side_say(message: str) -> None:
        say(f"beside: {message}")

    def work() -> dict[str, int]:
        # On the thread's own connection (Django's connections are per thread).
        with connection.cursor() as own:
            own.execute(f"SET LOCAL work_mem = '{WORK_MEMORY}'")
            own.execute("SET LOCAL session_replication_role = replica")
            run = _timed_runner(own, side_say)
            _prepare(own, sql, **prepared)
            run(
                "tickets drawn again",
                [_drawn_tickets_sql(sql, plan, done, done + size) for done, size in batches],
            )
            own.execute("ANALYZE kf_gen_tickets")
            first_comment, first_event = bulk.next_id(Comment), bulk.next_id(TicketEvent)
            first_transfer = bulk.next_id(Transfer)
            with bulk.bulk_mode(BESIDE, new_rows=n * 5, say=side_say, keys=False):
                run("comments", _comments_sql(sql, plan, "kf_gen_tickets"))
                run("transfers", _transfers_sql(sql, plan, "kf_gen_tickets"))
                own.execute(f"ANALYZE {Comment._meta.db_table}, {Transfer._meta.db_table}")
                run(
                    "timeline events",
                    _events_sql(
                        sql,
                        plan,
                        first_comment=first_comment,
                        transfers=_transfers_from(first_transfer),
                        tickets="kf_gen_tickets",
                        names="kf_gen_names",
                    ),
                )
            rows = {
                "comments": _count(own, Comment, first_id=first_comment),
                "transfers": _count(own, Transfer, first_id=first_transfer),
                "ticket events": _count(own, TicketEvent, first_id=first_event),
            }
            _drop_temp_tables(own)
        return rows

    return work


def _search_of_written(sql: _Sql, plan: _Plan) -> str:
    """The search rows' SELECT over the tickets just written (in this transaction), each with the
    words of its text (every text's words were cut once, in kf_gen_texts)."""
    texts = (
        "(SELECT subject, description, MIN(words) AS words FROM kf_gen_texts GROUP BY subject, description)"
    )
    tickets = (
        f"(SELECT t.id, t.owner_id, x.words FROM {Ticket._meta.db_table} t "
        f"JOIN {texts} x ON x.subject = t.subject AND x.description = t.description WHERE {_range(plan)}) t"
    )
    return _search_words(sql, plan, tickets)


def _mark_unchecked() -> None:
    """The foreign keys of the tables written beside as the run's own are left (decision 0035): in
    force, NOT VALID until `manage.py validate_keys`. Done once the run has committed: before,
    it would wait for the tables they point to."""
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE contype = 'f' AND convalidated AND conrelid::regclass::text = ANY(%s)",
            [[model._meta.db_table for model in BESIDE]],
        )
        for table, name, definition in cursor.fetchall():
            cursor.execute(f"ALTER TABLE {table} DROP CONSTRAINT {quote(name)}")
            cursor.execute(f"ALTER TABLE {table} ADD CONSTRAINT {quote(name)} {definition} NOT VALID")


def _write(context: Context) -> Written:
    n = context.counts["tickets"]
    if not n:
        return Written(rows={"tickets": 0}, main=0)
    say = context.say
    say(f"tickets: starting ({n:,})")
    seed = context.rng.randrange(2**31)
    agents = ensure_agents(context.rng)
    intake_id = intake_user().pk
    now = timezone.localtime()
    start = (now - datetime.timedelta(days=DAYS - 1)).replace(hour=0, minute=0, second=0, microsecond=0)
    epoch = int(start.timestamp())
    span = int(now.timestamp()) - epoch
    day_count = span // 86_400 + 1
    dates = [start.date() + datetime.timedelta(days=day) for day in range(day_count)]
    counters = dict(TicketNumberCounter.objects.filter(day__gte=dates[0]).values_list("day", "last"))
    sql = _Sql(seed=seed, epoch=epoch)
    plan = _Plan(
        n=n,
        span=span,
        first_id=bulk.next_id(Ticket),
        agents=len(agents),
        intake_id=intake_id,
        slots=0,
        categories=len(_category_codes()),
    )
    with connection.cursor() as cursor:
        if sql.pg:
            # The joins of a million-ticket batch (slots, texts, the materialised draws) in
            # memory rather than spilled to disk; for this transaction only.
            cursor.execute(f"SET LOCAL work_mem = '{WORK_MEMORY}'")
        days = [(day, date.strftime("%y%m%d"), counters.get(date, 0)) for day, date in enumerate(dates)]
        texts = _texts(random.Random(seed))
        plan.slots = _prepare(cursor, sql, agents=agents, days=days, texts=texts)
        batches = list(bulk.batches(n, max(context.batch, 1_000_000)))
        beside: _Beside | None = None
        if sql.pg and context.parallel and n >= PARALLEL_FROM and _is_superuser(cursor):
            prepared = {
                "agents": agents,
                "days": days,
                "texts": texts,
                "slots": _slot_copy(cursor),
                "names": _names(agents, intake_id),
            }
            beside = _Beside(_side_work(context, sql, plan, prepared), _mark_unchecked)
            context.defer(beside.finish)
            beside.start()
        events_beside = beside is not None
        tables = (Ticket,) if events_beside else TABLES
        if not events_beside:
            first_comment, first_event = bulk.next_id(Comment), bulk.next_id(TicketEvent)
            first_transfer = bulk.next_id(Transfer)
        run = _timed_runner(cursor, say)
        with bulk.bulk_mode(tables, new_rows=n * 5, say=say):
            for done, size in batches:
                run(f"tickets {done + size:,}/{n:,}", [_ticket_sql(sql, plan, done, done + size)])
            if not events_beside:
                run("comments", _comments_sql(sql, plan))
            if not events_beside:
                run("transfers", _transfers_sql(sql, plan))
            if sql.pg:
                # The planner's picture of the rows just written, for the joins that follow.
                run(
                    "statistics of the new rows",
                    [f"ANALYZE {', '.join(m._meta.db_table for m in tables[:3])}"],
                )
            if not events_beside:
                run(
                    "timeline events",
                    _events_sql(
                        sql,
                        plan,
                        first_comment=first_comment,
                        transfers=_transfers_from(first_transfer),
                    ),
                )
            started = time.perf_counter()
            if events_beside:
                search.insert_from_select(_search_of_written(sql, plan), expected=n)
            else:
                search.insert_from_select(
                    [_search_sql(sql, plan, done, done + size) for done, size in batches], expected=n
                )
            say(f"search rows ({time.perf_counter() - started:.1f} s)")
            counters_table = TicketNumberCounter._meta.db_table
            cursor.executemany(
                f"INSERT INTO {counters_table} (day, last) VALUES (%s, %s) "
                f"ON CONFLICT (day) DO UPDATE SET last = {counters_table}.last + excluded.last",
                [
                    (date, plan.first_of_day(day + 1) - plan.first_of_day(day))
                    for day, date in enumerate(dates)
                    if plan.first_of_day(day + 1) > plan.first_of_day(day)
                ],
            )
            say("building indexes and checking keys" if sql.pg else "committing")
            bulk.reset_sequences((Ticket,))
        rows = {"tickets": n}
        if not events_beside:
            rows["comments"] = _count(cursor, Comment, first_id=first_comment)
            rows["transfers"] = _count(cursor, Transfer, first_id=first_transfer)
            rows["ticket events"] = _count(cursor, TicketEvent, first_id=first_event)
        _drop_temp_tables(cursor)
    if beside is not None:
        # After the later steps, before the run commits: a failure there rolls everything back.
        context.before_commit(lambda: _wait_beside(beside, rows, say))
    return Written(rows=rows, main=n, tables=(*TABLES, TicketNumberCounter))


def _wait_beside(beside: _Beside, rows: dict[str, int], say: Callable[[str], None]) -> None:
    started = time.perf_counter()
    rows.update(beside.wait())
    say(f"rows beside ready (waited {time.perf_counter() - started:.1f} s)")


TICKETS_STEP = GeneratorStep(
    name="tickets",
    options=(
        Option(
            "tickets",
            "Tickets to add over the last three years, for the existing or new customers and products, "
            "with transfers, urges, replies and their timeline events (default 0).",
        ),
    ),
    check=_check,
    write=_write,
)
