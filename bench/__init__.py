"""The benchmark suite: one module per figure in DESIGN.md, run by `python -m bench`.

Each database is measured in its own subprocess (bench.runner) so that Django's settings are
read fresh with that database's DATABASE_URL or KEFU_VAR_DIR.
"""

import json
import statistics
from dataclasses import asdict, dataclass
from pathlib import Path

REPO_DIR = Path(__file__).resolve().parent.parent
BENCH_VAR_DIR = REPO_DIR / "var" / "bench"
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
