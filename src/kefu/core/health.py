"""Health of the dependencies a request or a sweep needs, for /healthz and the admin banner."""

import sqlite3
import time

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


def health() -> dict:
    database, queue = check_database(), check_queue()
    return {
        "ok": database["ok"] and queue["ok"],
        "version": settings.KEFU_VERSION,
        "database": database,
        "queue": queue,
    }
