"""Opening tickets through the API under load (DESIGN.md: ≥ 300 tickets/s with 2 gunicorn workers,
p95 < 50 ms at 32 concurrent clients; decision 0024: wrk, since its second amendment).

The target's two halves hold together only at an offered rate. By Little's law, 32 clients that
send their next request as soon as the last is answered keep 32 requests in the system: at 300
tickets/s their mean latency is 32 / 300 = 107 ms, whatever the server does. So two runs, each
bounded, against 127.0.0.1, everything on this machine:

- gunicorn with the production configuration (gunicorn.conf.py: 2 sync workers, the app and
  jieba's dictionary preloaded), DEBUG off, on the data set's database, bound to 127.0.0.1 on a
  free port; worker recycling (max_requests) off for the run, so that the CPU time of the same
  processes is read before and after;
- a warm-up (as many connections as the runs, so that every worker thread has opened its
  database connections; not counted);
- (a) **capacity**: wrk (a C load generator, scripted in Lua: Debian's package, not on PyPI;
  `scripts/ensure-wrk.sh`), USERS connections opened at once, each sending
  `POST /api/v1/tickets` back to back (no think time) for SECONDS: what the two workers serve
  at most, with its p50/p95/p99 (the latency is mostly the queue of 32);
- (b) **paced**: the same USERS connections together offering RATE tickets/s for SECONDS: each
  of wrk's WRK_THREADS threads keeps a schedule of RATE / WRK_THREADS requests a second (the
  threads half a slot apart) and its connections take its slots in turn, so that requests do
  not arrive in bursts; a schedule fallen behind by more than a slot starts again from now, it
  never catches up (as locust's `constant_throughput` did). The tickets/s achieved and
  p50/p95/p99. That pair is the target: at least RATE × PACED_TOLERANCE achieved (the first
  and the last slots of a run are lost) with p95 < 50 ms.

Each request is a new ticket as the benchmark agent with an API token and its own
`Idempotency-Key`, for a random customer of the data set and one of that customer's products.
For each run: the tickets the database gained, which must equal the creates gunicorn answered
with 201 (its access log; wrk does not count the requests still in flight when it stops, which
the server answers after); the CPU time per ticket of the two workers and of their PostgreSQL
backends, and of wrk itself (it shares the two cores with the server, as any client on this
machine would; wrk costs a tenth of the CPU locust did, decision 0024).

Run alone on an existing data set: `python -m bench.ticket_open_load [--users 32] [--seconds 30]
[--rate 300]` with DATABASE_URL set. Each run's Lua script, wrk's output and its statistics
(JSON, written by the script's `done()`) stay in the work directory printed at the end, beside
gunicorn's logs.

`python -m bench.ticket_open_load --in-process 500 [--profile FILE]` measures one create without
HTTP, gunicorn or wrk: the same request through Django's test client (the real URL and
middleware, DEBUG off, a token, an Idempotency-Key), one at a time after warm-ups, with the
process's CPU time per create (p50/p95), the PostgreSQL backends' CPU per create, the wall time
and the statements, and, where the day's counter is taken in the opening's transaction (SQLite,
`NUMBERS_APART=0`), the **tail**: the time from the counter (whose row lock is held to the commit,
decision 0022) to the end of the commit, which concurrent openings cannot share, so 1 / tail
bounds the rate whatever the CPU (decision 0028; on PostgreSQL the counter is taken apart,
decision 0036, and there is no tail); `--profile` writes a cProfile of the measured creates
(CPU clock) to FILE.
"""

import argparse
import json
import os
import random
import resource
import shutil
import signal
import socket
import string
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from bench import REPO_DIR, Figure, machine_speed, machine_speed_text

TARGET_RATE = 300.0
TARGET_P95_MS = 50.0
# The paced run counts as reaching the rate it offers when it achieves this share of it.
PACED_TOLERANCE = 0.98
USERS = 32
SECONDS = 30
WORKERS = 2
WARMUP = 10
WARMUP_USERS = USERS  # every worker thread opens its connections before the counted runs
CUSTOMERS = 2000  # customers (with a product) drawn for the requests

WRK_THREADS = 2  # wrk's threads (event loops), one per core; the connections are shared out
WRK_TIMEOUT = "10s"  # a request unanswered this long counts as a failure (wrk's errors.timeout)
SUBJECTS = [
    "空调不制冷",
    "洗衣机漏水",
    "路由器频繁掉线",
    "冰箱压缩机响声大",
    "热水器打不着火",
    "电视黑屏有声音",
]

# One wrk run's script. wrk loads it into the main Lua state (setup, done) and into one state per
# thread (init, request, delay). `delay` is defined only for a paced run: without it wrk sends a
# connection's next request as soon as the last is answered.
WRK_SCRIPT = string.Template(
    r"""-- Written by bench/ticket_open_load.py for one wrk run (decision 0024).
local ffi = require("ffi")
ffi.cdef[[
typedef struct { long tv_sec; long tv_nsec; } kefu_timespec;
int clock_gettime(int clk, kefu_timespec *tp);
]]
local CLOCK_MONOTONIC = 1

local TARGETS = {$targets}  -- {customer, product}
local TOKEN = $token
local RUN = $run  -- this run's part of every Idempotency-Key
local TAILS = {$tails}  -- the body after the customer and the product, one per subject
local SEED = $seed
local THREADS = $threads
local PERIOD = $period  -- ms between two slots of one thread's schedule; 0: no think time
local RESULT = $result

local threads_started = 0

function setup(thread)
   threads_started = threads_started + 1
   thread:set("id", threads_started)
end

local sent = 0

function init(args)
   math.randomseed(SEED + id)
end

function request()
   sent = sent + 1
   local target = TARGETS[math.random(#TARGETS)]
   local body = '{"customer": ' .. target[1] .. ', "product": ' .. target[2] .. ', '
      .. TAILS[math.random(#TAILS)]
   return wrk.format("POST", "/api/v1/tickets", {
      ["Authorization"] = "Bearer " .. TOKEN,
      ["Content-Type"] = "application/json",
      ["Idempotency-Key"] = RUN .. "-" .. id .. "-" .. sent,
   }, body)
end

if PERIOD > 0 then
   local clock = ffi.new("kefu_timespec")
   local slot = nil

   local function now_ms()
      ffi.C.clock_gettime(CLOCK_MONOTONIC, clock)
      return tonumber(clock.tv_sec) * 1000 + tonumber(clock.tv_nsec) / 1e6
   end

   -- The ms to wait before the next request: the thread's next free slot. The threads start
   -- a fraction of a slot apart; a schedule fallen behind by more than a slot starts again
   -- from now, so that a slow server is never sent a burst to catch up.
   function delay()
      local now = now_ms()
      if slot == nil then
         slot = now + PERIOD * (id - 1) / THREADS
      elseif now - slot > PERIOD then
         slot = now
      end
      local wait = slot - now
      slot = slot + PERIOD
      return math.max(0, math.floor(wait))
   end
end

local function number(value)
   if value ~= value or value == math.huge or value == -math.huge then
      return 0
   end
   return value
end

function done(summary, latency, requests)
   local errors = summary.errors
   local out = assert(io.open(RESULT, "w"))
   out:write(string.format(
      '{"requests": %d, "duration_us": %d, "connect": %d, "read": %d, "write": %d, "status": %d, '
         .. '"timeout": %d, "p50_us": %.0f, "p95_us": %.0f, "p99_us": %.0f, "mean_us": %.1f}\n',
      summary.requests, summary.duration, errors.connect, errors.read, errors.write, errors.status,
      errors.timeout, number(latency:percentile(50)), number(latency:percentile(95)),
      number(latency:percentile(99)), number(latency.mean)))
   out:close()
end
"""
)


def _lua_string(text: str) -> str:
    """`text` as a Lua string literal: printable ASCII as is, every other byte escaped."""
    escaped = []
    for byte in text.encode():
        char = chr(byte)
        if char in '\\"' or not 32 <= byte < 127:
            escaped.append(f"\\{byte:03d}")
        else:
            escaped.append(char)
    return '"' + "".join(escaped) + '"'


def _body_tail(subject: str) -> str:
    """The JSON of a create after its customer and product (the Lua script puts those first)."""
    body = json.dumps(
        {
            "subject": subject,
            "description": subject + "，客户来电要求尽快上门。",
            "type": "repair",
            "channel": "phone",
        },
        ensure_ascii=False,
    )
    return body[1:]


def wrk_script(
    *, targets, token: str, result: Path, rate: float | None, threads: int, run: str, seed: int = 12
) -> str:
    """The Lua script of one wrk run: each request a create with its own Idempotency-Key
    (`run`-thread-count), for a random pair of `targets` and a random subject; paced at `rate`
    requests a second in all (None: no think time); `done()` writes wrk's statistics to `result`
    as JSON (_stats reads them)."""
    return WRK_SCRIPT.substitute(
        targets=", ".join(f"{{{int(customer)}, {int(product)}}}" for customer, product in targets),
        token=_lua_string(token),
        run=_lua_string(run),
        tails=", ".join(_lua_string(_body_tail(subject)) for subject in SUBJECTS),
        seed=int(seed),
        threads=int(threads),
        period=repr(1000.0 * threads / rate) if rate else "0",
        result=_lua_string(str(result)),
    )


def _threads(connections: int) -> int:
    """wrk gives each thread connections // threads: as many threads as divide them evenly."""
    return WRK_THREADS if connections % WRK_THREADS == 0 else 1


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
    """User + system CPU time of this process's children that have ended (wrk's runs)."""
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


def _stats(path: Path) -> dict[str, float]:
    """wrk's statistics of a run, as its script's `done()` wrote them (JSON; times in µs): the
    answers, the failures (answers other than 2xx/3xx, and the connections' errors and timeouts,
    which wrk does not count among the answers), the creates answered per second, p50/p95/p99
    and the mean in ms."""
    try:
        result = json.loads(path.read_text())
    except (OSError, ValueError) as error:
        raise RuntimeError(f"wrk wrote no statistics to {path} ({error})") from error
    refused = result["status"]
    errors = result["connect"] + result["read"] + result["write"] + result["timeout"]
    succeeded = result["requests"] - refused
    seconds = result["duration_us"] / 1e6
    return {
        "requests": float(result["requests"]),
        "failures": float(refused + errors),
        "succeeded": float(succeeded),
        "rate": succeeded / seconds if seconds else 0.0,
        "p50": result["p50_us"] / 1000,
        "p95": result["p95_us"] / 1000,
        "p99": result["p99_us"] / 1000,
        "average": result["mean_us"] / 1000,
    }


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
    """One counted wrk run: its statistics, what the database gained and the CPU it took."""

    stats: dict[str, float]
    gained: int
    created: int  # 201 answers in gunicorn's access log
    wall: float
    worker_cpu: float
    backend_cpu: float
    wrk_cpu: float
    load_before: float
    load_after: float

    def per_ticket_ms(self, seconds: float) -> float:
        return seconds * 1000 / self.gained if self.gained else 0.0

    @property
    def succeeded(self) -> float:
        return self.stats["succeeded"]


class Load:
    """gunicorn serving the data set's database on a free port of 127.0.0.1, and wrk runs
    against it."""

    def __init__(self, work: Path, port: int, env: dict[str, str], wrk: str, token: str, targets) -> None:
        self.work, self.port, self.env, self.wrk = work, port, env, wrk
        self.token, self.targets = token, targets
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

    def wrk_run(self, name: str, connections: int, seconds: int, rate: float | None) -> Path:
        """One wrk run of `seconds` with `connections` at once, offering `rate` creates a second
        in all (None: no think time); the path of its statistics (_stats)."""
        threads = _threads(connections)
        result = self.work / f"{name}.json"
        script = self.work / f"{name}.lua"
        script.write_text(
            wrk_script(
                targets=self.targets,
                token=self.token,
                result=result,
                rate=rate,
                threads=threads,
                run=f"{name}-{os.getpid()}-{time.time_ns()}",
            )
        )
        output = self.work / f"{name}.out"
        with output.open("w") as handle:
            finished = subprocess.run(
                [
                    self.wrk,
                    "--threads",
                    str(threads),
                    "--connections",
                    str(connections),
                    "--duration",
                    f"{seconds}s",
                    "--timeout",
                    WRK_TIMEOUT,
                    "--script",
                    str(script),
                    f"http://127.0.0.1:{self.port}/api/v1/tickets",
                ],
                cwd=self.work,
                check=False,
                stdout=handle,
                stderr=subprocess.STDOUT,
            )
        if finished.returncode != 0:
            raise RuntimeError(f"wrk stopped with status {finished.returncode}: {output.read_text()[-2000:]}")
        return result

    def counted_run(self, name: str, connections: int, seconds: int, rate: float | None) -> Run:
        from kefu.tickets.models import Ticket

        assert self.server is not None
        workers, backends = _serving_pids(self.server.pid)
        log_offset = (self.work / "access.log").stat().st_size
        before = Ticket.objects.count()
        worker_cpu, wrk_cpu = _cpu_seconds(workers), _children_cpu_seconds()
        backends_before = {pid: _cpu_seconds([pid]) for pid in backends}
        load_before = os.getloadavg()[0]
        started = time.perf_counter()
        result = self.wrk_run(name, connections, seconds, rate)
        wall = time.perf_counter() - started
        # Requests still queued when wrk stopped are answered after it: wait for them, so
        # that the tickets and the CPU time counted are this run's, all of them.
        _settle(Ticket)
        worker_cpu = _cpu_seconds(workers) - worker_cpu
        # The backends of connections opened during the run (a thread's first pooled connection,
        # or its connection for the day's numbers) count from their start.
        _workers, backends_after = _serving_pids(self.server.pid)
        backend_cpu = sum(
            _cpu_seconds([pid]) - backends_before.get(pid, 0.0) for pid in set(backends) | set(backends_after)
        )
        wrk_cpu = _children_cpu_seconds() - wrk_cpu
        return Run(
            stats=_stats(result),
            gained=Ticket.objects.count() - before,
            created=_created(self.work / "access.log", log_offset),
            wall=wall,
            worker_cpu=worker_cpu,
            backend_cpu=backend_cpu,
            wrk_cpu=wrk_cpu,
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
        # Requests still in flight when wrk stops are answered after it stopped counting:
        # the server's own count of creates is the one to match.
        Figure(
            f"{label}: tickets written (= creates answered 201 in the access log)",
            run.gained,
            "tickets",
            f"{run.created}",
            run.gained == run.created and run.created >= run.succeeded,
        ),
        # What one ticket costs: on a quiet machine two cores serve at most about
        # 2000 / (workers + PostgreSQL) tickets per second, less wrk's own share.
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
            f"{label}: CPU per ticket, wrk (the client)",
            round(run.per_ticket_ms(run.wrk_cpu), 2),
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
    wrk = shutil.which("wrk")
    if wrk is None:
        raise RuntimeError(
            "wrk (the load generator, a Debian package) is not installed: run `bash scripts/ensure-wrk.sh` "
            "or, as root, `apt-get install -y wrk`"
        )
    _token, raw = issue_token(user=User.objects.get(username=username), name="bench load")
    port = _free_port()
    work = Path(tempfile.mkdtemp(prefix="kefu-load-"))
    load = Load(work, port, _environment(port), wrk, raw, _targets(CUSTOMERS))
    try:
        load.start()
        # Warm up: each worker's first requests open its database connections and fill what
        # it keeps per process. Not counted.
        say(f"  machine: {machine_speed_text(machine_speed())}")
        say(f"  gunicorn ({WORKERS} workers) on 127.0.0.1:{port}; warming up for {WARMUP} s …")
        load.wrk_run("warmup", WARMUP_USERS, WARMUP, None)
        _settle(Ticket)
        say(f"  (a) capacity: {users} clients, no think time, {seconds} s …")
        capacity = load.counted_run("capacity", users, seconds, None)
        say(f"  (b) paced: {users} clients offering {rate:g} tickets/s together, {seconds} s …")
        paced = load.counted_run("paced", users, seconds, rate)
    finally:
        load.stop()
    for name, run in (("capacity", capacity), ("paced", paced)):
        stats = run.stats
        say(
            f"  {name}: {stats['rate']:.1f} tickets/s, p50/p95/p99 {stats['p50']:.1f}/{stats['p95']:.1f}/"
            f"{stats['p99']:.1f} ms; {stats['requests']:,.0f} requests, {stats['failures']:,.0f} failed, "
            f"{run.gained:,} tickets written ({run.created:,} 201 answers logged) in {run.wall:.1f} s; "
            "CPU per ticket: workers "
            f"{run.per_ticket_ms(run.worker_cpu):.2f} ms, "
            f"PostgreSQL {run.per_ticket_ms(run.backend_cpu):.2f} ms, "
            f"wrk {run.per_ticket_ms(run.wrk_cpu):.2f} ms; load average {run.load_before:.1f} → "
            f"{run.load_after:.1f}"
        )
    say(f"  logs in {work}")
    base = f"open a ticket through the API, gunicorn {WORKERS} workers, {users} clients (wrk, {seconds} s)"
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
        f"create, statements {result['statements']}; "
        + (
            f"the tail (counter to commit) p50/p95 {result['tail_p50']:.2f}/{result['tail_p95']:.2f} ms, "
            f"so at most {1000 / max(result['tail_p50'], 0.001):.0f} openings/s; "
            if tails
            else "the day's counter taken apart (decision 0036): no tail; "
        )
        + f"load average {load_before} → {load_average()}; machine: {machine_speed_text(machine_speed())}"
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
