"""The complaints' part of the demo data (`manage.py load_demo_data`): classified complaints (one
resolved although not our fault, one compensated, one escalated to HQ) and a problem with linked
tickets, all through the services; loading again adds nothing."""

import io

import pytest
from django.core.management import call_command
from django.test import override_settings

from kefu.complaints.models import Compensation, Complaint, ComplaintTally, Outcome, Problem

pytestmark = pytest.mark.django_db


def load() -> str:
    out = io.StringIO()
    with override_settings(DEBUG=True):
        call_command("load_demo_data", "--customers", "30", "--tickets", "80", "--seed", "3", stdout=out)
    return out.getvalue()


def test_the_demo_has_complaints_with_causes_and_a_problem_with_tickets():
    output = load()
    assert "demo complaints" in output
    assert Complaint.objects.filter(outcome=Outcome.RESOLVED_NOT_OUR_FAULT).count() >= 1
    assert Complaint.objects.filter(escalated_to_hq_at__isnull=False).count() == 1
    assert Compensation.objects.count() == 2
    problem = Problem.objects.get()
    assert problem.links.count() == 3
    # The tickets' demo's complaints have their causes (recovery cases opened later may not yet).
    assert Complaint.objects.filter(cause__isnull=False).count() >= 3
    # The tallies count every complaint once, the demo tickets' own complaints included.
    assert sum(ComplaintTally.objects.values_list("complaints", flat=True)) == Complaint.objects.count()
    load()
    assert Problem.objects.count() == 1
    assert Compensation.objects.count() == 2
