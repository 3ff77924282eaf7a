"""Health of the dependencies a request or a sweep needs, for /healthz and the admin banner.

Apps add their own figures without core knowing them: from its AppConfig.ready() an app calls
`register_check("outbox", report, warnings=...)`; /healthz shows `report()` under that name and
the admin banner adds `warnings(report)`. Only the database and the queue decide "ok" (and the
503 a load balancer acts on): an app's figures inform people, they do not take an instance out.
"""

import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass

import redis
from django.conf import settings
from django.db import connection
from django.db.utils import DatabaseError
from huey.contrib.djhuey import HUEY

# The worker writes this key every minute (kefu.core.tasks.heartbeat); older means it is down.
HEARTBEAT_KEY = "kefu:worker-heartbeat"
HEARTBEAT_STALE_AFTER = 180


def check_database() -> dict:
    started = time.perf_counter()
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError as error:
        return {"ok": False, "error": error.__class__.__name__}
    return {
        "ok": True,
        "vendor": connection.vendor,
        "ms": round((time.perf_counter() - started) * 1000, 1),
    }


def check_queue() -> dict:
    """The queue's storage answers, and whether a worker has beaten its heart lately."""
    try:
        pending = HUEY.pending_count()
        beat = HUEY.get(HEARTBEAT_KEY, peek=True)
    except (OSError, sqlite3.Error, redis.RedisError) as error:
        return {"ok": False, "error": error.__class__.__name__}
    worker_seen = float(beat) if beat else None
    worker_alive = worker_seen is not None and time.time() - worker_seen < HEARTBEAT_STALE_AFTER
    return {
        "ok": True,
        "backend": HUEY.__class__.__name__,
        "pending": pending,
        "worker_alive": worker_alive or bool(settings.HUEY.get("immediate")),
    }


@dataclass(frozen=True)
class Check:
    name: str
    report: Callable[[], dict]
    warnings: Callable[[dict], list] | None = None


_CHECKS: dict[str, Check] = {}
RESERVED = frozenset({"ok", "version", "database", "queue"})


def register_check(
    name: str, report: Callable[[], dict], *, warnings: Callable[[dict], list] | None = None
) -> None:
    """Show `report()` (a JSON-able dict) in /healthz under `name`, and `warnings(report)` (the
    sentences for administrators, empty when all is well) in the admin banner. Registering a
    name again replaces it."""
    if name in RESERVED:
        raise ValueError(f"{name!r} is one of /healthz's own fields")
    _CHECKS[name] = Check(name, report, warnings)


def _run(check: Check) -> dict:
    try:
        return check.report()
    except DatabaseError as error:
        return {"ok": False, "error": error.__class__.__name__}


def registered_reports() -> dict[str, dict]:
    return {name: _run(check) for name, check in sorted(_CHECKS.items())}


def registered_warnings() -> list:
    """The sentences the registered checks want administrators to read now."""
    found = []
    for _name, check in sorted(_CHECKS.items()):
        report = _run(check)
        if check.warnings is not None and report.get("ok", True) is not False:
            found.extend(check.warnings(report))
    return found


def health() -> dict:
    database, queue = check_database(), check_queue()
    report = {
        "ok": database["ok"] and queue["ok"],
        "version": settings.KEFU_VERSION,
        "database": database,
        "queue": queue,
    }
    if database["ok"]:
        report.update(registered_reports())
    return report
