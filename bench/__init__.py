"""The benchmark suite: one module per figure in DESIGN.md, run by `python -m bench`.

Each database is measured in its own subprocess (bench.runner) so that Django's settings are
read fresh with that database's DATABASE_URL or KEFU_VAR_DIR.
"""

import json
import os
import statistics
import time
from dataclasses import asdict, dataclass
from pathlib import Path

REPO_DIR = Path(__file__).resolve().parent.parent
# Where the data sets' directories (and their markers) are: var/bench/ of this checkout, or
# BENCH_VAR_DIR to share data sets between checkouts (without their marker a PostgreSQL data set
# is dropped and built again).
BENCH_VAR_DIR = Path(os.environ.get("BENCH_VAR_DIR") or REPO_DIR / "var" / "bench")
RESULTS_PATH = Path(__file__).resolve().parent / "results.json"

# size → (customers, products, tickets): small for a quick look, large as in DESIGN.md.
SIZES: dict[str, tuple[int, int, int]] = {
    "tiny": (2_000, 4_000, 10_000),
    "small": (20_000, 40_000, 100_000),
    "medium": (200_000, 400_000, 1_000_000),
    "large": (1_000_000, 2_000_000, 10_000_000),
}
# DESIGN.md sets the ticket figures on PostgreSQL; SQLite's data sets hold at most this many.
SQLITE_TICKETS = 100_000
DATABASES = ("sqlite", "postgres")
# The figures `python -m bench --only` chooses from, in the order they are measured.
FIGURES = (
    "lookup",
    "api_lookup",
    "plans",
    "customer_page",
    "ticket_search",
    "ticket_queue",
    "ticket_open_load",
    "generate",
)
SEED = 20261123


@dataclass
class Figure:
    name: str
    value: float
    unit: str
    target: str
    met: bool | None
    size: str = ""
    database: str = ""

    def as_dict(self) -> dict:
        return asdict(self)


def percentile(values: list[float], pct: float) -> float:
    """The pct-th percentile by linear interpolation (statistics.quantiles, inclusive)."""
    if len(values) == 1:
        return values[0]
    cuts = statistics.quantiles(values, n=100, method="inclusive")
    return cuts[int(pct) - 1]


def dataset_name(size: str, tickets: int | None = None) -> str:
    """The data set's name: its size, and `_tN` when its number of tickets is not the size's."""
    return size if tickets is None else f"{size}_t{tickets}"


def marker_path(var_dir: Path) -> Path:
    """The file that says a data set was built completely, and what its generator measured."""
    return var_dir / "dataset.json"


def read_marker(var_dir: Path) -> dict | None:
    try:
        return json.loads(marker_path(var_dir).read_text())
    except (OSError, ValueError):
        return None


class QueryCounter:
    """Counts the SQL statements run inside `with connection.execute_wrapper(counter):`,
    whatever DEBUG says and whatever a request does to the query log."""

    def __init__(self):
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)


def load_average() -> str:
    """The 1, 5 and 15 minute load averages, as `cat /proc/loadavg` shows them ("" elsewhere)."""
    try:
        with open("/proc/loadavg") as file:
            return " ".join(file.read().split()[:3])
    except OSError:
        return ""


def _cpu_ticks() -> tuple[int, int] | None:
    """(all, stolen) clock ticks of the machine's CPUs so far, from /proc/stat (None elsewhere)."""
    try:
        with open("/proc/stat") as file:
            fields = [int(value) for value in file.readline().split()[1:]]
    except (OSError, ValueError):
        return None
    # user nice system idle iowait irq softirq steal guest guest_nice: guest time is in user.
    return sum(fields[:8]), fields[7] if len(fields) > 7 else 0


def _reference_work() -> int:
    total = 0
    names = {}
    for number in range(200_000):
        total += number * 7 % 13
        names[number & 1023] = total
    return total + len(names)


def machine_speed(runs: int = 7) -> dict:
    """How fast this machine runs Python now: the median time of a fixed piece of pure-Python
    work (ms), and the share of the CPUs' time the host took for other guests meanwhile ("steal", %).
    A shared machine's speed changes from hour to hour: a figure read beside these two can be
    compared with one measured on another day."""
    before = _cpu_ticks()
    times = []
    for _ in range(runs):
        started = time.process_time()
        _reference_work()
        times.append((time.process_time() - started) * 1000)
    after = _cpu_ticks()
    steal = None
    if before and after and after[0] > before[0]:
        steal = 100 * (after[1] - before[1]) / (after[0] - before[0])
    return {"reference_ms": statistics.median(times), "steal_pct": steal}


def machine_speed_text(speed: dict) -> str:
    steal = speed["steal_pct"]
    return f"reference work {speed['reference_ms']:.1f} ms" + (
        f", {steal:.0f} % of the CPUs' time taken by the host" if steal is not None else ""
    )


def _process_cpu(pid: int) -> float | None:
    """User + system CPU seconds of a process on this machine, from /proc (None if unreadable)."""
    try:
        with open(f"/proc/{pid}/stat") as file:
            fields = file.read().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class CpuMeter:
    """CPU time used since it was made: this process's, and on PostgreSQL on this machine that of
    the connection's backend (not its parallel workers')."""

    def __init__(self):
        from django.db import connection

        self.pid = None
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_backend_pid()")
                self.pid = cursor.fetchone()[0]
        self.process = time.process_time()
        self.backend = _process_cpu(self.pid) if self.pid else None

    def used(self) -> dict[str, float | None]:
        backend = _process_cpu(self.pid) if self.pid else None
        return {
            "process": round(time.process_time() - self.process, 2),
            "backend": None if backend is None or self.backend is None else round(backend - self.backend, 2),
        }
