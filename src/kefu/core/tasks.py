"""Periodic bookkeeping of the worker itself."""

import time

from huey import crontab
from huey.contrib.djhuey import HUEY, periodic_task

from kefu.core.health import HEARTBEAT_KEY


@periodic_task(crontab(minute="*"))
def heartbeat() -> None:
    """Lets /healthz and the admin banner see that a worker is running."""
    HUEY.put(HEARTBEAT_KEY, str(time.time()))
