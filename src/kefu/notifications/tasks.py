"""The worker's part of the outbox: deliver what a transaction just wrote, and every minute
drain whatever is due (retries, and everything that waited while no worker ran)."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from kefu.notifications import delivery


@db_task()
def deliver_messages(ids: list[int]) -> int:
    """Sent after the commit of the transaction that wrote `ids`; how many were sent."""
    return delivery.deliver(ids).sent


@db_periodic_task(crontab(minute="*"))
def drain_outbox() -> int:
    """Every minute: due retries, messages written while the worker was stopped, and messages a
    stopped worker left half-sent (also `manage.py deliver_outbox`)."""
    return delivery.drain().sent


@db_periodic_task(crontab(hour="3", minute="37"))
def purge_outbox() -> int:
    """Every night: delete the messages sent more than KEFU_OUTBOX_KEEP_DAYS days ago (also
    `manage.py purge_outbox`)."""
    return delivery.purge_sent()
