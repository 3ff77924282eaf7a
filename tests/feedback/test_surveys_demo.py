"""The surveys' demo step: answers both ways through the service, one recovery case left open
in the supervisor's queue; run again, it adds nothing."""

import io

import pytest
from django.core.management import call_command
from django.test import override_settings

from kefu.feedback.models import Survey
from kefu.tickets.models import OPEN_STATUSES

pytestmark = pytest.mark.django_db


def load() -> str:
    out = io.StringIO()
    with override_settings(DEBUG=True):
        call_command("load_demo_data", "--customers", "20", "--tickets", "40", "--seed", "3", stdout=out)
    return out.getvalue()


def test_the_demo_answers_surveys_both_ways_and_leaves_one_recovery_case_open():
    output = load()
    assert "Surveys:" in output
    answered = Survey.objects.filter(answered_at__isnull=False)
    assert answered.filter(is_satisfied=True).count() >= 3
    assert answered.filter(is_satisfied=False).count() >= 1
    open_cases = answered.filter(recovery_ticket__status__in=OPEN_STATUSES)
    assert open_cases.count() == 1
    assert open_cases.get().recovery_ticket.owner.username == "supervisor"
    before = answered.count()
    load()
    assert Survey.objects.filter(answered_at__isnull=False).count() == before
