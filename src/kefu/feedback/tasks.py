"""The worker's part of the follow-ups: the missing follow-ups and the account revisits every
hour (also `manage.py generate_follow_ups`), the overdue escalation every hour (also
`manage.py escalate_follow_ups`)."""

import datetime

from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from kefu.feedback import services_followups

WINDOW_DAYS = 30


@db_periodic_task(crontab(minute="7"))
def generate_follow_ups() -> dict[str, int]:
    """Hourly: follow-ups the hook could not make (tickets resolved in the last 30 days) and the
    account revisits due."""
    created = services_followups.generate_follow_ups(
        resolved_since=timezone.now() - datetime.timedelta(days=WINDOW_DAYS)
    )
    revisits = services_followups.sweep_revisits()
    return {"created": created, "revisits": revisits.created}


@db_periodic_task(crontab(minute="37"))
def escalate_follow_ups() -> dict[str, int]:
    """Hourly: escalate the follow-ups past due, once each."""
    result = services_followups.escalate_overdue()
    return {"escalated": result.escalated, "notified": result.notified}
