"""One statement committed apart from the caller's transaction, on a connection of its own.

For the counters that hand out readable numbers (a day's tickets): taken inside the caller's
transaction, the counter's row stays locked from the increment to the caller's commit, so every
opening waits for the whole of the one before it, commit included (decision 0036). Taken here, the
row is locked for the one statement.

On PostgreSQL each thread keeps one connection, outside Django's pool, in autocommit with
`synchronous_commit = off`: losing the last increments in a crash only loses numbers nobody kept,
since the caller's own commit flushes the WAL up to and past them. Elsewhere (SQLite: one writer at
a time, whose transaction already holds the write lock), and whenever the connection of its own
cannot answer at once, the statement runs in the caller's transaction as before: the answer is
the same, only the lock is held longer.

The price: a caller that fails after taking its number leaves that number unused.
"""

import logging
import threading

from django.conf import settings
from django.db import connection

log = logging.getLogger(__name__)

# How long the statement may wait for a row lock before it runs in the caller's transaction
# instead. Only another transaction that wrote the same row itself waits that long: a bulk load
# of the counters (the data generator), or the caller's own transaction, which would otherwise
# wait for itself.
LOCK_TIMEOUT_MS = 200

_local = threading.local()
_opened: list = []
_opened_lock = threading.Lock()


def _enabled() -> bool:
    return connection.vendor == "postgresql" and getattr(settings, "KEFU_NUMBERS_APART", True)


def _own_connection():
    own = getattr(_local, "connection", None)
    if own is not None and not own.closed:
        return own
    import psycopg

    params = connection.get_connection_params()
    # The server binds the values and keeps the statement prepared from its first use (not behind
    # a pooler in transaction mode: DB_PREPARE_ON_SERVER=0).
    for key in ("cursor_factory", "prepare_threshold"):
        params.pop(key, None)
    prepare = 0 if getattr(settings, "KEFU_PREPARE_ON_SERVER", True) else None
    own = psycopg.connect(autocommit=True, prepare_threshold=prepare, **params)
    with _opened_lock:
        _opened.append(own)
    own.execute("SET synchronous_commit = off", prepare=False)
    own.execute(f"SET lock_timeout = {LOCK_TIMEOUT_MS}", prepare=False)
    _local.connection = own
    return own


def fetch_one(sql: str, params: list) -> tuple:
    """The first row of `sql` (written with %s placeholders), committed apart when it can be."""
    if _enabled():
        import psycopg

        try:
            row = _own_connection().execute(sql, params).fetchone()
        except psycopg.errors.LockNotAvailable:
            pass
        except psycopg.OperationalError:
            log.warning("the connection of its own failed; the statement runs in the transaction")
            own = getattr(_local, "connection", None)
            if own is not None:
                own.close()
        else:
            assert row is not None
            return row
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    assert row is not None
    return row


def close_all() -> None:
    """Close every connection this module opened, in every thread (a test session, before its
    database is dropped; a failed connection)."""
    with _opened_lock:
        opened, _opened[:] = list(_opened), []
    for own in opened:
        own.close()
