"""The bulk loader: millions of generated rows into any app's tables, fast (decision 0019).

It writes rows that the caller built as tuples, in the given column order: COPY through psycopg 3
on PostgreSQL (one COPY per table, streaming every batch), `executemany` in large batches on
SQLite. Around the writes, on PostgreSQL, `bulk_mode()` defers foreign keys and rebuilds indexes
once; after them `reset_sequences()` and `analyze()` leave the tables as if written normally.

It knows no app: the generator steps of each app (customers.generate, later tickets) call it.
It bypasses services, the audit trail and every Python check: only for data made by code whose
rows satisfy every constraint by construction (benchmark data sets), never for a user's writes.
"""

import contextlib
import datetime
import re
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence

from django.db import connection, models

BATCH = 50_000
# Memory for building an index or checking a foreign key (PostgreSQL's check of a key added
# back uses this too): enough that the sorts and hash joins of a ten-million-row table stay in
# one pass or a few. Per transaction of the generator only (SET LOCAL).
MAINTENANCE_MEMORY = "1GB"
_COPY_SPECIAL = re.compile(r"[\\\t\n\r]")
_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})

Tables = Sequence[type[models.Model]]


def batches(total: int, size: int = BATCH) -> Iterator[tuple[int, int]]:
    """(offset, count) pairs that cover `total` rows in batches of at most `size`."""
    done = 0
    while done < total:
        n = min(size, total - done)
        yield done, n
        done += n


def next_id(model: type[models.Model]) -> int:
    """The first id after the table's highest: new rows are appended after the existing ones."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT MAX(id) FROM {connection.ops.quote_name(model._meta.db_table)}")
        (value,) = cursor.fetchone()
    return (value or 0) + 1


def stamp(moment: datetime.datetime) -> str:
    """A moment as the writer stores it in a datetime column of this database."""
    if connection.vendor == "postgresql":
        return moment.isoformat(sep=" ")
    return str(connection.ops.adapt_datetimefield_value(moment))


def _copy_value(value) -> str:
    if value is None:
        return "\\N"
    text = str(value)
    return text.translate(_COPY_ESCAPES) if _COPY_SPECIAL.search(text) else text


def copy_text(rows: Iterable[tuple]) -> str:
    """Rows in COPY's text format (NULL as \\N; backslash, tab and line ends escaped).

    Most values hold none of those characters: the batch is joined as it is, and escaped value
    by value only when its tabs, line ends or backslashes are more than the separators and the
    NULLs put there (a third of the archive's Python time went to checking each value)."""
    rows = rows if isinstance(rows, list) else list(rows)
    if not rows:
        return ""
    lines = ("\t".join(["\\N" if value is None else str(value) for value in row]) for row in rows)
    text = "\n".join(lines) + "\n"
    separators = sum(len(row) - 1 for row in rows)
    nulls = sum(row.count(None) for row in rows)
    if (
        text.count("\t") == separators
        and text.count("\n") == len(rows)
        and text.count("\\") == nulls
        and "\r" not in text
    ):
        return text
    return "".join("\t".join(_copy_value(value) for value in row) + "\n" for row in rows)


def write(model: type[models.Model], columns: Sequence[str], rows: Iterable[list[tuple]]) -> int:
    """Write every batch of `rows` into the model's table; returns the number of rows.

    On PostgreSQL one COPY streams all batches, so Python builds the next batch while the
    server stores the last one.
    """
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    column_list = ", ".join(quote(column) for column in columns)
    written = 0
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table} ({column_list}) FROM STDIN") as copy:
                for batch in rows:
                    copy.write(copy_text(batch))
                    written += len(batch)
        else:
            marks = ", ".join(["%s"] * len(columns))
            for batch in rows:
                cursor.executemany(f"INSERT INTO {table} ({column_list}) VALUES ({marks})", batch)
                written += len(batch)
    return written


def reset_sequences(tables: Tables) -> None:
    """After explicit ids, PostgreSQL's identity sequences must continue after the new maximum."""
    if connection.vendor != "postgresql":
        return  # SQLite's AUTOINCREMENT follows the highest id by itself
    with connection.cursor() as cursor:
        for model in tables:
            table = model._meta.db_table
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence(%s, 'id'), "
                f"COALESCE((SELECT MAX(id) FROM {connection.ops.quote_name(table)}), 1))",
                [table],
            )


def analyze(tables: Tables) -> None:
    """Fresh planner statistics, so that reads choose their indexes on the grown tables.

    On PostgreSQL a VACUUM also sets the visibility map, as autovacuum soon would, so that
    index-only scans need not visit the table; VACUUM cannot run inside a transaction (a
    test's), and then only ANALYZE runs. The VACUUMs run on two connections, the tables shared
    out by size (each is one backend's work: on two cores the two halves take about half).
    """
    names = [model._meta.db_table for model in tables]
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        if connection.vendor != "postgresql":
            cursor.execute("PRAGMA analysis_limit=1000")
            for name in names:
                cursor.execute(f"ANALYZE {quote(name)}")
            return
        if connection.in_atomic_block:
            cursor.execute("ANALYZE " + ", ".join(quote(name) for name in names))
            return
        cursor.execute(
            "SELECT relname, pg_total_relation_size(oid) FROM pg_class WHERE relname = ANY(%s)", [names]
        )
        sizes = dict(cursor.fetchall())
    halves: tuple[list[str], list[str]] = ([], [])
    loads = [0, 0]
    for name in sorted(dict.fromkeys(names), key=lambda name: -sizes.get(name, 0)):
        lighter = loads.index(min(loads))
        halves[lighter].append(name)
        loads[lighter] += sizes.get(name, 0)
    errors: list[BaseException] = []

    def vacuum(names: list[str]) -> None:
        if names:
            with connection.cursor() as cursor:
                cursor.execute("VACUUM (ANALYZE) " + ", ".join(quote(name) for name in names))

    def on_own_connection() -> None:
        try:
            vacuum(halves[1])
        except BaseException as error:  # reported to the caller's thread
            errors.append(error)
        finally:
            connection.close()

    other = threading.Thread(target=on_own_connection, name="kefu-vacuum", daemon=True)
    other.start()
    try:
        vacuum(halves[0])
    finally:
        other.join()
    if errors:
        raise errors[0]


def _estimated_rows(tables: Tables) -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT COALESCE(SUM(reltuples), 0) FROM pg_class WHERE relname = ANY(%s)",
            [[model._meta.db_table for model in tables]],
        )
        return max(int(cursor.fetchone()[0]), 0)


@contextlib.contextmanager
def bulk_mode(tables: Tables, *, new_rows: int, say: Callable[[str], None] | None = None, keys: bool = True):
    """On PostgreSQL, set the foreign keys aside during the writes and add them back `NOT VALID`
    (decision 0035): in force for every later write, but the rows written here are not checked
    against them, since the generator draws every key from rows it has just written or read;
    `manage.py validate_keys` checks them when wanted. When the new rows are a large share of
    the tables, the secondary indexes and unique constraints are also built once, sorted,
    instead of one random insert per row (a unique constraint is checked as its index is built).

    Use it inside a transaction: PostgreSQL's DDL is transactional, so a failure leaves the
    tables as they were. Elsewhere this does nothing. `say`, when given, hears how long the
    index builds and the key checks took, with the slowest of each.

    `keys=False` leaves the foreign keys alone (a connection whose writes do not fire them,
    `session_replication_role = replica`, and which must not lock the tables they point to).
    """
    if connection.vendor != "postgresql":
        yield
        return
    names = [model._meta.db_table for model in tables]
    rebuild_indexes = new_rows * 4 >= _estimated_rows(tables)
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        # Fire the deferred key checks of rows written earlier in this transaction: a table
        # with pending trigger events cannot be altered.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute(
            "SELECT conrelid::regclass::text, conname, contype, pg_get_constraintdef(oid) "
            "FROM pg_constraint WHERE contype IN ('f', 'u') AND conrelid::regclass::text = ANY(%s) "
            "ORDER BY contype",  # f before u: keys go first, come back last
            [names],
        )
        constraints = [
            row
            for row in cursor.fetchall()
            if (row[2] == "f" and keys) or (row[2] == "u" and rebuild_indexes)
        ]
        indexes = []
        if rebuild_indexes:
            cursor.execute(
                "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) FROM pg_index i "
                "WHERE i.indrelid::regclass::text = ANY(%s) AND NOT i.indisprimary "
                "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)",
                [names],
            )
            indexes = cursor.fetchall()
        for table, name, _kind, _definition in constraints:
            cursor.execute(f"ALTER TABLE {table} DROP CONSTRAINT {quote(name)}")
        for name, _definition in indexes:
            cursor.execute(f"DROP INDEX {name}")
    yield
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        # Set here, after the writes, which may have set it themselves.
        cursor.execute(f"SET LOCAL maintenance_work_mem = '{MAINTENANCE_MEMORY}'")
        built = _timed(cursor, [(name, definition) for name, definition in indexes])
        checked = _timed(
            cursor,
            [
                (name, f"ALTER TABLE {table} ADD CONSTRAINT {quote(name)} {_unchecked(kind, definition)}")
                for table, name, kind, definition in reversed(constraints)
            ],
        )
    if say:
        for what, times in (("indexes built", built), ("keys and unique constraints added", checked)):
            slowest = ", ".join(
                f"{name} {seconds:.1f} s" for name, seconds in sorted(times, key=lambda t: -t[1])[:4]
            )
            say(f"{len(times)} {what} in {sum(s for _n, s in times):.1f} s (slowest: {slowest or '-'})")


def _unchecked(kind: str, definition: str) -> str:
    """A foreign key's definition as added back after the writes: NOT VALID (once)."""
    if kind != "f" or definition.endswith(" NOT VALID"):
        return definition
    return f"{definition} NOT VALID"


def unvalidated_keys() -> list[tuple[str, str]]:
    """(table, constraint) of every foreign key added back NOT VALID (PostgreSQL)."""
    if connection.vendor != "postgresql":
        return []
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT conrelid::regclass::text, conname FROM pg_constraint "
            "WHERE contype = 'f' AND NOT convalidated ORDER BY 1, 2"
        )
        return cursor.fetchall()


def validate_key(table: str, name: str) -> float:
    """Check every row against a key added back NOT VALID; seconds taken. PostgreSQL takes a
    lock that lets reads and writes of both tables go on meanwhile (SHARE UPDATE EXCLUSIVE on
    the table, ROW SHARE on the one it points to)."""
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(f"SET LOCAL maintenance_work_mem = '{MAINTENANCE_MEMORY}'")
        cursor.execute(f"ALTER TABLE {table} VALIDATE CONSTRAINT {connection.ops.quote_name(name)}")
    return time.perf_counter() - started


def _timed(cursor, statements: list[tuple[str, str]]) -> list[tuple[str, float]]:
    """Run (name, statement) pairs in order; (name, seconds) of each."""
    times = []
    for name, statement in statements:
        started = time.perf_counter()
        cursor.execute(statement)
        times.append((name, time.perf_counter() - started))
    return times
