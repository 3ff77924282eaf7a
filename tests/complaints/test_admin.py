"""The admin of complaint causes: added and changed through the services (audited; the code fixed
once created); a refusal is shown and writes nothing; complaints and problems are only shown."""

import pytest

from kefu.complaints.models import Complaint, ComplaintCause, Problem
from kefu.core.models import AuditEvent
from tests.admin_pages import admin_url, form_data

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, administrator):
    client.force_login(administrator)
    return client


def test_a_cause_is_added_and_renamed_in_the_admin_with_its_code_fixed(admin_client):
    answer = admin_client.post(
        admin_url(ComplaintCause, "add"),
        {"code": "installation", "name": "安装不规范", "is_active": "on", "sort_order": 75},
    )
    assert answer.status_code == 302, answer.content.decode()[:2000]
    cause = ComplaintCause.objects.get(code="installation")
    page = admin_client.get(admin_url(ComplaintCause, "change", cause.pk))
    data = {**form_data(page), "name": "安装服务不规范", "code": "changed"}
    assert admin_client.post(admin_url(ComplaintCause, "change", cause.pk), data).status_code == 302
    cause.refresh_from_db()
    assert (cause.code, cause.name) == ("installation", "安装服务不规范")
    assert AuditEvent.objects.filter(target_id=str(cause.pk), target_repr__startswith="安装").count() == 2


def test_a_bad_cause_is_refused_in_the_admin_and_nothing_is_written(admin_client):
    before = ComplaintCause.objects.count(), AuditEvent.objects.count()
    answer = admin_client.post(
        admin_url(ComplaintCause, "add"), {"code": "attitude", "name": "重复", "sort_order": 1}
    )
    assert answer.status_code in (200, 302)
    assert (ComplaintCause.objects.count(), AuditEvent.objects.count()) == before


def test_complaints_and_problems_are_only_shown(admin_client):
    for model in (Complaint, Problem):
        assert admin_client.get(admin_url(model, "changelist")).status_code == 200
        assert admin_client.get(admin_url(model, "add")).status_code == 403
