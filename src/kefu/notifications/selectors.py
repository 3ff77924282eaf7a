"""The reads of the notification centre and of the outbox that matter (query counts tested)."""

import datetime

from django.db.models import Count, Min
from django.utils import timezone

from kefu.core.errors import NotFound
from kefu.core.pagination import Page, keyset_page
from kefu.notifications.models import Notification, OutboxMessage, OutboxStatus

PAGE_ORDER = ("-id",)


def unread_count(user) -> int:
    """The bell's number: one COUNT on the partial index of unread rows."""
    return Notification.objects.visible_to(user).filter(read_at__isnull=True).count()


def notification_page(
    *, user, unread: bool = False, cursor: str | None = None, limit: int | None = None
) -> Page:
    """A page of `user`'s notifications, newest first (only the unread ones with `unread`); one query."""
    notifications = Notification.objects.visible_to(user)
    if unread:
        notifications = notifications.filter(read_at__isnull=True)
    return keyset_page(notifications, order=PAGE_ORDER, cursor=cursor, limit=limit)


def access_notification(user, notification_id) -> Notification:
    """`user`'s own notification; NotFound (404) for anyone else's or none at all."""
    try:
        return Notification.objects.visible_to(user).get(pk=notification_id)
    except (Notification.DoesNotExist, ValueError, TypeError):
        raise NotFound() from None


def outbox_backlog() -> dict:
    """What /healthz and the admin banner show of the outbox, in two queries on partial indexes:
    the messages waiting (and how long the oldest has waited) and those given up."""
    pending = OutboxMessage.objects.filter(status=OutboxStatus.PENDING).aggregate(
        count=Count("id"),
        oldest=Min("created_at"),
    )
    dead = OutboxMessage.objects.filter(status=OutboxStatus.DEAD).count()
    oldest = pending["oldest"]
    age = (timezone.now() - oldest) if oldest else datetime.timedelta(0)
    return {
        "pending": pending["count"],
        "oldest_pending_seconds": max(int(age.total_seconds()), 0),
        "dead": dead,
    }
