"""The follow-ups' demo step: some done through the service, some overdue, the sales rep's
accounts with their revisits due; run again, it adds nothing."""

import io

import pytest
from django.core.management import call_command
from django.test import override_settings
from django.utils import timezone

from kefu.feedback.models import AccountRep, FollowUp, FollowUpKind, FollowUpStatus

pytestmark = pytest.mark.django_db


def load() -> str:
    out = io.StringIO()
    with override_settings(DEBUG=True):
        call_command("load_demo_data", "--customers", "20", "--tickets", "40", "--seed", "3", stdout=out)
    return out.getvalue()


def test_the_demo_has_follow_ups_done_due_and_overdue_and_revisits():
    assert "Follow-ups:" in load()
    pending = FollowUp.objects.filter(status=FollowUpStatus.PENDING)
    assert FollowUp.objects.filter(status=FollowUpStatus.DONE).count() >= 1
    assert pending.filter(due_on__lt=timezone.localdate()).exists()
    assert pending.filter(due_on__gte=timezone.localdate()).exists()
    assert FollowUp.objects.filter(kind=FollowUpKind.ACCOUNT_REVISIT, assignee__username="sales").exists()
    assert AccountRep.objects.filter(next_revisit_on__gt=timezone.localdate()).exists()
    before = FollowUp.objects.count()
    load()
    assert FollowUp.objects.count() == before
