"""Opening tickets through the API under load (DESIGN.md: ≥ 300 tickets/s with 2 gunicorn workers,
p95 < 50 ms at 32 concurrent clients; decision 0024: locust).

The target's two halves hold together only at an offered rate. By Little's law, 32 clients that
send their next request as soon as the last is answered keep 32 requests in the system: at 300
tickets/s their mean latency is 32 / 300 = 107 ms, whatever the server does. So two runs, each
bounded, against 127.0.0.1, everything on this machine:

- gunicorn with the production configuration (gunicorn.conf.py: 2 sync workers, the app and
  jieba's dictionary preloaded), DEBUG off, on the data set's database, bound to 127.0.0.1 on a
  free port; worker recycling (max_requests) off for the run, so that the CPU time of the same
  processes is read before and after;
- a warm-up (a few clients, not counted);
- (a) **capacity**: locust, headless, USERS clients started at once, each sending
  `POST /api/v1/tickets` back to back (no think time) for SECONDS: what the two workers serve
  at most, with its p50/p95/p99 (the latency is mostly the queue of 32);
- (b) **paced**: the same USERS clients together offering RATE tickets/s (locust's
  `constant_throughput`, RATE / USERS each, each client starting at a random point of its
  period so that their requests do not arrive in bursts) for SECONDS: the tickets/s achieved
  and p50/p95/p99. That pair is the target: at least RATE × PACED_TOLERANCE achieved (locust's
  pacing loses a little at the start and the end) with p95 < 50 ms.

Each request is a new ticket as the benchmark agent with an API token and its own
`Idempotency-Key`, for a random customer of the data set and one of that customer's products.
For each run: the tickets the database gained, which must equal the creates gunicorn answered
with 201 (its access log; locust does not count the requests still in flight when it stops,
which the server answers after); the CPU time per ticket of the two workers and of their
PostgreSQL backends, and of locust itself (FastHttpUser, the lighter client: locust shares the
two cores with the server, as any client on this machine would).

Run alone on an existing data set: `python -m bench.ticket_open_load [--users 32] [--seconds 30]
[--rate 300]` with DATABASE_URL set.

`python -m bench.ticket_open_load --in-process 500 [--profile FILE]` measures one create without
HTTP, gunicorn or locust: the same request through Django's test client (the real URL and
middleware, DEBUG off, a token, an Idempotency-Key), one at a time after warm-ups, with the
process's CPU time per create (p50/p95), the PostgreSQL backends' CPU per create, the wall time
and the statements, and the **tail**: the time from the day's counter (whose row lock is held to
the commit, decision 0022) to the end of the commit, which concurrent openings cannot share, so
1 / tail bounds the rate whatever the CPU (decision 0028); `--profile` writes a cProfile of the
measured creates (CPU clock) to FILE.
"""

import argparse
import csv
import json
import os
import random
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from bench import REPO_DIR, Figure

TARGET_RATE = 300.0
TARGET_P95_MS = 50.0
# The paced run counts as reaching the rate it offers when it achieves this share of it.
PACED_TOLERANCE = 0.98
USERS = 32
SECONDS = 30
WORKERS = 2
WARMUP = 10
WARMUP_USERS = 4
CUSTOMERS = 2000  # customers (with a product) drawn for the requests

LOCUSTFILE = """
import json, random, uuid
import gevent
from locust import FastHttpUser, constant_throughput, task

with open({targets!r}) as handle:
    TARGETS = json.load(handle)
TOKEN = {token!r}
PER_CLIENT = {per_client!r}  # tickets per second per client; None: no think time
SUBJECTS = [
    "空调不制冷", "洗衣机漏水", "路由器频繁掉线", "冰箱压缩机响声大", "热水器打不着火", "电视黑屏有声音",
]


class Agent(FastHttpUser):
    if PER_CLIENT is None:
        # Each client sends its next request when the last one is answered.
        def wait_time(self):
            return 0
    else:
        wait_time = constant_throughput(PER_CLIENT)

        def on_start(self):
            # A random point of the period: the clients' requests spread out instead of
            # arriving together every 1 / PER_CLIENT seconds.
            gevent.sleep(random.uniform(0, 1 / PER_CLIENT))

    @task
    def open_ticket(self):
        customer, product = random.choice(TARGETS)
        subject = random.choice(SUBJECTS)
        self.client.post(
            "/api/v1/tickets",
            data=json.dumps({{
                "customer": customer,
                "product": product,
                "subject": subject,
                "description": subject + "，客户来电要求尽快上门。",
                "type": "repair",
                "channel": "phone",
            }}, ensure_ascii=False).encode(),
            headers={{
                "Authorization": "Bearer " + TOKEN,
                "Idempotency-Key": str(uuid.uuid4()),
                "Content-Type": "application/json",
            }},
            name="POST /api/v1/tickets",
        )
"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _targets(count: int, seed: int = 12) -> list[tuple[int, int]]:
    """(customer id, product id) pairs: random customers that own a product."""
    from kefu.customers.models import OwnedProduct

    top = OwnedProduct.objects.order_by("-id").values_list("id", flat=True).first() or 0
    rng = random.Random(seed)
    ids = sorted({rng.randrange(1, top + 1) for _ in range(count * 2)}) if top else []
    pairs = list(OwnedProduct.objects.filter(id__in=ids).values_list("customer_id", "id")[:count])
    if not pairs:
        raise RuntimeError("the data set has no products to open tickets for")
    return pairs


def _wait_until_up(url: str, process: subprocess.Popen, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn stopped with status {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2) as answer:
                if answer.status < 500:
                    return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"gunicorn did not answer {url} within {timeout:g} s")


def _environment(port: int) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("PYTEST")}
    env.update(
        {
            "DEBUG": "0",
            "SECRET_KEY": env.get("SECRET_KEY") or "bench-only-secret-key-not-for-production-0123456789",
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "SECURE_SSL_REDIRECT": "0",
            "GUNICORN_BIND": f"127.0.0.1:{port}",
            "WEB_CONCURRENCY": str(WORKERS),
            # No recycling during the run (0: never): the CPU time is read from the same
            # workers and PostgreSQL backends before and after. In production a worker is
            # replaced every 5000 requests, a fork of the preloaded master.
            "GUNICORN_MAX_REQUESTS": "0",
            "LOG_LEVEL": "WARNING",
        }
    )
    return env


def _cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time of the processes, from /proc (Linux), 0 for those gone."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15)
    return total / ticks


def _children_cpu_seconds() -> float:
    """User + system CPU time of this process's children that have ended (locust's runs)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _serving_pids(master: int) -> tuple[list[int], list[int]]:
    """gunicorn's workers, and the PostgreSQL backends serving them (same machine)."""
    from django.db import connection

    workers = [
        int(pid)
        for pid in subprocess.run(
            ["ps", "--ppid", str(master), "-o", "pid="], capture_output=True, text=True, check=False
        ).stdout.split()
    ]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() "
            "AND client_addr IS NOT NULL AND backend_type = 'client backend'"
        )
        backends = [row[0] for row in cursor.fetchall()]
    return workers, backends


def _stats(prefix: str) -> dict[str, float]:
    with open(f"{prefix}_stats.csv", newline="") as handle:
        for row in csv.DictReader(handle):
            if row["Name"] == "POST /api/v1/tickets":
                return {
                    "requests": float(row["Request Count"]),
                    "failures": float(row["Failure Count"]),
                    "rate": float(row["Requests/s"]),
                    "p50": float(row["50%"]),
                    "p95": float(row["95%"]),
                    "p99": float(row["99%"]),
                    "average": float(row["Average Response Time"]),
                }
    raise RuntimeError("locust wrote no statistics for the POST")


def _created(access_log: Path, offset: int) -> int:
    """The creates answered 201 in gunicorn's access log after `offset` (its default format:
    `… "POST /api/v1/tickets HTTP/1.1" 201 …`)."""
    with access_log.open("rb") as handle:
        handle.seek(offset)
        return sum(1 for line in handle if b'"POST /api/v1/tickets ' in line and b'" 201 ' in line)


def _settle(model, *, quiet: float = 1.0, timeout: float = 60.0) -> None:
    """Wait until no row of `model` has been added for `quiet` seconds (at most `timeout`)."""
    deadline = time.monotonic() + timeout
    count = model.objects.count()
    while time.monotonic() < deadline:
        time.sleep(quiet)
        now = model.objects.count()
        if now == count:
            return
        count = now


@dataclass
class Run:
    """One counted locust run: its statistics, what the database gained and the CPU it took."""

    stats: dict[str, float]
    gained: int
    created: int  # 201 answers in gunicorn's access log
    wall: float
    worker_cpu: float
    backend_cpu: float
    locust_cpu: float
    load_before: float
    load_after: float

    def per_ticket_ms(self, seconds: float) -> float:
        return seconds * 1000 / self.gained if self.gained else 0.0

    @property
    def succeeded(self) -> float:
        return self.stats["requests"] - self.stats["failures"]


class Load:
    """gunicorn serving the data set's database on a free port of 127.0.0.1, and locust runs
    against it."""

    def __init__(self, work: Path, port: int, env: dict[str, str], locust: str, token: str, targets) -> None:
        self.work, self.port, self.env, self.locust = work, port, env, locust
        self.token = token
        (work / "targets.json").write_text(json.dumps(targets))
        self.server: subprocess.Popen | None = None

    def start(self) -> None:
        self.server = subprocess.Popen(
            [
                str(Path(sys.executable).parent / "gunicorn"),
                "--config",
                "gunicorn.conf.py",
                "--access-logfile",
                str(self.work / "access.log"),
                "--error-logfile",
                str(self.work / "error.log"),
                "kefu.wsgi",
            ],
            cwd=REPO_DIR,
            env=self.env,
            start_new_session=True,
        )
        _wait_until_up(f"http://127.0.0.1:{self.port}/healthz", self.server)

    def stop(self) -> None:
        if self.server is not None:
            os.killpg(self.server.pid, signal.SIGTERM)
            self.server.wait(timeout=30)

    def locust_run(self, name: str, clients: int, seconds: int, per_client: float | None) -> None:
        locustfile = self.work / f"{name}.py"
        locustfile.write_text(
            LOCUSTFILE.format(
                targets=str(self.work / "targets.json"), token=self.token, per_client=per_client
            )
        )
        subprocess.run(
            [
                self.locust,
                "-f",
                str(locustfile),
                "--headless",
                "--users",
                str(clients),
                "--spawn-rate",
                str(clients),
                "--run-time",
                f"{seconds}s",
                "--host",
                f"http://127.0.0.1:{self.port}",
                "--csv",
                str(self.work / name),
                "--only-summary",
                "--loglevel",
                "WARNING",
            ],
            cwd=self.work,
            env={key: value for key, value in self.env.items() if key != "DATABASE_URL"},
            check=False,
            stdout=subprocess.DEVNULL,
        )

    def counted_run(self, name: str, clients: int, seconds: int, per_client: float | None) -> Run:
        from kefu.tickets.models import Ticket

        assert self.server is not None
        workers, backends = _serving_pids(self.server.pid)
        log_offset = (self.work / "access.log").stat().st_size
        before = Ticket.objects.count()
        worker_cpu, backend_cpu, locust_cpu = (
            _cpu_seconds(workers),
            _cpu_seconds(backends),
            _children_cpu_seconds(),
        )
        load_before = os.getloadavg()[0]
        started = time.perf_counter()
        self.locust_run(name, clients, seconds, per_client)
        wall = time.perf_counter() - started
        # Requests still queued when locust stopped are answered after it: wait for them, so
        # that the tickets and the CPU time counted are this run's, all of them.
        _settle(Ticket)
        worker_cpu = _cpu_seconds(workers) - worker_cpu
        backend_cpu = _cpu_seconds(backends) - backend_cpu
        locust_cpu = _children_cpu_seconds() - locust_cpu
        return Run(
            stats=_stats(str(self.work / name)),
            gained=Ticket.objects.count() - before,
            created=_created(self.work / "access.log", log_offset),
            wall=wall,
            worker_cpu=worker_cpu,
            backend_cpu=backend_cpu,
            locust_cpu=locust_cpu,
            load_before=load_before,
            load_after=os.getloadavg()[0],
        )


def _figures(label: str, run: Run, users: int, *, rate_target: str, rate_met: bool | None) -> list[Figure]:
    stats = run.stats
    failures = stats["failures"]
    return [
        Figure(f"{label}: tickets per second", round(stats["rate"], 1), "tickets/s", rate_target, rate_met),
        Figure(f"{label}: p50", round(stats["p50"], 1), "ms", "(info)", None),
        Figure(
            f"{label}: p95",
            round(stats["p95"], 1),
            "ms",
            f"< {TARGET_P95_MS:g} ms" if rate_met is not None else "(info)",
            stats["p95"] < TARGET_P95_MS if rate_met is not None else None,
        ),
        Figure(f"{label}: p99", round(stats["p99"], 1), "ms", "(info)", None),
        Figure(f"{label}: failed requests", failures, "requests", "0", failures == 0),
        # Requests still in flight when locust stops are answered after it stopped counting:
        # the server's own count of creates is the one to match.
        Figure(
            f"{label}: tickets written (= creates answered 201 in the access log)",
            run.gained,
            "tickets",
            f"{run.created}",
            run.gained == run.created and run.created >= run.succeeded,
        ),
        # What one ticket costs: on a quiet machine two cores serve at most about
        # 2000 / (workers + PostgreSQL) tickets per second, less locust's own share.
        Figure(
            f"{label}: CPU per ticket, gunicorn workers",
            round(run.per_ticket_ms(run.worker_cpu), 2),
            "ms",
            "(info)",
            None,
        ),
        Figure(
            f"{label}: CPU per ticket, PostgreSQL backends",
            round(run.per_ticket_ms(run.backend_cpu), 2),
            "ms",
            "(info)",
            None,
        ),
        Figure(
            f"{label}: CPU per ticket, locust (the client)",
            round(run.per_ticket_ms(run.locust_cpu), 2),
            "ms",
            "(info)",
            None,
        ),
        Figure(f"{label}: load average (1 minute) at the end", round(run.load_after, 1), "", "(info)", None),
    ]


def measure(
    username: str,
    *,
    users: int = USERS,
    seconds: int = SECONDS,
    rate: float = TARGET_RATE,
    say=print,
) -> list[Figure]:
    from django.db import connection

    from kefu.accounts.models import User
    from kefu.accounts.services import issue_token
    from kefu.tickets.models import Ticket

    if connection.vendor != "postgresql":
        say("  the load run is measured on PostgreSQL only (SQLite has one writer)")
        return []
    locust = shutil.which("locust", path=str(Path(sys.executable).parent)) or shutil.which("locust")
    if locust is None:
        raise RuntimeError("locust is not installed (requirements/dev.txt)")
    _token, raw = issue_token(user=User.objects.get(username=username), name="bench load")
    port = _free_port()
    work = Path(tempfile.mkdtemp(prefix="kefu-load-"))
    load = Load(work, port, _environment(port), locust, raw, _targets(CUSTOMERS))
    try:
        load.start()
        # Warm up: each worker's first requests open its database connections and fill what
        # it keeps per process. Not counted.
        say(f"  gunicorn ({WORKERS} workers) on 127.0.0.1:{port}; warming up for {WARMUP} s …")
        load.locust_run("warmup", WARMUP_USERS, WARMUP, None)
        _settle(Ticket)
        say(f"  (a) capacity: {users} clients, no think time, {seconds} s …")
        capacity = load.counted_run("capacity", users, seconds, None)
        say(f"  (b) paced: {users} clients offering {rate:g} tickets/s together, {seconds} s …")
        paced = load.counted_run("paced", users, seconds, rate / users)
    finally:
        load.stop()
    for name, run in (("capacity", capacity), ("paced", paced)):
        stats = run.stats
        say(
            f"  {name}: {stats['rate']:.1f} tickets/s, p50/p95/p99 {stats['p50']:g}/{stats['p95']:g}/"
            f"{stats['p99']:g} ms; {stats['requests']:,.0f} requests, {stats['failures']:,.0f} failed, "
            f"{run.gained:,} tickets written ({run.created:,} 201 answers logged) in {run.wall:.1f} s; "
            "CPU per ticket: workers "
            f"{run.per_ticket_ms(run.worker_cpu):.2f} ms, "
            f"PostgreSQL {run.per_ticket_ms(run.backend_cpu):.2f} ms, "
            f"locust {run.per_ticket_ms(run.locust_cpu):.2f} ms; load average {run.load_before:.1f} → "
            f"{run.load_after:.1f}"
        )
    say(f"  logs in {work}")
    base = f"open a ticket through the API, gunicorn {WORKERS} workers, {users} clients (locust, {seconds} s)"
    paced_rate = paced.stats["rate"]
    return [
        # (a) says what the two workers serve at most; its latency is the queue of `users`.
        *_figures(f"{base}, capacity (no think time)", capacity, users, rate_target="(info)", rate_met=None),
        # (b) is the target: the rate offered is served, and fast.
        *_figures(
            f"{base}, paced at {rate:g}/s offered",
            paced,
            users,
            rate_target=f">= {rate * PACED_TOLERANCE:g}/s of {rate:g}/s offered",
            rate_met=paced_rate >= rate * PACED_TOLERANCE and paced.stats["failures"] == 0,
        ),
    ]


def in_process(username: str, *, count: int, warmup: int = 30, profile: str | None = None, say=print) -> dict:
    """`count` creates through Django's test client, one at a time: CPU (this process), wall,
    the PostgreSQL backends' CPU and the statements per create."""
    import cProfile
    import statistics
    import uuid

    from django.db import connection, transaction
    from django.test import Client

    from bench import QueryCounter, load_average, percentile
    from kefu.accounts.models import User
    from kefu.accounts.services import issue_token

    _token, raw = issue_token(user=User.objects.get(username=username), name="bench in-process")
    targets = _targets(CUSTOMERS)
    rng = random.Random(7)
    client = Client(HTTP_AUTHORIZATION=f"Bearer {raw}")
    subjects = ["空调不制冷", "洗衣机漏水", "路由器频繁掉线", "冰箱压缩机响声大", "热水器打不着火"]

    def backends_cpu() -> float:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                "AND backend_type = 'client backend'"
            )
            pids = [row[0] for row in cursor.fetchall()]
        return _cpu_seconds(pids)

    tails: list[float] = []
    counter_taken: list[float] = []

    def watch(execute, sql, params, many, context):
        # The day's counter: from here to the end of the commit, openings go one at a time.
        if "tickets_ticketnumbercounter" in sql and not counter_taken:
            counter_taken.append(time.perf_counter())
            transaction.on_commit(lambda: tails.append((time.perf_counter() - counter_taken[0]) * 1000))
        return execute(sql, params, many, context)

    def one() -> tuple[int, int]:
        customer, product = rng.choice(targets)
        subject = rng.choice(subjects)
        counter_taken.clear()
        counter = QueryCounter()
        body = {
            "customer": customer,
            "product": product,
            "subject": subject,
            "description": subject + "，客户来电要求尽快上门。",
            "type": "repair",
            "channel": "phone",
        }
        with connection.execute_wrapper(counter), connection.execute_wrapper(watch):
            answer = client.post(
                "/api/v1/tickets",
                data=json.dumps(body, ensure_ascii=False),
                content_type="application/json",
                HTTP_IDEMPOTENCY_KEY=str(uuid.uuid4()),
            )
        return answer.status_code, counter.count

    for _ in range(warmup):
        status, _count = one()
        if status != 201:
            raise RuntimeError(f"the create answered {status}")
    tails.clear()
    cpu, wall, statements = [], [], []
    profiler = cProfile.Profile(time.process_time) if profile else None
    load_before = load_average()
    backend_before = backends_cpu()
    for _ in range(count):
        started_cpu, started = time.process_time(), time.perf_counter()
        if profiler:
            profiler.enable()
        status, queries = one()
        if profiler:
            profiler.disable()
        cpu.append((time.process_time() - started_cpu) * 1000)
        wall.append((time.perf_counter() - started) * 1000)
        statements.append(queries)
        if status != 201:
            raise RuntimeError(f"the create answered {status}")
    backend_ms = (backends_cpu() - backend_before) * 1000 / count
    if profiler:
        profiler.dump_stats(profile)
    result = {
        "cpu_p50": percentile(cpu, 50),
        "cpu_p95": percentile(cpu, 95),
        "cpu_mean": statistics.fmean(cpu),
        "wall_p50": percentile(wall, 50),
        "wall_p95": percentile(wall, 95),
        "backend_mean": backend_ms,
        "statements": sorted(set(statements)),
        "tail_p50": percentile(tails, 50) if tails else 0.0,
        "tail_p95": percentile(tails, 95) if tails else 0.0,
    }
    say(
        f"{count} creates in-process{' (profiled)' if profile else ''}: CPU p50/p95/mean "
        f"{result['cpu_p50']:.2f}/{result['cpu_p95']:.2f}/{result['cpu_mean']:.2f} ms, wall p50/p95 "
        f"{result['wall_p50']:.2f}/{result['wall_p95']:.2f} ms, PostgreSQL backends {backend_ms:.2f} ms per "
        f"create, statements {result['statements']}; the tail (counter to commit) p50/p95 "
        f"{result['tail_p50']:.2f}/{result['tail_p95']:.2f} ms, so at most "
        f"{1000 / max(result['tail_p50'], 0.001):.0f} openings/s; "
        f"load average {load_before} → {load_average()}"
    )
    return result


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m bench.ticket_open_load", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--users", type=int, default=USERS)
    parser.add_argument("--seconds", type=int, default=SECONDS)
    parser.add_argument("--rate", type=float, default=TARGET_RATE, help="tickets/s offered in the paced run")
    parser.add_argument("--username", default="bench-agent")
    parser.add_argument("--in-process", type=int, default=0, metavar="N", help="N creates without HTTP")
    parser.add_argument("--profile", default=None, metavar="FILE", help="with --in-process: a cProfile")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(REPO_DIR / "src"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kefu.settings")
    if args.in_process:
        os.environ.setdefault("DEBUG", "0")
        os.environ.setdefault("SECRET_KEY", "bench-only-secret-key-not-for-production-0123456789")
        os.environ.setdefault("SECURE_SSL_REDIRECT", "0")
        os.environ.setdefault("LOG_LEVEL", "WARNING")
    import django

    django.setup()
    if args.in_process:
        in_process(args.username, count=args.in_process, profile=args.profile)
        return
    for figure in measure(args.username, users=args.users, seconds=args.seconds, rate=args.rate):
        print(f"{figure.name}: {figure.value:g} {figure.unit}  (target {figure.target}, met {figure.met})")


if __name__ == "__main__":
    main()
