"""Who may call each operation of the notification centre's API (the role × operation matrix):
everyone signed in, with or without a role, reads and marks their own notifications."""

from kefu.notifications.models import Notification
from tests.guards.matrix import EVERYONE, Call, Op


def own_notification(world, user):
    """A notification of the caller's own, to mark read (another's is a 404: test_api.py)."""
    notification = Notification.objects.create(recipient=user, kind="notifications.test", title="测试通知")
    return Call(path={"notification_id": notification.pk})


ACCESS = {
    "list_notifications": Op(EVERYONE, lambda world, user: Call(query={"unread": "true"})),
    "mark_notification_read": Op(EVERYONE, own_notification),
    "mark_all_notifications_read": Op(EVERYONE, lambda world, user: Call()),
}
