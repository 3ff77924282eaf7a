"""Delivering the outbox: claim, send, record (decision 0021).

A message is delivered at least once and, while workers keep to the timeout, exactly once:

- **claim**: one transaction moves due pending rows to sending with a conditional UPDATE
  (`WHERE status = 'pending'`), on PostgreSQL after `SELECT … FOR UPDATE SKIP LOCKED`, so two
  workers, or a worker and `manage.py deliver_outbox`, never claim the same row;
- **send**: outside any transaction, through the message's channel (notifications.channels);
- **record**: sent, or back to pending with a later `next_attempt_at` (backoff), or dead after
  KEFU_OUTBOX_MAX_ATTEMPTS tries, each update conditional on the claim still being ours.

A worker that dies between claim and record leaves the row in sending; `drain()` puts rows
claimed longer than KEFU_OUTBOX_SENDING_TIMEOUT seconds ago back (or gives them up when they
used their last attempt). So a stopped worker delays messages and loses none.

Sent messages are kept KEFU_OUTBOX_KEEP_DAYS days, then `purge_sent()` deletes them (nightly, and
`manage.py purge_outbox`). Waiting and given-up messages are never purged: someone must see them.
"""

import datetime
import logging
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from kefu.core import audit
from kefu.notifications import channels
from kefu.notifications.models import LocalSms, OutboxMessage, OutboxStatus

logger = logging.getLogger("kefu.notifications")

BATCH = 50
# Sent messages deleted per statement by the purge: short transactions, whatever the backlog.
PURGE_BATCH = 5000
ERROR_MAX = OutboxMessage._meta.get_field("last_error").max_length or 500
LONGEST_WAIT = datetime.timedelta(hours=6)


def max_attempts() -> int:
    return int(settings.KEFU_OUTBOX_MAX_ATTEMPTS)


def retry_delay(attempts: int) -> datetime.timedelta:
    """How long to wait after the `attempts`-th failed try: the base, times four for each
    further try (1 min, 4 min, 16 min, 64 min … at the default base), at most six hours."""
    seconds = float(settings.KEFU_OUTBOX_RETRY_SECONDS) * 4 ** max(attempts - 1, 0)
    return min(datetime.timedelta(seconds=seconds), LONGEST_WAIT)


@dataclass
class Outcome:
    sent: int = 0
    retried: int = 0
    dead: int = 0
    requeued: int = 0

    def add(self, other: "Outcome") -> None:
        self.sent += other.sent
        self.retried += other.retried
        self.dead += other.dead
        self.requeued += other.requeued


def claim(*, ids: Iterable[int] | None = None, limit: int = BATCH) -> list[OutboxMessage]:
    """Move up to `limit` due pending messages (of `ids`, when given) to sending, and return
    them. Only one caller ever gets a given message: the rows are locked (PostgreSQL, skipping
    rows another claimer holds) or the write lock is held (SQLite) while they are chosen, and
    the UPDATE is conditional on their still being pending."""
    now = timezone.now()
    with transaction.atomic():
        due = OutboxMessage.objects.filter(status=OutboxStatus.PENDING, next_attempt_at__lte=now)
        if ids is not None:
            due = due.filter(pk__in=list(ids))
        if connection.features.has_select_for_update_skip_locked:
            due = due.select_for_update(skip_locked=True)
        chosen = list(due.order_by("next_attempt_at", "id").values_list("pk", flat=True)[:limit])
        if not chosen:
            return []
        OutboxMessage.objects.filter(pk__in=chosen, status=OutboxStatus.PENDING).update(
            status=OutboxStatus.SENDING, claimed_at=now, attempts=F("attempts") + 1
        )
        return list(
            OutboxMessage.objects.filter(pk__in=chosen, status=OutboxStatus.SENDING, claimed_at=now).order_by(
                "id"
            )
        )


def _ours(message: OutboxMessage):
    """The row, if our claim on it still holds (not put back by a timeout meanwhile)."""
    return OutboxMessage.objects.filter(
        pk=message.pk, status=OutboxStatus.SENDING, claimed_at=message.claimed_at
    )


def send_claimed(message: OutboxMessage) -> Outcome:
    """Send one claimed message and record what happened."""
    now = timezone.now()
    try:
        provider_id = channels.send(message)
    except channels.DeliveryFailed as error:
        reason = str(error)[:ERROR_MAX] or error.__class__.__name__
        if message.attempts >= max_attempts():
            logger.warning(
                "outbox message %s given up after %s attempts: %s", message.pk, message.attempts, reason
            )
            _ours(message).update(status=OutboxStatus.DEAD, last_error=reason)
            return Outcome(dead=1)
        logger.info("outbox message %s failed (attempt %s): %s", message.pk, message.attempts, reason)
        _ours(message).update(
            status=OutboxStatus.PENDING,
            claimed_at=None,
            next_attempt_at=now + retry_delay(message.attempts),
            last_error=reason,
        )
        return Outcome(retried=1)
    _ours(message).update(status=OutboxStatus.SENT, sent_at=now, provider_id=provider_id[:100])
    return Outcome(sent=1)


def deliver(ids: Iterable[int]) -> Outcome:
    """Deliver the messages `ids` that are due and pending (what a transaction just wrote);
    any another worker has claimed already are left to it."""
    outcome = Outcome()
    for message in claim(ids=list(ids), limit=10_000):
        outcome.add(send_claimed(message))
    return outcome


def requeue_stuck() -> Outcome:
    """Messages claimed longer ago than the timeout (their worker stopped mid-send) go back to
    pending, or are given up if that try was their last."""
    now = timezone.now()
    cutoff = now - datetime.timedelta(seconds=float(settings.KEFU_OUTBOX_SENDING_TIMEOUT))
    stuck = OutboxMessage.objects.filter(status=OutboxStatus.SENDING, claimed_at__lt=cutoff)
    dead = stuck.filter(attempts__gte=max_attempts()).update(
        status=OutboxStatus.DEAD, last_error="the worker stopped while sending (no answer within the timeout)"
    )
    requeued = stuck.update(status=OutboxStatus.PENDING, claimed_at=None, next_attempt_at=now)
    if dead or requeued:
        logger.warning("outbox: %s messages put back after a stopped worker, %s given up", requeued, dead)
    return Outcome(requeued=requeued, dead=dead)


def drain(*, most: int = 5000) -> Outcome:
    """Deliver every due pending message, batch after batch, at most `most` in one run. Safe
    to run in several processes at once: each message is claimed by one of them."""
    outcome = requeue_stuck()
    handled = 0
    while handled < most:
        batch = claim(limit=min(BATCH, most - handled))
        if not batch:
            break
        for message in batch:
            outcome.add(send_claimed(message))
        handled += len(batch)
    return outcome


def keep_days() -> int:
    return int(settings.KEFU_OUTBOX_KEEP_DAYS)


def purge_sent(*, now: datetime.datetime | None = None, batch: int = PURGE_BATCH) -> int:
    """Delete the messages sent more than KEFU_OUTBOX_KEEP_DAYS days ago, with the local
    gateway's copies of them (LocalSms), and return how many. Set-based: one DELETE per batch of
    ids, each batch its own short transaction with one audit row for it (decision 0020).
    Idempotent: a second run, or two at once, finds nothing left to delete. A message waiting,
    being sent or given up is never deleted."""
    cutoff = (now or timezone.now()) - datetime.timedelta(days=keep_days())
    old = OutboxMessage.objects.filter(status=OutboxStatus.SENT, sent_at__lt=cutoff)
    deleted = 0
    while True:
        with transaction.atomic():
            ids = list(old.order_by("id").values_list("id", flat=True)[:batch])
            if not ids:
                return deleted
            # Nothing cascades from either table (LocalSms.message is DO_NOTHING, its foreign key
            # kept by the database), so each is one DELETE, with no row read into Python.
            LocalSms.objects.filter(message_id__in=ids).delete()
            count, _by_model = old.filter(id__in=ids).delete()
            audit.record_sweep(
                name="notifications.purge_outbox",
                model=OutboxMessage,
                counts={"deleted": count},
                criteria={"status": OutboxStatus.SENT, "sent_before": cutoff.isoformat()},
                id_range=(ids[0], ids[-1]),
            )
        deleted += count
        if len(ids) < batch:
            return deleted
