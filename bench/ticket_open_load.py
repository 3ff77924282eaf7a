"""Opening tickets through the API under load (DESIGN.md: ≥ 300 tickets/s with 2 gunicorn workers,
p95 < 50 ms at 32 concurrent clients; decision 0024: locust).

A bounded run against 127.0.0.1, everything on this machine:
- gunicorn with the production configuration (gunicorn.conf.py: 2 sync workers, the app preloaded),
  DEBUG off, on the data set's database, bound to 127.0.0.1 on a free port;
- locust, headless, USERS simulated clients started at once, each sending
  `POST /api/v1/tickets` back to back (no think time) for SECONDS, as the benchmark agent with an
  API token, each request with its own `Idempotency-Key`, for a random customer of the data set
  and one of that customer's products;
- the figures: requests per second over the run, p50/p95/p99 from locust's statistics, the
  failures, and the tickets the database gained (which must equal the successful requests).

locust's own process shares the two cores with gunicorn and PostgreSQL, as a client on the
same machine does: the rate is what this one machine serves and generates at once.

Run alone on an existing data set: `python -m bench.ticket_open_load [--users 32] [--seconds 40]`
with DATABASE_URL set.
"""

import argparse
import csv
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from bench import REPO_DIR, Figure

TARGET_RATE = 300.0
TARGET_P95_MS = 50.0
USERS = 32
SECONDS = 40
WORKERS = 2
WARMUP = 15
CUSTOMERS = 2000  # customers (with a product) drawn for the requests

LOCUSTFILE = """
import json, random, uuid
from locust import HttpUser, task

with open({targets!r}) as handle:
    TARGETS = json.load(handle)
TOKEN = {token!r}
SUBJECTS = [
    "空调不制冷", "洗衣机漏水", "路由器频繁掉线", "冰箱压缩机响声大", "热水器打不着火", "电视黑屏有声音",
]


class Agent(HttpUser):
    # No think time: each simulated client sends its next request when the last one is answered.
    def wait_time(self):
        return 0

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


def _serving_pids(master: int) -> list[int]:
    """gunicorn's workers and the PostgreSQL backends serving them (same machine)."""
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
    return workers + backends


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


def measure(username: str, *, users: int = USERS, seconds: int = SECONDS, say=print) -> list[Figure]:
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
    targets = _targets(CUSTOMERS)
    port = _free_port()
    work = Path(tempfile.mkdtemp(prefix="kefu-load-"))
    (work / "targets.json").write_text(json.dumps(targets))
    (work / "locustfile.py").write_text(LOCUSTFILE.format(targets=str(work / "targets.json"), token=raw))
    env = _environment(port)
    server = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "gunicorn"),
            "--config",
            "gunicorn.conf.py",
            "--access-logfile",
            str(work / "access.log"),
            "--error-logfile",
            str(work / "error.log"),
            "kefu.wsgi",
        ],
        cwd=REPO_DIR,
        env=env,
        start_new_session=True,
    )
    try:
        _wait_until_up(f"http://127.0.0.1:{port}/healthz", server)

        def run_locust(clients: int, duration: int, prefix: str) -> None:
            subprocess.run(
                [
                    locust,
                    "-f",
                    str(work / "locustfile.py"),
                    "--headless",
                    "--users",
                    str(clients),
                    "--spawn-rate",
                    str(clients),
                    "--run-time",
                    f"{duration}s",
                    "--host",
                    f"http://127.0.0.1:{port}",
                    "--csv",
                    str(work / prefix),
                    "--only-summary",
                    "--loglevel",
                    "WARNING",
                ],
                cwd=work,
                env={key: value for key, value in env.items() if key != "DATABASE_URL"},
                check=False,
                stdout=subprocess.DEVNULL,
            )

        # Warm up: each worker's first requests load what it loads lazily (jieba's dictionary,
        # the URL resolver, the database connection). Not counted.
        say(f"  gunicorn ({WORKERS} workers) on 127.0.0.1:{port}; warming up for {WARMUP} s …")
        run_locust(WORKERS * 2, WARMUP, "warmup")
        before = Ticket.objects.count()
        serving = _serving_pids(server.pid)
        cpu_before = _cpu_seconds(serving)
        load_before = os.getloadavg()[0]
        say(f"  locust: {users} clients for {seconds} s …")
        load_started = time.perf_counter()
        run_locust(users, seconds, "run")
        cpu_used = _cpu_seconds(serving) - cpu_before
        load_after = os.getloadavg()[0]
        wall = time.perf_counter() - load_started
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
    stats = _stats(str(work / "run"))
    gained = Ticket.objects.count() - before
    succeeded = stats["requests"] - stats["failures"]
    cpu_ms = cpu_used * 1000 / gained if gained else 0.0
    say(
        f"  {stats['requests']:,.0f} requests, {stats['failures']:,.0f} failed, {gained:,} tickets written "
        f"in {wall:.1f} s; {cpu_ms:.1f} ms of CPU per ticket (workers and PostgreSQL); "
        f"load average {load_before:.1f} → {load_after:.1f}; logs in {work}"
    )
    label = (
        f"open a ticket through the API, gunicorn {WORKERS} workers, {users} clients (locust, {seconds} s)"
    )
    return [
        Figure(
            f"{label}: tickets per second",
            round(stats["rate"], 1),
            "tickets/s",
            f">= {TARGET_RATE:g}/s",
            stats["rate"] >= TARGET_RATE and stats["failures"] == 0,
        ),
        Figure(f"{label}: p50", round(stats["p50"], 1), "ms", "(info)", None),
        Figure(
            f"{label}: p95",
            round(stats["p95"], 1),
            "ms",
            f"< {TARGET_P95_MS:g} ms",
            stats["p95"] < TARGET_P95_MS,
        ),
        Figure(f"{label}: p99", round(stats["p99"], 1), "ms", "(info)", None),
        Figure(f"{label}: failed requests", stats["failures"], "requests", "0", stats["failures"] == 0),
        # Requests still in flight when locust stops are answered after it stopped counting.
        Figure(
            f"{label}: tickets written (successful requests + those in flight at the stop)",
            gained,
            "tickets",
            f"{succeeded:.0f} to {succeeded + users:.0f}",
            succeeded <= gained <= succeeded + users,
        ),
        # What one ticket costs the serving processes: on a quiet machine two cores serve at most
        # about 2000 / this many tickets per second (locust's own share left aside).
        Figure(
            f"{label}: CPU per ticket, gunicorn workers + PostgreSQL", round(cpu_ms, 1), "ms", "(info)", None
        ),
        Figure(f"{label}: load average (1 minute) at the end", round(load_after, 1), "", "(info)", None),
    ]


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m bench.ticket_open_load", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--users", type=int, default=USERS)
    parser.add_argument("--seconds", type=int, default=SECONDS)
    parser.add_argument("--username", default="bench-agent")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(REPO_DIR / "src"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kefu.settings")
    import django

    django.setup()
    for figure in measure(args.username, users=args.users, seconds=args.seconds):
        print(f"{figure.name}: {figure.value:g} {figure.unit}  (target {figure.target}, met {figure.met})")


if __name__ == "__main__":
    main()
