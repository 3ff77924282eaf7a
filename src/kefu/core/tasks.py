"""Periodic bookkeeping: the worker's heartbeat and the nightly clean-up of short-lived rows."""

import time

from huey import crontab
from huey.contrib.djhuey import HUEY, db_periodic_task, periodic_task

from kefu.core.api.idempotency import purge_expired_keys
from kefu.core.health import HEARTBEAT_KEY


@periodic_task(crontab(minute="*"))
def heartbeat() -> None:
    """Lets /healthz and the admin banner see that a worker is running."""
    HUEY.put(HEARTBEAT_KEY, str(time.time()))


@db_periodic_task(crontab(hour="3", minute="17"))
def purge_idempotency_keys() -> int:
    """Every night: forget the Idempotency-Keys past their lifetime (also a command of that name)."""
    return purge_expired_keys()


@db_periodic_task(crontab(hour="2", minute="41"))
def ensure_business_calendar_years() -> dict[int, int]:
    """Every night: this year and next in the business calendar, provisionally when the
    chinese-calendar package does not know them yet (decision 0025)."""
    from kefu.core.calendar import ensure_years

    return ensure_years()
