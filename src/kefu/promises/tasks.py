"""The worker's part of the promises: the breach sweep every minute (also `manage.py promise_sweep`)."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from kefu.promises import sweep


@db_periodic_task(crontab(minute="*"))
def promise_sweep() -> dict[str, int]:
    """Every minute: mark new breaches and climb the escalation chain (promises.sweep). A run that
    finds another still running returns at once; the next minute catches up."""
    return sweep.sweep(wait=False).counts
