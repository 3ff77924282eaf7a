"""Follow-up generation over 1M resolved tickets (issue 14: "< 30 s on PostgreSQL, set-based").

A data set of its own, built in a few set-based statements (no generator run: `generate_data`
resolves only a third to a half of its tickets, so ≥ 1M resolved would take 2–3M generated
tickets): 200 agents in 20 teams with supervisors (every tenth agent inactive, so a tenth of the
follow-ups fall to the supervisor), 10,000 customers (one in ten VIP), and N tickets (default
1,000,000) resolved over the last 30 days, of four types (repair, installation, complaint,
consultation), so that every branch of the rules (type and tier, type, tier, any) is taken. No
follow-up exists yet: the hook is not run for rows inserted by SQL.

Then, each one transaction (feedback.services_followups.generate_follow_ups, the statement the
hourly task and `manage.py generate_follow_ups` run):
- "first run": every resolved ticket's follow-up, one INSERT … SELECT per 50,000 ticket ids
  (N rows);
- "first run, 2 connections": the same again (the follow-ups emptied first) with two connections
  sharing the batches (`--workers 2`), as on a machine with two cores;
- "again": nothing left to make (the anti-join over N tickets, no row written);
- "a 30-day window": the hourly task's window (every ticket is in it here: the cost of the
  anti-join only).

For each: wall time beside the target, the Python process's CPU time, the PostgreSQL backend's
CPU time (/proc: the database runs on this machine), the statements sent and the rows written.
Record the load average beside them (printed before and after).

Run alone (PostgreSQL only; the database is created if missing and the tickets reused later):
    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/kefu_sat_s2_bench \\
        python -m bench.follow_up_generation [--tickets 1000000]
"""

import argparse
import datetime
import os
import time

from bench import Figure
from bench.promise_sweep import _backend_cpu_s, _ensure_database, _insert_select, _scalar, _sql

TARGET_S = 30.0
AGENTS, TEAMS, CUSTOMERS = 200, 20, 10_000
SPREAD_DAYS = 30
TYPES = ("repair", "installation", "complaint", "consultation")
MARK = "bench-follow-up"


def build(tickets: int, say=print) -> int:
    """The resolved tickets (once: reused when they are there); the follow-ups are emptied."""
    from django.contrib.auth.models import Group
    from django.db import transaction

    from kefu.accounts.models import Team, User
    from kefu.customers.models import Customer
    from kefu.tickets.models import Ticket

    _sql("TRUNCATE feedback_followup")
    existing = Ticket.objects.filter(subject=MARK).count()
    if existing >= tickets:
        say(f"  reusing {existing:,} resolved tickets")
        return existing
    if existing:
        raise RuntimeError("a partial data set: drop the database and start again")
    started = time.perf_counter()
    now = datetime.datetime.now(datetime.UTC).replace(microsecond=0)
    with transaction.atomic():
        agent_group, supervisor_group = Group.objects.get(name="agent"), Group.objects.get(name="supervisor")
        supervisors = User.objects.bulk_create(User(username=f"bench-fu-sup-{i:02d}") for i in range(TEAMS))
        supervisor_group.user_set.add(*supervisors)
        teams = Team.objects.bulk_create(
            Team(name=f"bench follow-up team {i:02d}", supervisor=supervisor)
            for i, supervisor in enumerate(supervisors)
        )
        agents = User.objects.bulk_create(
            User(username=f"bench-fu-agt-{i:03d}", team=teams[i % TEAMS], is_active=i % 10 != 0)
            for i in range(AGENTS)
        )
        agent_group.user_set.add(*agents)
        customers = Customer.objects.bulk_create(
            Customer(name=f"回访基准客户{i}", tier="vip" if i % 10 == 0 else "regular")
            for i in range(CUSTOMERS)
        )
    agent_ids = "ARRAY[" + ",".join(str(agent.pk) for agent in agents) + "]"
    team_ids = "ARRAY[" + ",".join(str(agent.team_id) for agent in agents) + "]"
    customer_ids = "ARRAY[" + ",".join(str(customer.pk) for customer in customers) + "]"
    types = "ARRAY[" + ",".join(f"'{code}'" for code in TYPES) + "]"
    spread = SPREAD_DAYS * 86400
    resolved = (
        f"(%(now)s::timestamptz - make_interval(secs => (({tickets} - g)::float8 / {tickets}) * {spread}))"
    )
    opened = f"({resolved} - interval '2 days')"
    with transaction.atomic():
        statement = _insert_select(
            Ticket,
            {
                "version": "1",
                "created_at": opened,
                "updated_at": resolved,
                "number": "'KF' || lpad(g::text, 10, '0')",
                "customer_id": f"({customer_ids})[1 + mod(g, {CUSTOMERS})]",
                "channel": "'phone'",
                "type": f"({types})[1 + mod(g, {len(TYPES)})]",
                "priority": "'normal'",
                "status": "'resolved'",
                "subject": f"'{MARK}'",
                "description": "''",
                "owner_id": f"({agent_ids})[1 + mod(g, {AGENTS})]",
                "team_id": f"({team_ids})[1 + mod(g, {AGENTS})]",
                "last_activity_at": resolved,
                "resolved_at": resolved,
            },
            f"FROM generate_series(1, {tickets}) AS g",
        )
        with_now = statement.replace("%(now)s", "%s")
        _sql(with_now, [now] * with_now.count("%s"))
    _sql("ANALYZE")
    say(f"  {tickets:,} resolved tickets built in {time.perf_counter() - started:.0f} s")
    return tickets


def measure(tickets: int = 1_000_000, say=print) -> list[Figure]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from kefu.feedback import services_followups

    if connection.vendor != "postgresql":
        say("  follow-up generation is measured on PostgreSQL only")
        return []
    count = build(tickets, say=say)
    figures = [Figure("follow-up generation: resolved tickets", count, "tickets", "(info)", None)]
    window = timezone.now() - datetime.timedelta(days=SPREAD_DAYS + 1)
    runs = (
        ("first run", None, 1),
        ("first run, 2 connections", None, 2),
        ("again (nothing to make)", None, 1),
        ("a 30-day window", window, 1),
    )
    for label, since, workers in runs:
        if workers > 1:
            _sql("TRUNCATE feedback_followup")
        backend_before = _backend_cpu_s()
        wall, cpu = time.perf_counter(), time.process_time()
        with CaptureQueriesContext(connection) as queries:
            created = services_followups.generate_follow_ups(resolved_since=since, workers=workers)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        # The worker threads' backends are gone when the run ends: with 2 connections the backend
        # CPU below is this connection's only (the min/max ids and the audit row).
        backend = _backend_cpu_s() - backend_before
        say(f"  {label}: {created:,} follow-ups in {wall:.2f} s ({len(queries)} statements)")
        name = f"follow-up generation over {count:,} resolved tickets, {label}"
        figures += [
            Figure(f"{name}: wall", round(wall, 3), "s", f"< {TARGET_S:g} s", wall < TARGET_S),
            Figure(f"{name}: Python CPU", round(cpu, 3), "s", "(info)", None),
            Figure(f"{name}: PostgreSQL backend CPU", round(backend, 3), "s", "(info)", None),
            Figure(f"{name}: statements", len(queries), "statements", "(info)", None),
            Figure(f"{name}: follow-ups made", created, "follow-ups", "(info)", None),
        ]
    by_assignee = _scalar(
        "SELECT COUNT(*) FROM feedback_followup f JOIN accounts_user u ON u.id = f.assignee_id "
        "WHERE u.username LIKE 'bench-fu-sup-%%'"
    )
    say(f"  of which to supervisors (inactive owners): {by_assignee:,}")
    return figures


def main() -> None:
    import sys

    from bench import REPO_DIR

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=1_000_000)
    args = parser.parse_args()
    sys.path.insert(0, str(REPO_DIR / "src"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kefu.settings")
    import django

    django.setup()
    from django.conf import settings

    settings.DEBUG = False
    _ensure_database()
    with open("/proc/loadavg") as loadavg:
        print(f"load average before: {loadavg.read().strip()}")
    for figure in measure(args.tickets):
        print(f"{figure.name}: {figure.value:g} {figure.unit}  (target {figure.target}, met {figure.met})")
    with open("/proc/loadavg") as loadavg:
        print(f"load average after: {loadavg.read().strip()}")


if __name__ == "__main__":
    main()
