"""REST API of the notification centre (API.md "notifications"): a person's own notifications,
listed and marked read. Anyone signed in may call these; nobody sees another's (404)."""

from typing import Annotated

from django.http import HttpRequest
from ninja import Query, Router, Schema

from kefu.core.api.errors import errors
from kefu.core.api.helpers import Cursor, Id, Limit, LocalDateTime
from kefu.core.api.schema import Page
from kefu.notifications import registry, selectors, services
from kefu.notifications.models import Notification

router = Router(tags=["notifications"])


class NotificationOut(Schema):
    id: int
    kind: str
    kind_label: str
    title: str
    body: str
    link: str
    created_at: LocalDateTime
    read_at: LocalDateTime | None
    is_read: bool


class NotificationList(Page[NotificationOut]):
    unread_count: int


class MarkedOut(Schema):
    marked: int


def notification_data(notification: Notification) -> dict:
    return {
        "id": notification.pk,
        "kind": notification.kind,
        "kind_label": registry.kind_label(notification.kind),
        "title": notification.title,
        "body": notification.body,
        "link": notification.link,
        "created_at": notification.created_at,
        "read_at": notification.read_at,
        "is_read": notification.is_read,
    }


@router.get(
    "/notifications",
    response={200: NotificationList, **errors(400)},
    operation_id="list_notifications",
    summary="Your notifications",
    description=(
        "Newest first; `unread=true` lists only the unread ones. `unread_count` is the bell's number."
    ),
)
def list_notifications(
    request: HttpRequest,
    unread: Annotated[bool, Query(description="Only the unread ones.")] = False,
    cursor: Cursor = None,
    limit: Limit = None,
):
    page = selectors.notification_page(user=request.auth, unread=unread, cursor=cursor, limit=limit)
    return {
        "items": [notification_data(item) for item in page.items],
        "next_cursor": page.next_cursor,
        "unread_count": selectors.unread_count(request.auth),
    }


@router.post(
    "/notifications/{notification_id}/read",
    response={200: NotificationOut, **errors(404)},
    operation_id="mark_notification_read",
    summary="Mark one of your notifications read",
    description="Marking a read notification again changes nothing. Another person's is a 404.",
)
def mark_notification_read(request: HttpRequest, notification_id: Id):
    notification = selectors.access_notification(request.auth, notification_id)
    services.mark_read(user=request.auth, ids=[notification.pk])
    notification.refresh_from_db(fields=["read_at"])
    return notification_data(notification)


@router.post(
    "/notifications/read-all",
    response={200: MarkedOut},
    operation_id="mark_all_notifications_read",
    summary="Mark all your notifications read",
)
def mark_all_notifications_read(request: HttpRequest):
    return {"marked": services.mark_all_read(user=request.auth)}
