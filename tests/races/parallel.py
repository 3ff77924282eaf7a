"""Real concurrency for the race tests: threads that start together, each on its own connection,
and a lock the test holds until every thread is seen queued behind it.

A race that depends on luck proves nothing when it passes, so the tests make the overlap certain:
the test's own connection takes the lock the racers need (a row lock, or an uncommitted row with
the unique key they will insert) inside a transaction, starts the racers, and lets go only when
PostgreSQL shows each racer waiting for a lock. Every racer has then read what it reads before
the lock, and they all meet at it.
"""

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import connection, connections, transaction

# Bounds, so that a broken race fails the test instead of hanging the suite.
START_TIMEOUT = 5.0
QUEUE_TIMEOUT = 10.0
FINISH_TIMEOUT = 20.0


@dataclass
class Outcome:
    value: Any = None
    error: Exception | None = None


class Racers:
    """Threads released together by a barrier. Each keeps what its work returned or raised and
    closes its own database connection when done."""

    def __init__(self, *work: Callable[[], Any]):
        self.outcomes = [Outcome() for _ in work]
        self._barrier = threading.Barrier(len(work))
        self._threads = [
            threading.Thread(target=self._run, args=(outcome, job), name=f"racer-{index}", daemon=True)
            for index, (outcome, job) in enumerate(zip(self.outcomes, work, strict=True))
        ]

    def _run(self, outcome: Outcome, job: Callable[[], Any]) -> None:
        try:
            self._barrier.wait(timeout=START_TIMEOUT)
            outcome.value = job()
        except Exception as error:  # the test judges every outcome, errors included
            outcome.error = error
        finally:
            connections.close_all()

    def start(self) -> "Racers":
        for thread in self._threads:
            thread.start()
        return self

    @property
    def finished(self) -> list[str]:
        return [thread.name for thread in self._threads if thread.ident and not thread.is_alive()]

    def join(self) -> list[Outcome]:
        deadline = time.monotonic() + FINISH_TIMEOUT
        for thread in self._threads:
            if thread.ident:
                thread.join(max(deadline - time.monotonic(), 0))
        stuck = [thread.name for thread in self._threads if thread.is_alive()]
        assert not stuck, f"{', '.join(stuck)} still running after {FINISH_TIMEOUT:.0f} s"
        return self.outcomes


def waiting_for_locks() -> int:
    """How many sessions on the test database wait for a lock right now."""
    with connection.cursor() as cursor:
        # Inside a transaction PostgreSQL shows a snapshot of pg_stat_activity; take a fresh one.
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND backend_type = 'client backend' AND wait_event_type = 'Lock'"
        )
        return cursor.fetchone()[0]


def wait_until(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + QUEUE_TIMEOUT
    while not condition():
        assert time.monotonic() < deadline, f"after {QUEUE_TIMEOUT:.0f} s still not: {what}"
        time.sleep(0.005)


def wait_until_queued(racers: Racers, count: int) -> None:
    """Until `count` sessions wait for a lock; a racer that finishes first never met the lock."""

    def queued() -> bool:
        assert not racers.finished, (
            f"{racers.finished} finished before the lock was let go: {racers.outcomes}"
        )
        return waiting_for_locks() >= count

    wait_until(queued, f"{count} sessions waiting for a lock")


def race_behind(hold: Callable[[], Any], *work: Callable[[], Any], rollback: bool = False) -> list[Outcome]:
    """Run `work` in parallel threads behind a lock that `hold()` takes on the test's connection.

    The lock is let go, by commit or (`rollback`) by rollback, once every racer waits for it;
    the racers then settle the race among themselves as concurrent requests would.
    """
    racers = Racers(*work)
    try:
        with transaction.atomic():
            hold()
            racers.start()
            wait_until_queued(racers, len(work))
            if rollback:
                transaction.set_rollback(True)
    finally:
        outcomes = racers.join()
    return outcomes
