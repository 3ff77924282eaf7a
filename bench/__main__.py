"""`python -m bench --size small|medium|large [--database sqlite|postgres|both] [--only NAMES]
[--tickets N]`

Builds or reuses a data set per database (SQLite: var/bench/sqlite-SIZE/; PostgreSQL: the
database kefu_bench_SIZE, created when missing), measures each figure in a subprocess, prints
each beside its DESIGN.md target and writes bench/results.json.

`--only lookup,generate` measures only those figures (the data set is built or reused all the
same; `--only generate` just builds it). `--tickets N` gives the size another number of tickets:
the data set is then its own (var/bench/DATABASE-SIZE-tN/, database kefu_bench_SIZE_tN), so data
sets of different sizes never mix.
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from urllib.parse import urlsplit, urlunsplit

from bench import (
    BENCH_VAR_DIR,
    DATABASES,
    FIGURES,
    REPO_DIR,
    RESULTS_PATH,
    SIZES,
    SQLITE_TICKETS,
    Figure,
    dataset_name,
    machine_speed,
    machine_speed_text,
    read_marker,
)

DEFAULT_POSTGRES = "postgresql://postgres@127.0.0.1:5432/"


def _postgres_url(name: str) -> str:
    """BENCH_POSTGRES_URL names the server (any database in it is replaced); the database is
    kefu_bench_NAME (NAME: the size, with _tN for another number of tickets), or
    BENCH_POSTGRES_PREFIX + NAME where several people share one server."""
    base = urlsplit(os.environ.get("BENCH_POSTGRES_URL", DEFAULT_POSTGRES))
    prefix = os.environ.get("BENCH_POSTGRES_PREFIX", "kefu_bench_")
    return urlunsplit(base._replace(path=f"/{prefix}{name}"))


def _reset_postgres(url: str, *, drop: bool) -> None:
    """Create the benchmark database if missing; drop it first when asked (no marker)."""
    import psycopg

    server, name = url.rsplit("/", 1)
    with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if exists and drop:
            conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
            exists = None
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')


def run_database(size: str, database: str, *, tickets: int | None = None, only=()) -> list[dict]:
    name = dataset_name(size, tickets)
    var_dir = BENCH_VAR_DIR / f"{database}-{name.replace('_', '-')}"
    has_marker = read_marker(var_dir) is not None
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "DEBUG")}
    env["KEFU_BENCH_DIR"] = str(var_dir)
    env["KEFU_VAR_DIR"] = str(var_dir)
    env["LOG_LEVEL"] = "WARNING"
    if database == "postgres":
        env["DATABASE_URL"] = _postgres_url(name)
        _reset_postgres(env["DATABASE_URL"], drop=not has_marker)
    elif not has_marker and var_dir.exists():
        shutil.rmtree(var_dir)
    (var_dir / "static").mkdir(parents=True, exist_ok=True)  # STATIC_ROOT follows KEFU_VAR_DIR
    with tempfile.NamedTemporaryFile(suffix=".json") as out:
        subprocess.run(
            [
                sys.executable,
                "-m",
                "bench.runner",
                size,
                database,
                out.name,
                "" if tickets is None else str(tickets),
                ",".join(only),
            ],
            cwd=REPO_DIR,
            env=env,
            check=True,
        )
        return json.load(open(out.name))["figures"]


def print_table(figures: list[dict]) -> None:
    def shown(value) -> str:  # a number as %g; a figure may also be text (a plan's index name)
        return f"{value:g}" if isinstance(value, int | float) else str(value)

    def met(value):
        return {True: "yes", False: "NO", None: "–"}[value]

    rows = [("database", "size", "figure", "value", "unit", "target", "met")] + [
        (f["database"], f["size"], f["name"], shown(f["value"]), f["unit"], f["target"], met(f["met"]))
        for f in figures
    ]
    widths = [max(len(str(row[i])) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        print("  ".join(str(cell).ljust(width) for cell, width in zip(row, widths, strict=True)))


def save(figures: list[dict], *, partial: bool = False) -> None:
    """Replace this run's (size, database) entries in bench/results.json and keep the others;
    after a partial run (`--only`), only the figures it measured."""
    try:
        previous = json.loads(RESULTS_PATH.read_text())
    except (OSError, ValueError):
        previous = []

    def key(figure: dict) -> tuple:
        return (figure.get("size"), figure.get("database")) + ((figure.get("name"),) if partial else ())

    ran = {key(f) for f in figures}
    kept = [f for f in previous if key(f) not in ran]
    RESULTS_PATH.write_text(json.dumps(kept + figures, ensure_ascii=False, indent=2) + "\n")


def _names(value: str) -> tuple[str, ...]:
    names = tuple(name.strip() for name in value.split(",") if name.strip())
    unknown = sorted(set(names) - set(FIGURES))
    if unknown or not names:
        raise argparse.ArgumentTypeError(f"choose among {', '.join(FIGURES)} (not {', '.join(unknown)})")
    return names


def _count(value: str) -> int:
    try:
        number = int(value.replace("_", ""))
    except ValueError:
        number = -1
    if number < 0:
        raise argparse.ArgumentTypeError("a number of tickets, 0 or more")
    return number


def _speed_figures(size: str, speeds: list[dict]) -> list[dict]:
    figures = []
    for when, speed in zip(("before", "after"), speeds, strict=True):
        figures.append(
            Figure(
                f"machine {when}: reference Python work (bench.machine_speed)",
                round(speed["reference_ms"], 1),
                "ms",
                "(info)",
                None,
                size,
                "machine",
            )
        )
        if speed["steal_pct"] is not None:
            figures.append(
                Figure(
                    f"machine {when}: CPU time taken by the host",
                    round(speed["steal_pct"], 1),
                    "%",
                    "(info)",
                    None,
                    size,
                    "machine",
                )
            )
    return [figure.as_dict() for figure in figures]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", choices=SIZES, default="large", help="data set size (default: large)")
    parser.add_argument("--database", choices=(*DATABASES, "both"), default="both")
    parser.add_argument("--strict", action="store_true", help="exit with status 1 when a target is missed")
    parser.add_argument(
        "--only",
        type=_names,
        default=(),
        metavar="NAMES",
        help=f"measure only these figures, comma-separated: {', '.join(FIGURES)} (default: all)",
    )
    parser.add_argument(
        "--tickets",
        type=_count,
        default=None,
        metavar="N",
        help="tickets in the data set instead of the size's (a data set of its own)",
    )
    args = parser.parse_args(argv)
    databases = DATABASES if args.database == "both" else (args.database,)
    if args.tickets is not None and args.tickets > SQLITE_TICKETS and "sqlite" in databases:
        parser.error(f"SQLite's data sets hold at most {SQLITE_TICKETS:,} tickets: add --database postgres")
    # Read before and after, beside the figures: a shared machine's speed changes by the hour.
    speeds = [machine_speed()]
    print(f"machine before: {machine_speed_text(speeds[0])}")
    figures = []
    for database in databases:
        figures += run_database(args.size, database, tickets=args.tickets, only=args.only)
    speeds.append(machine_speed())
    print(f"machine after: {machine_speed_text(speeds[1])}")
    figures += _speed_figures(args.size, speeds)
    print()
    print_table(figures)
    save(figures, partial=bool(args.only))
    print(f"\nWrote {RESULTS_PATH.relative_to(REPO_DIR)}")
    missed = [f for f in figures if f["met"] is False]
    print(f"{len(missed)} target(s) missed." if missed else "Every target met.")
    return 1 if missed and args.strict else 0


if __name__ == "__main__":
    sys.exit(main())
