"""The breach sweep over 1M open tickets (issue 13: "< 10 s on PostgreSQL, memory flat").

A data set of its own, built in a few set-based statements (no generator run needed): 200 agents
in 20 teams with supervisors, a service director for every team, 10,000 customers, N open tickets
(default 1,000,000) opened over the last three days, each with two promises of one 24/7 policy —
a first response already met, and a resolution due 72 hours after opening (so resolutions fall
due evenly, about N/4320 a minute) — and Ticket.due_at set. Then sweeps, each one transaction,
as the scheduler runs them (promises.sweep.sweep):

- "a minute's sweep": one minute after the last run (steady state: the promises that fell due in
  that minute, and the chain climbing for those breached before);
- "after an hour down": the worker stopped for an hour (60 minutes' breaches at once);
- "after a day down": a day's breaches and every level up to HQ.

For each: wall time beside the target, the Python process's CPU time, the PostgreSQL backend's CPU
time (read from /proc: the database runs on this machine), the rows it wrote, and the peak
resident memory of the process before and after (flat: it does not grow with the rows swept — the
sweep moves no rows through Python). Record the load average beside them (the runner prints it).

Run alone (PostgreSQL only; the database is created if missing and reused later):
    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/kefu_bench_promises \
        python -m bench.promise_sweep [--tickets 1000000]
"""

import argparse
import datetime
import os
import resource
import time

from bench import Figure

TARGET_S = 10.0
AGENTS, TEAMS, CUSTOMERS = 200, 20, 10_000
SPREAD_HOURS = 72  # tickets opened over the last three days; resolution due 72 h after opening
MARK = "bench-sweep"


def _sql(statement: str, params=()) -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(statement, list(params))
        return cursor.rowcount


def _scalar(statement: str, params=()):
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(statement, list(params))
        return cursor.fetchone()[0]


def _literal(value) -> str:
    import json

    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, dict | list):
        return "'" + json.dumps(value).replace("'", "''") + "'"
    return "'" + str(value).replace("'", "''") + "'"


def _insert_select(model, values: dict[str, str], source: str) -> str:
    """INSERT INTO model's table (every concrete column) SELECT …: `values` gives SQL per column;
    the others take NULL or their default (as a literal), so new columns need no change here."""
    from django.db import connection

    columns, expressions = [], []
    for field in model._meta.concrete_fields:
        if field.primary_key and field.column not in values:
            continue
        columns.append(connection.ops.quote_name(field.column))
        if field.column in values:
            expressions.append(values[field.column])
        elif field.null:
            expressions.append("NULL")
        elif field.has_default():
            expressions.append(_literal(field.get_default()))
        else:
            raise RuntimeError(f"{model.__name__}.{field.name}: say what to put in it")
    return (
        f"INSERT INTO {model._meta.db_table} ({', '.join(columns)}) SELECT {', '.join(expressions)} {source}"
    )


def build(tickets: int, say=print) -> dict:
    """The data set (once: reused when it is there)."""
    from django.contrib.auth.models import Group
    from django.db import transaction

    from kefu.accounts.models import Team, User
    from kefu.customers.models import Customer
    from kefu.promises.models import (
        CalendarKind,
        EscalationContact,
        PolicyTarget,
        PromisePolicy,
        TicketPromise,
        WorkCalendar,
    )
    from kefu.tickets.models import Ticket

    existing = Ticket.objects.filter(subject=MARK).count()
    if existing >= tickets:
        say(f"  reusing {existing:,} tickets")
        return {"tickets": existing, "now": _scalar("SELECT MAX(created_at) FROM tickets_ticket")}
    if existing:
        raise RuntimeError("a partial data set: drop the database and start again")
    started = time.perf_counter()
    now = datetime.datetime.now(datetime.UTC).replace(microsecond=0)
    with transaction.atomic():
        PromisePolicy.objects.update(active=False)
        calendar = WorkCalendar.objects.create(name="bench 7×24", kind=CalendarKind.ALWAYS)
        policy = PromisePolicy.objects.create(
            name="bench policy", calendar=calendar, escalate_supervisor_after=60, escalate_director_after=240
        )
        PolicyTarget.objects.bulk_create(
            [
                PolicyTarget(policy=policy, kind="first_response", minutes=120),
                PolicyTarget(policy=policy, kind="resolution", minutes=SPREAD_HOURS * 60),
            ]
        )
        agent_group, supervisor_group = Group.objects.get(name="agent"), Group.objects.get(name="supervisor")
        supervisors = User.objects.bulk_create(User(username=f"bench-sup-{i:02d}") for i in range(TEAMS))
        supervisor_group.user_set.add(*supervisors)
        teams = Team.objects.bulk_create(
            Team(name=f"bench team {i:02d}", supervisor=supervisor)
            for i, supervisor in enumerate(supervisors)
        )
        agents = User.objects.bulk_create(
            User(username=f"bench-agt-{i:03d}", team=teams[i % TEAMS]) for i in range(AGENTS)
        )
        agent_group.user_set.add(*agents)
        director = User.objects.create(username="bench-director")
        EscalationContact.objects.create(level=3, team=None, user=director)
        customers = Customer.objects.bulk_create(Customer(name=f"基准客户{i}") for i in range(CUSTOMERS))
    agent_ids = "ARRAY[" + ",".join(str(agent.pk) for agent in agents) + "]"
    team_ids = "ARRAY[" + ",".join(str(agent.team_id) for agent in agents) + "]"
    customer_ids = "ARRAY[" + ",".join(str(customer.pk) for customer in customers) + "]"
    say(f"  {AGENTS} agents, {TEAMS} teams, {CUSTOMERS:,} customers")
    spread = SPREAD_HOURS * 3600
    # Ticket g is opened (g / N) of three days ago … now; its owner and customer by g.
    opened = (
        f"(%(now)s::timestamptz - make_interval(secs => (({tickets} - g)::float8 / {tickets}) * {spread}))"
    )
    with transaction.atomic():
        statement = _insert_select(
            Ticket,
            {
                "version": "1",
                "created_at": opened,
                "updated_at": opened,
                "number": "'KF' || lpad(g::text, 10, '0')",  # KF + 10 digits, as the addresses expect
                "customer_id": f"({customer_ids})[1 + mod(g, {CUSTOMERS})]",
                "channel": "'phone'",
                "type": "'repair'",
                "priority": "'normal'",
                "status": "'open'",
                "subject": f"'{MARK}'",
                "description": "''",
                "owner_id": f"({agent_ids})[1 + mod(g, {AGENTS})]",
                "team_id": f"({team_ids})[1 + mod(g, {AGENTS})]",
                "last_activity_at": opened,
                "due_at": f"{opened} + interval '{SPREAD_HOURS} hours'",
            },
            f"FROM generate_series(1, {tickets}) AS g",
        )
        with_now = statement.replace("%(now)s", "%s")
        _sql(with_now, [now] * with_now.count("%s"))
        say(f"  {tickets:,} open tickets in {time.perf_counter() - started:.0f} s")
        for kind, minutes, met in (("first_response", 120, True), ("resolution", SPREAD_HOURS * 60, False)):
            _sql(
                _insert_select(
                    TicketPromise,
                    {
                        "ticket_id": "t.id",
                        "kind": f"'{kind}'",
                        "policy_id": str(policy.pk),
                        "minutes": str(minutes),
                        "started_at": "t.created_at",
                        "due_at": f"t.created_at + interval '{minutes} minutes'",
                        "met_at": "t.created_at + interval '30 minutes'" if met else "NULL",
                    },
                    f"FROM tickets_ticket t WHERE t.subject = '{MARK}'",
                )
            )
    _sql("ANALYZE")
    say(f"  data set built in {time.perf_counter() - started:.0f} s")
    return {"tickets": tickets, "now": now}


def _backend_cpu_s() -> float:
    """The CPU seconds this connection's PostgreSQL backend has used (utime + stime)."""
    pid = _scalar("SELECT pg_backend_pid()")
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure(tickets: int = 1_000_000, say=print) -> list[Figure]:
    from django.db import connection

    from kefu.promises import sweep

    if connection.vendor != "postgresql":
        say("  the sweep is measured on PostgreSQL only")
        return []
    data = build(tickets, say=say)
    start = data["now"]
    # Begin where the data set stands: what fell due before it was built is swept first (not measured).
    sweep.sweep(now=start)
    figures = [Figure("promise sweep: open tickets", data["tickets"], "tickets", "(info)", None)]
    moments = (
        ("a minute's sweep", start + datetime.timedelta(minutes=1)),
        ("a minute's sweep, again", start + datetime.timedelta(minutes=2)),
        ("after an hour down", start + datetime.timedelta(minutes=62)),
        ("after a day down", start + datetime.timedelta(hours=25, minutes=2)),
    )
    for label, moment in moments:
        rss_before = _peak_rss_mb()
        backend_before = _backend_cpu_s()
        wall, cpu = time.perf_counter(), time.process_time()
        result = sweep.sweep(now=moment)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        backend = _backend_cpu_s() - backend_before
        rss_after = _peak_rss_mb()
        escalated = sum(result.escalated.values())
        say(f"  {label}: {result.counts} in {wall:.2f} s")
        name = f"promise sweep over {data['tickets']:,} open tickets, {label}"
        figures += [
            Figure(f"{name}: wall", round(wall, 3), "s", f"< {TARGET_S:g} s", wall < TARGET_S),
            Figure(f"{name}: Python CPU", round(cpu, 3), "s", "(info)", None),
            Figure(f"{name}: PostgreSQL backend CPU", round(backend, 3), "s", "(info)", None),
            Figure(f"{name}: breaches marked", result.breached, "promises", "(info)", None),
            Figure(f"{name}: escalations written", escalated, "escalations", "(info)", None),
            Figure(f"{name}: people told", result.notified, "people", "(info)", None),
            Figure(
                f"{name}: peak memory growth",
                round(rss_after - rss_before, 1),
                "MB",
                "flat (< 20 MB)",
                rss_after - rss_before < 20,
            ),
        ]
    return figures


def _ensure_database() -> None:
    """Create the database DATABASE_URL names if it is missing, and migrate it."""
    import psycopg
    from django.conf import settings
    from django.core.management import call_command

    name = settings.DATABASES["default"]["NAME"]
    options = {key: settings.DATABASES["default"][key] for key in ("HOST", "PORT", "USER")}
    with psycopg.connect(
        host=options["HOST"],
        port=options["PORT"] or 5432,
        user=options["USER"],
        dbname="postgres",
        autocommit=True,
    ) as admin:
        if not admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            admin.execute(f'CREATE DATABASE "{name}"')
    call_command("migrate", verbosity=0)


def main() -> None:
    import sys

    from bench import REPO_DIR

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=1_000_000)
    parser.add_argument("--build-only", action="store_true", help="Build the data set, measure nothing.")
    args = parser.parse_args()
    sys.path.insert(0, str(REPO_DIR / "src"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kefu.settings")
    import django

    django.setup()
    from django.conf import settings

    settings.DEBUG = False
    _ensure_database()
    if args.build_only:
        build(args.tickets)
        return
    with open("/proc/loadavg") as loadavg:
        print(f"load average before: {loadavg.read().strip()}")
    for figure in measure(args.tickets):
        print(f"{figure.name}: {figure.value:g} {figure.unit}  (target {figure.target}, met {figure.met})")
    with open("/proc/loadavg") as loadavg:
        print(f"load average after: {loadavg.read().strip()}")


if __name__ == "__main__":
    main()
