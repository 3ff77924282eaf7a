"""Data made by code, not by users: the benchmark generator and the demo data set, assembled from
steps that each app registers from its AppConfig.ready() (decision 0019).

`manage.py generate_data` and `manage.py load_demo_data` live in core and know no app: each
step declares its own command-line options (customers: `--customers`, `--products`; tickets
will add `--tickets`), so an app adds its data without the apps below it importing it. Steps
run in registration order, which is INSTALLED_APPS order: an app's step finds the rows of the
apps it depends on already written.
"""

import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from django.core.exceptions import ImproperlyConfigured
from django.db import connection, models, transaction

from kefu.core import bulk


class GenerateError(Exception):
    """The generator cannot run as asked (nothing was written)."""


@dataclass(frozen=True)
class Option:
    """A count on the command line: `--<name> N` (default 0)."""

    name: str
    help: str


@dataclass
class Context:
    """What a step is given: every option's count (its own and the others'), the seeded random
    source all steps share, the rows per batch, and a way to report progress."""

    counts: Mapping[str, int]
    rng: random.Random
    batch: int = bulk.BATCH
    say: Callable[[str], None] = lambda message: None
    # True when the run is its own transaction on PostgreSQL (not inside a caller's, as in a
    # test): a step may then write rows that nothing else in the run reads on a connection of
    # its own, at the same time, and commit them right after the run (see `defer`).
    parallel: bool = False
    finishers: list[Callable[[bool], None]] = field(default_factory=list)
    waits: list[Callable[[], None]] = field(default_factory=list)

    def before_commit(self, wait: Callable[[], None]) -> None:
        """Call `wait()` after the last step, before the run's transaction commits: a step that
        writes on a connection of its own waits there for its rows (and raises to roll the run
        back), while the later steps go on meanwhile."""
        self.waits.append(wait)

    def defer(self, finish: Callable[[bool], None]) -> None:
        """Call `finish(committed)` once the run's transaction has committed (True) or rolled
        back (False); a step's own connection commits or rolls back there."""
        self.finishers.append(finish)


@dataclass
class Written:
    """What a step wrote: rows per kind ("customers", "phones" …), the rows that DESIGN.md's
    figure counts (`main`), and the tables to analyze afterwards."""

    rows: dict[str, int]
    main: int
    tables: tuple[type[models.Model], ...] = ()


@dataclass(frozen=True)
class GeneratorStep:
    name: str
    options: tuple[Option, ...]
    # Raises GenerateError when the counts cannot be served; runs before anything is written.
    check: Callable[[Context], None]
    # Writes the step's rows inside the run's transaction (use bulk.write and bulk.bulk_mode).
    write: Callable[[Context], Written]


@dataclass
class GenerateResult:
    written: list[tuple[str, Written]] = field(default_factory=list)
    seconds: float = 0.0

    def count(self, kind: str) -> int:
        return sum(step.rows.get(kind, 0) for _name, step in self.written)

    @property
    def rows(self) -> int:
        return sum(sum(step.rows.values()) for _name, step in self.written)

    @property
    def main_rows_per_second(self) -> float:
        """The rows DESIGN.md's figure counts (customers + products, later tickets) per second."""
        main = sum(step.main for _name, step in self.written)
        return main / self.seconds if self.seconds else 0.0


@dataclass(frozen=True)
class DemoStep:
    name: str
    options: tuple[tuple[str, int, str], ...]  # (name, default, help) of `--<name> N`
    # Loads the step's demo data (idempotent) and returns the lines to print.
    load: Callable[[Mapping[str, int], int | None], list[str]]


GENERATOR_STEPS: dict[str, GeneratorStep] = {}
DEMO_STEPS: dict[str, DemoStep] = {}


def _check_options(names: list[str], taken: set[str], step: str) -> None:
    clash = set(names) & (taken | {"seed", "batch", "force"})
    if clash or len(set(names)) != len(names):
        raise ImproperlyConfigured(f"step {step!r} declares options already taken: {sorted(clash)}")


def register_step(step: GeneratorStep) -> None:
    if step.name in GENERATOR_STEPS:
        raise ImproperlyConfigured(f"generator step {step.name!r} is registered twice")
    taken = {option.name for known in GENERATOR_STEPS.values() for option in known.options}
    _check_options([option.name for option in step.options], taken, step.name)
    GENERATOR_STEPS[step.name] = step


def register_demo_step(step: DemoStep) -> None:
    if step.name in DEMO_STEPS:
        raise ImproperlyConfigured(f"demo step {step.name!r} is registered twice")
    taken = {option[0] for known in DEMO_STEPS.values() for option in known.options}
    _check_options([option[0] for option in step.options], taken, step.name)
    DEMO_STEPS[step.name] = step


def options() -> list[Option]:
    return [option for step in GENERATOR_STEPS.values() for option in step.options]


def generate(
    counts: Mapping[str, int],
    *,
    seed: int | None = None,
    batch: int = bulk.BATCH,
    progress: Callable[[str], None] | None = None,
) -> GenerateResult:
    """Run every registered step with `counts` (option name → number) in one transaction, then
    refresh the planner's statistics of the tables written. A step whose counts are all zero
    still runs (it writes nothing); every step checks before any writes."""
    known = {option.name for option in options()}
    unknown = set(counts) - known
    if unknown:
        raise GenerateError(f"Nothing generates {', '.join(sorted(unknown))}.")
    if any(value < 0 for value in counts.values()) or batch < 1:
        raise GenerateError("Counts cannot be negative, and a batch holds at least one row.")
    context = Context(
        counts={name: counts.get(name, 0) for name in known},
        rng=random.Random(seed),
        batch=batch,
        say=progress or (lambda message: None),
        parallel=connection.vendor == "postgresql" and not connection.in_atomic_block,
    )
    started = time.perf_counter()
    for step in GENERATOR_STEPS.values():
        step.check(context)
    result = GenerateResult()
    try:
        with transaction.atomic():
            for step in GENERATOR_STEPS.values():
                result.written.append((step.name, step.write(context)))
            for wait in context.waits:
                wait()
    except BaseException:
        for finish in context.finishers:
            finish(False)
        raise
    for finish in context.finishers:
        finish(True)
    context.say("analyzing")
    bulk.analyze([table for _name, written in result.written for table in written.tables])
    result.seconds = time.perf_counter() - started
    return result


@transaction.atomic
def load_demo(counts: Mapping[str, int], *, seed: int | None = None) -> list[str]:
    """Run every registered demo step, in one transaction; returns the lines they report."""
    lines: list[str] = []
    for step in DEMO_STEPS.values():
        lines += step.load(counts, seed)
    return lines
