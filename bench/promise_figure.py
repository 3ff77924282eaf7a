"""The promise-kept figure over 10M tickets' promises (DESIGN.md: headline figures over 10M tickets
< 100 ms, from rollups kept current, not scans).

The figure reads PromiseTally, one row per day, policy and kind (promises.selectors.promise_kept),
so what it costs depends on the tally's rows, not on the tickets: 10M tickets opened over three
years under 24 policies with two to three promises each are about 25M promises settled on ~1,100
days, i.e. at most 1,100 x 24 x 3 ≈ 79k tally rows. This module builds that tally directly
(deterministic counts summing to 10M tickets' promises; building 10M tickets is the generator's
job and does not change what this figure reads), then measures in-process:
- the selector over 30 days, one year, and the whole three years, every policy and kind;
- the same with a policy and a kind chosen (the filters the page and the API offer);
- the API answer `GET /api/v1/figures/promise-kept` (one year), signed in as a manager;
p50/p95 wall time, process CPU p95, and on PostgreSQL the backend's CPU per call (from
/proc/<pid>/stat of this connection's backend: server and client on one machine).

Run: `DATABASE_URL=postgresql://postgres@127.0.0.1:5432/kefu_f2_bench python -m bench.promise_figure`
(migrates the database, refills the tally on each run). Record `cat /proc/loadavg` beside it.
"""

import datetime
import os
import sys
import time
from pathlib import Path

from bench import REPO_DIR, Figure, QueryCounter, percentile

TARGET_MS = 100.0
TICKETS = 10_000_000
DAYS = 1_096  # three years
POLICIES = 24
FIRST_DAY = datetime.date(2024, 1, 1)


def _ticks() -> int:
    return os.sysconf("SC_CLK_TCK")


def _backend_cpu_seconds(pid: int | None) -> float:
    if pid is None:
        return 0.0
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / _ticks()


def build(say=print) -> int:
    """Policies and a three-year tally whose counts add up to 10M tickets' promises: returns the
    number of settled promises it holds."""
    from django.db import connection, transaction

    from kefu.promises.models import PolicyTarget, PromisePolicy, PromiseTally, WorkCalendar

    with transaction.atomic():
        PromiseTally.objects.filter(policy__name__startswith="bench·").delete()
        PolicyTarget.objects.filter(policy__name__startswith="bench·").delete()
        PromisePolicy.objects.filter(name__startswith="bench·").delete()
        calendar, _ = WorkCalendar.objects.get_or_create(name="bench·全天候", defaults={"kind": "always"})
        policies = []
        for number in range(POLICIES):
            policy = PromisePolicy.objects.create(
                name=f"bench·政策{number:02d}", calendar=calendar, description="bench", active=True
            )
            PolicyTarget.objects.create(policy=policy, kind="first_response", minutes=120 + 30 * (number % 4))
            PolicyTarget.objects.create(policy=policy, kind="resolution", minutes=1440 * (1 + number % 3))
            if number % 2 == 0:  # half the policies promise an on-site arrival too
                PolicyTarget.objects.create(
                    policy=policy, kind="arrival", minutes=240 if number % 4 == 0 else 1440
                )
            policies.append(policy)
    per_ticket = 2.5  # first response and resolution, arrival for half
    settled = int(TICKETS * per_ticket)
    started = time.perf_counter()
    if connection.vendor == "postgresql":
        ids = [policy.pk for policy in policies]
        # One INSERT … SELECT: day x policy x kind, counts varying by day and policy, kept ~90%.
        with connection.cursor() as cursor:
            cursor.execute(
                """
                INSERT INTO promises_promisetally (day, policy_id, kind, kept, missed)
                SELECT %s::date + d, p.id, k.kind,
                       (n * 0.9)::int, n - (n * 0.9)::int
                FROM generate_series(0, %s - 1) AS d
                CROSS JOIN unnest(%s::bigint[]) WITH ORDINALITY AS p(id, ord)
                CROSS JOIN (VALUES ('first_response'), ('resolution'), ('arrival')) AS k(kind)
                CROSS JOIN LATERAL (
                    SELECT (%s / %s / %s * (0.6 + ((d * 7 + p.ord * 13) %% 9) / 10.0))::int AS n
                ) AS c
                WHERE k.kind <> 'arrival' OR p.ord %% 2 = 1
                """,
                [FIRST_DAY, DAYS, ids, settled, DAYS, POLICIES * 2.5],
            )
            cursor.execute("ANALYZE promises_promisetally")
    else:
        rows = []
        for d in range(DAYS):
            for ordinal, policy in enumerate(policies, start=1):
                for kind in ("first_response", "resolution", "arrival"):
                    if kind == "arrival" and ordinal % 2 == 0:
                        continue
                    n = int(settled / DAYS / (POLICIES * 2.5) * (0.6 + ((d * 7 + ordinal * 13) % 9) / 10.0))
                    rows.append(
                        PromiseTally(
                            day=FIRST_DAY + datetime.timedelta(days=d),
                            policy=policy,
                            kind=kind,
                            kept=int(n * 0.9),
                            missed=n - int(n * 0.9),
                        )
                    )
        PromiseTally.objects.bulk_create(rows, batch_size=5_000)
    say(f"  tally built in {time.perf_counter() - started:.1f} s")
    return settled


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


def measure(*, samples: int = 50, warmup: int = 5, say=print) -> list[Figure]:
    from django.db import connection
    from django.test import Client

    from kefu.accounts.models import User
    from kefu.promises import selectors
    from kefu.promises.models import PromisePolicy, PromiseTally

    tally_rows = PromiseTally.objects.count()
    last = FIRST_DAY + datetime.timedelta(days=DAYS - 1)
    policy = PromisePolicy.objects.filter(name__startswith="bench·").order_by("name").first()
    backend = None
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            backend = cursor.fetchone()[0]
    figures = [
        Figure("promise-kept figure: tally rows (3 years, 24 policies)", tally_rows, "rows", "(info)", None)
    ]
    cases = [
        ("30 days, every policy and kind", last - datetime.timedelta(days=29), None, None),
        ("one year, every policy and kind", last - datetime.timedelta(days=364), None, None),
        ("three years, every policy and kind", FIRST_DAY, None, None),
        ("three years, one policy, one kind", FIRST_DAY, policy.pk, "first_response"),
    ]
    for label, start, policy_id, kind in cases:

        def call(start=start, policy_id=policy_id, kind=kind):
            return selectors.promise_kept(date_from=start, date_to=last, policy=policy_id, kind=kind)

        counter = QueryCounter()
        with connection.execute_wrapper(counter):
            figure = call()
        settled = sum(row.settled for row in figure.kinds)
        times, cpu, backend_ms = _timed(call, samples, warmup, backend)
        name = f"promise-kept figure (selector), {label}"
        p95 = percentile(times, 95)
        figures += [
            Figure(f"{name}: promises counted", settled, "promises", "(info)", None),
            Figure(f"{name}: p50", round(percentile(times, 50), 2), "ms", "(info)", None),
            Figure(f"{name}: p95", round(p95, 2), "ms", f"< {TARGET_MS:g} ms", p95 < TARGET_MS),
            Figure(f"{name}: process CPU p95", round(percentile(cpu, 95), 2), "ms", "(info)", None),
            Figure(f"{name}: queries", counter.count, "queries", "2", counter.count == 2),
        ]
        if backend_ms is not None:
            figures.append(
                Figure(f"{name}: PostgreSQL backend CPU per call", round(backend_ms, 2), "ms", "(info)", None)
            )

    manager = User.objects.filter(groups__name="manager", is_active=True).first()
    if manager is None:
        from kefu.accounts.roles import sync_roles

        sync_roles()
        manager = User.objects.create_user(username="bench-figure-manager", password="unused-bench-only")
        from django.contrib.auth.models import Group

        manager.groups.add(Group.objects.get(name="manager"))
    client = Client()
    client.force_login(manager)
    params = {"from": (last - datetime.timedelta(days=364)).isoformat(), "to": last.isoformat()}

    def fetch():
        response = client.get("/api/v1/figures/promise-kept", params)
        if response.status_code != 200:
            raise RuntimeError(f"the API answered {response.status_code}: {response.content[:200]!r}")

    times, cpu, backend_ms = _timed(fetch, samples, warmup, backend)  # the client runs in-process
    name = "promise-kept figure through the API (GET /api/v1/figures/promise-kept, one year)"
    p95 = percentile(times, 95)
    figures += [
        Figure(f"{name}: p50", round(percentile(times, 50), 2), "ms", "(info)", None),
        Figure(f"{name}: p95", round(p95, 2), "ms", f"< {TARGET_MS:g} ms", p95 < TARGET_MS),
        Figure(f"{name}: process CPU p95", round(percentile(cpu, 95), 2), "ms", "(info)", None),
    ]
    if backend_ms is not None:
        figures.append(
            Figure(f"{name}: PostgreSQL backend CPU per call", round(backend_ms, 2), "ms", "(info)", None)
        )
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
    settled = build()
    print(f"  {settled:,} settled promises of {TICKETS:,} tickets in the tally")
    for figure in measure():
        mark = "" if figure.met is None else ("  met" if figure.met else "  MISSED")
        print(f"{figure.name}: {figure.value:,} {figure.unit}  (target {figure.target}){mark}")
    print(f"load average after: {Path('/proc/loadavg').read_text().strip()}")


if __name__ == "__main__":
    main()
