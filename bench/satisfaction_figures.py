"""The satisfaction and complaint figures over 10M tickets and 5M survey answers (issue 14: each
figure through the API < 100 ms on PostgreSQL, from rollups kept current, not scans).

The figures read SatisfactionTally (week × dimension value), ComplaintTally (week × cause) and
CustomerMood (one row per customer, read on its partial index), so what they cost is set by those
tables' rows, not by the tickets': this module builds them directly, with counts that add up to
5M answers and 500k complaints over 10M tickets opened in three years (157 weeks):

- SatisfactionTally: every week × {all; 400 agents; 600 technicians (half the answers had
  one); 40 teams; 34 provinces; 9 categories; 7 channels} ≈ 172k rows (2,000 agents and 1,000
  technicians with BENCH_SAT_AGENTS / BENCH_SAT_TECHNICIANS: ≈ 495k), answers per row spread
  so that each dimension adds up to the week's answers (5M in all), 3–8 % not satisfied, varying
  by agent and province;
- ComplaintTally: every week × 8 causes ("" included) = 1,256 rows, 500k complaints (5 % of the
  tickets), 9 % of them resolved although not our fault;
- CustomerMood: 1M customers (rows in customers_customer made for it), 600k of them with an
  unhappy moment over the three years (a third of those happy again later).

Building the 10M tickets and the 5M survey rows is the generator's job (feedback.generate,
complaints.generate) and does not change what these figures read. Measured in-process through
Django's test client, signed in as a manager, over one year (52 weeks) and the whole three
years: p50/p95 wall time, process CPU p95, the PostgreSQL backend's CPU per call (server and
client on one machine) and the statements per answer.

Run: `DATABASE_URL=postgresql://postgres@127.0.0.1:5432/kefu_sat_bench python -m bench.satisfaction_figures`
(migrates the database, refills the bench rows on each run). Record `cat /proc/loadavg` beside it.
"""

import datetime
import os
import sys
import time
from pathlib import Path

from bench import REPO_DIR, Figure, QueryCounter, percentile
from bench.promise_figure import _backend_cpu_seconds

TARGET_MS = 100.0
TICKETS = 10_000_000
ANSWERS = 5_000_000
COMPLAINTS = 500_000
WEEKS = 157
# 10M tickets in three years are ~13k a working day: at 40-60 tickets an agent a day, 220-330
# agents; half the tickets with a field visit at ~12 a day, ~550 technicians. The defaults round
# up; BENCH_SAT_AGENTS=2000 measures a call centre seven times as large (the agent figure's cost
# grows with agents × weeks).
AGENTS = int(os.environ.get("BENCH_SAT_AGENTS", "400"))
TECHNICIANS = int(os.environ.get("BENCH_SAT_TECHNICIANS", "600"))
TEAMS = 40
CUSTOMERS = 1_000_000
UNHAPPY_CUSTOMERS = 600_000
FIRST_WEEK = datetime.date(2023, 11, 27)  # a Monday; the last week is FIRST_WEEK + 156 weeks
PROVINCES = [
    "北京市",
    "天津市",
    "河北省",
    "山西省",
    "内蒙古自治区",
    "辽宁省",
    "吉林省",
    "黑龙江省",
    "上海市",
    "江苏省",
    "浙江省",
    "安徽省",
    "福建省",
    "江西省",
    "山东省",
    "河南省",
    "湖北省",
    "湖南省",
    "广东省",
    "广西壮族自治区",
    "海南省",
    "重庆市",
    "四川省",
    "贵州省",
    "云南省",
    "西藏自治区",
    "陕西省",
    "甘肃省",
    "青海省",
    "宁夏回族自治区",
    "新疆维吾尔自治区",
    "香港特别行政区",
    "澳门特别行政区",
    "台湾省",
]
CATEGORIES = [
    "air_conditioner",
    "washing_machine",
    "refrigerator",
    "water_heater",
    "flat_tv",
    "tv",
    "computer",
    "phone",
    "network_equipment",
]
CHANNELS = ("phone", "portal", "walk_in", "email", "social", "sales_visit", "system")
CAUSES = (
    "promise_not_kept",
    "product_quality",
    "expectation_gap",
    "attitude",
    "delivery_error",
    "not_our_fault",
    "other",
    "",
)


def build(say=print) -> dict[str, int]:
    """Fill the three rollups (and the customers the moods need) for the bench data set."""
    from django.db import connection, transaction

    from kefu.accounts.models import Team, User

    if connection.vendor != "postgresql":
        raise SystemExit("this bench runs on PostgreSQL (DATABASE_URL=postgresql://…)")
    started = time.perf_counter()
    per_week = ANSWERS / WEEKS
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL work_mem = '256MB'")
        cursor.execute(
            "TRUNCATE feedback_satisfactiontally, complaints_complainttally, feedback_customermood"
        )
        # Users and teams named in the keys (their names are the labels the figure reads).
        User.objects.filter(username__startswith="bench-sat-").delete()
        Team.objects.filter(name__startswith="bench·组").delete()
        cursor.execute(
            """
            INSERT INTO accounts_user (password, is_superuser, username, first_name, last_name, email,
                                       is_staff,
                                       is_active, date_joined, display_name, phone)
            SELECT '!', false, 'bench-sat-' || n, '', '', '', false, true, now(), '坐席' || n, ''
            FROM generate_series(1, %s) n
            """,
            [AGENTS + TECHNICIANS],
        )
        cursor.execute("SELECT id FROM accounts_user WHERE username LIKE 'bench-sat-%%' ORDER BY id")
        users = [row[0] for row in cursor.fetchall()]
        agents, technicians = users[:AGENTS], users[AGENTS:]
        cursor.execute(
            "INSERT INTO accounts_team (name, created_at, updated_at) "
            "SELECT 'bench·组' || n, now(), now() FROM generate_series(1, %s) n",
            [TEAMS],
        )
        cursor.execute("SELECT id FROM accounts_team WHERE name LIKE 'bench·组%%' ORDER BY id")
        teams = [row[0] for row in cursor.fetchall()]

        def dimension(name: str, keys: list[str], share: float, spread: str) -> None:
            """One row per week and key: the week's answers × share split evenly over the keys,
            not satisfied 3–8 % varying with `spread` (an SQL expression of k.ord and w)."""
            cursor.execute(
                f"""
                INSERT INTO feedback_satisfactiontally (week, dimension, key, answered, dissatisfied)
                SELECT %s::date + w * 7, %s, k.key, a.n, (a.n * ({spread.replace("%", "%%")}) / 1000.0)::int
                FROM generate_series(0, %s - 1) w
                CROSS JOIN unnest(%s::text[]) WITH ORDINALITY AS k(key, ord)
                CROSS JOIN LATERAL (
                    SELECT GREATEST(1, (%s * (0.7 + ((w * 3 + k.ord * 13) %% 7) / 10.0))::int) AS n
                ) a
                """,
                [FIRST_WEEK, name, WEEKS, keys, per_week * share / len(keys)],
            )

        dimension("all", [""], 1.0, "50")
        dimension("agent", [str(pk) for pk in agents], 1.0, "30 + (k.ord % 6) * 10")
        dimension("technician", [str(pk) for pk in technicians], 0.5, "30 + (k.ord % 5) * 10")
        dimension("team", [str(pk) for pk in teams], 1.0, "35 + (k.ord % 4) * 10")
        dimension("region", PROVINCES, 1.0, "30 + (k.ord % 6) * 10")
        dimension("category", CATEGORIES, 1.0, "40 + (k.ord % 3) * 10")
        dimension("channel", list(CHANNELS), 1.0, "40 + (k.ord % 4) * 5")
        cursor.execute(
            """
            INSERT INTO complaints_complainttally (week, cause, complaints, resolved_not_our_fault)
            SELECT %s::date + w * 7, c.cause, n,
                   CASE WHEN c.cause = 'not_our_fault' THEN (n * 0.7)::int ELSE 0 END
            FROM generate_series(0, %s - 1) w
            CROSS JOIN unnest(%s::text[]) WITH ORDINALITY AS c(cause, ord)
            CROSS JOIN LATERAL (SELECT (%s / %s * (9 - c.ord) / 36.0 * (0.8 + (w %% 5) / 10.0))::int AS n) a
            """,
            [FIRST_WEEK, WEEKS, list(CAUSES), COMPLAINTS, WEEKS],
        )
        # The customers the moods name (bench rows: a name, the defaults), then the moods.
        cursor.execute("SELECT COUNT(*) FROM customers_customer WHERE notes = 'bench-sat'")
        have = cursor.fetchone()[0]
        if have < CUSTOMERS:
            cursor.execute(
                """
                INSERT INTO customers_customer (created_at, updated_at, version, name, tier, email,
                    preferred_channel, preferred_time, notes)
                SELECT now(), now(), 1, '客户' || n, CASE WHEN n %% 20 = 0 THEN 'vip' ELSE 'regular' END, '',
                    'phone', '', 'bench-sat'
                FROM generate_series(1, %s) n
                """,
                [CUSTOMERS - have],
            )
        last_moment = datetime.datetime.combine(
            FIRST_WEEK + datetime.timedelta(weeks=WEEKS), datetime.time(), tzinfo=datetime.UTC
        )
        cursor.execute(
            """
            INSERT INTO feedback_customermood (customer_id, last_unhappy_at, unhappy_ticket_id, last_happy_at)
            SELECT id,
                   CASE WHEN r < %s THEN %s - (hashint8(id) %% (%s * 86400)) * interval '1 second' END,
                   NULL,
                   CASE WHEN r >= %s OR r %% 3 = 0
                        THEN %s - (hashint8(id * 7) %% (%s * 86400)) * interval '1 second' END
            FROM (SELECT id, row_number() OVER (ORDER BY id) - 1 AS r FROM customers_customer
                  WHERE notes = 'bench-sat') c
            """,
            [
                UNHAPPY_CUSTOMERS,
                last_moment,
                WEEKS * 7,
                UNHAPPY_CUSTOMERS,
                last_moment,
                WEEKS * 7,
            ],
        )
    with connection.cursor() as cursor:
        for table in (
            "feedback_satisfactiontally",
            "complaints_complainttally",
            "feedback_customermood",
            "customers_customer",
        ):
            cursor.execute(f"ANALYZE {table}")
        counts = {}
        for table in ("feedback_satisfactiontally", "complaints_complainttally", "feedback_customermood"):
            cursor.execute(f"SELECT COUNT(*) FROM {table}")
            counts[table] = cursor.fetchone()[0]
        cursor.execute(
            "SELECT SUM(answered), SUM(dissatisfied) FROM feedback_satisfactiontally WHERE dimension = 'all'"
        )
        counts["answers"], counts["not satisfied"] = cursor.fetchone()
        cursor.execute("SELECT SUM(complaints) FROM complaints_complainttally")
        counts["complaints"] = cursor.fetchone()[0]
    say(f"  rollups built in {time.perf_counter() - started:.1f} s: {counts}")
    return counts


def _timed(call, samples: int, warmup: int, backend: int | None):
    for _ in range(warmup):
        call()
    times, cpu = [], []
    backend_started = _backend_cpu_seconds(backend)
    for _ in range(samples):
        started, cpu_started = time.perf_counter(), time.process_time()
        call()
        times.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - cpu_started) * 1000)
    backend_ms = (_backend_cpu_seconds(backend) - backend_started) * 1000 / samples if backend else None
    return times, cpu, backend_ms


def _manager():
    from django.contrib.auth.models import Group

    from kefu.accounts.models import User
    from kefu.accounts.roles import sync_roles

    manager = User.objects.filter(username="bench-sat-manager").first()
    if manager is None:
        sync_roles()
        manager = User.objects.create_user(username="bench-sat-manager", password="unused-bench-only")
        manager.groups.add(Group.objects.get(name="manager"))
    return manager


def measure(*, samples: int = 40, warmup: int = 4, say=print) -> list[Figure]:
    from django.db import connection
    from django.test import Client

    backend = None
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        backend = cursor.fetchone()[0]
    client = Client()
    client.force_login(_manager())
    last_day = FIRST_WEEK + datetime.timedelta(weeks=WEEKS) - datetime.timedelta(days=1)
    year = {"from": (last_day - datetime.timedelta(days=363)).isoformat(), "to": last_day.isoformat()}
    whole = {"from": FIRST_WEEK.isoformat(), "to": last_day.isoformat()}
    cases = [
        (
            "dissatisfied-per-hundred?by=agent, one year",
            "figures/dissatisfied-per-hundred",
            {**year, "by": "agent"},
        ),
        (
            "dissatisfied-per-hundred?by=agent, three years",
            "figures/dissatisfied-per-hundred",
            {**whole, "by": "agent"},
        ),
        (
            "dissatisfied-per-hundred?by=technician, one year",
            "figures/dissatisfied-per-hundred",
            {**year, "by": "technician"},
        ),
        (
            "dissatisfied-per-hundred?by=team, one year",
            "figures/dissatisfied-per-hundred",
            {**year, "by": "team"},
        ),
        (
            "dissatisfied-per-hundred?by=region, three years",
            "figures/dissatisfied-per-hundred",
            {**whole, "by": "region"},
        ),
        (
            "dissatisfied-per-hundred?by=category, one year",
            "figures/dissatisfied-per-hundred",
            {**year, "by": "category"},
        ),
        (
            "dissatisfied-per-hundred?by=channel, one year",
            "figures/dissatisfied-per-hundred",
            {**year, "by": "channel"},
        ),
        (
            "dissatisfied-per-hundred?by=week, three years",
            "figures/dissatisfied-per-hundred",
            {**whole, "by": "week"},
        ),
        ("consistency, one year", "figures/consistency", year),
        ("consistency, three years", "figures/consistency", whole),
        ("complaint-causes, three years", "figures/complaint-causes", whole),
        ("iceberg, three years", "figures/iceberg", whole),
        ("at-risk-customers, 90 days, first page", "figures/at-risk-customers", {"days": 90}),
        ("at-risk-customers, 3 years, first page", "figures/at-risk-customers", {"days": 1095}),
        (
            "exports/dissatisfied-per-hundred?by=agent, one year",
            "exports/dissatisfied-per-hundred",
            {**year, "by": "agent"},
        ),
    ]
    figures = []
    for label, path, params in cases:
        url = f"/api/v1/{path}"

        def fetch(url=url, params=params):
            response = client.get(url, params)
            if response.status_code != 200:
                raise RuntimeError(f"GET {url} answered {response.status_code}: {response.content[:200]!r}")
            return response

        counter = QueryCounter()
        with connection.execute_wrapper(counter):
            first = fetch()
        rows = (
            len(first.json().get("rows", first.json().get("items", [])))
            if path.startswith("figures")
            else None
        )
        times, cpu, backend_ms = _timed(fetch, samples, warmup, backend)
        name = f"GET /api/v1/{label}"
        p95 = percentile(times, 95)
        figures += [
            Figure(f"{name}: p50", round(percentile(times, 50), 2), "ms", "(info)", None),
            Figure(f"{name}: p95", round(p95, 2), "ms", f"< {TARGET_MS:g} ms", p95 < TARGET_MS),
            Figure(f"{name}: process CPU p95", round(percentile(cpu, 95), 2), "ms", "(info)", None),
            Figure(f"{name}: statements", counter.count, "queries", "(info, constant)", None),
        ]
        if rows is not None:
            figures.append(Figure(f"{name}: rows answered", rows, "rows", "(info)", None))
        if backend_ms is not None:
            figures.append(
                Figure(f"{name}: PostgreSQL backend CPU per call", round(backend_ms, 2), "ms", "(info)", None)
            )
        say(f"  {label}: p50 {percentile(times, 50):.1f} ms, p95 {p95:.1f} ms")
    return figures


def main() -> None:
    sys.path.insert(0, str(REPO_DIR / "src"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kefu.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    settings.DEBUG = False
    print(f"load average before: {Path('/proc/loadavg').read_text().strip()}")
    if "--measure-only" not in sys.argv:
        build()
    for figure in measure():
        mark = "" if figure.met is None else ("  met" if figure.met else "  MISSED")
        print(f"{figure.name}: {figure.value:,} {figure.unit}  (target {figure.target}){mark}")
    print(f"load average after: {Path('/proc/loadavg').read_text().strip()}")


if __name__ == "__main__":
    main()
