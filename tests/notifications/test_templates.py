"""Templates: seeded from the registered defaults, rendered in the reader's language, edited in
the admin (through the service), never overwritten by a later seed."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from kefu.core.models import AuditEvent
from kefu.notifications import registry, services
from kefu.notifications.models import NotificationTemplate
from tests.factories import make_user
from tests.notifications.conftest import CONTEXT, DEFAULTS, KIND

pytestmark = pytest.mark.django_db


def test_every_default_is_seeded_once(kind):
    assert NotificationTemplate.objects.filter(kind=KIND).count() == len(DEFAULTS)
    assert registry.seed_templates() == 0


def test_the_app_registered_test_kind_is_seeded_by_migrate():
    assert NotificationTemplate.objects.filter(kind="notifications.test").count() == 6


def test_templates_render_in_chinese_and_english(kind):
    assert registry.render(KIND, "inapp", "zh-hans", CONTEXT) == (
        "工单 KF2611240001 已转给您",
        "王工：<b>空调</b> & 外机",
    )
    assert registry.render(KIND, "inapp", "en", CONTEXT)[0] == "Ticket KF2611240001 was transferred to you"


def test_staff_read_the_sites_language_unless_the_user_model_keeps_theirs(kind, settings):
    user = make_user("agent")
    assert registry.language_of(user) == "zh-hans"
    user.language = "en"
    assert registry.language_of(user) == "en"

    [row] = services.notify(kind=kind, recipients=[user], context=CONTEXT)
    assert row.title == "Ticket KF2611240001 was transferred to you"


def test_an_administrators_edit_takes_effect_and_survives_the_next_seed(kind, administrator):
    template = NotificationTemplate.objects.get(kind=KIND, channel="inapp", language="zh-hans")

    services.update_template(
        template_id=template.pk, subject="转给您：{{ number }}", body="{{ reason }}", by=administrator
    )
    registry.seed_templates()

    assert registry.render(KIND, "inapp", "zh-hans", CONTEXT)[0] == "转给您：KF2611240001"
    assert AuditEvent.objects.filter(target_id=str(template.pk), actor=administrator).count() == 1


def test_an_uncustomised_template_follows_new_defaults(kind):
    changed = {**DEFAULTS, ("inapp", "en"): ("Yours now: {{ number }}", "{{ reason }}")}
    registry.register_kind(KIND, label="Ticket transferred", defaults=changed)

    assert registry.seed_templates() == 1
    assert registry.render(KIND, "inapp", "en", CONTEXT)[0] == "Yours now: KF2611240001"


def test_a_template_that_does_not_compile_is_refused_and_nothing_changes(kind, administrator):
    template = NotificationTemplate.objects.get(kind=KIND, channel="inapp", language="en")

    with pytest.raises(ValidationError) as refusal:
        services.update_template(template_id=template.pk, subject="{% if %}", body="ok", by=administrator)

    assert "subject" in refusal.value.message_dict
    template.refresh_from_db()
    assert template.subject == DEFAULTS[("inapp", "en")][0]
    assert not AuditEvent.objects.filter(target_id=str(template.pk)).exists()


def test_a_broken_stored_template_falls_back_to_the_default(kind):
    NotificationTemplate.objects.filter(kind=KIND, channel="inapp", language="en").update(subject="{% if %}")

    assert registry.render(KIND, "inapp", "en", CONTEXT)[0] == "Ticket KF2611240001 was transferred to you"


def test_restoring_puts_back_the_registered_words(kind, administrator):
    template = NotificationTemplate.objects.get(kind=KIND, channel="sms", language="en")
    services.update_template(template_id=template.pk, subject="", body="changed", by=administrator)

    services.restore_template(template_id=template.pk, by=administrator)

    template.refresh_from_db()
    assert (template.body, template.is_customised) == (DEFAULTS[("sms", "en")][1], False)


def test_the_admin_edit_form_saves_through_the_service(kind, administrator, client):
    client.force_login(administrator)
    template = NotificationTemplate.objects.get(kind=KIND, channel="email", language="zh-hans")
    url = reverse("admin:notifications_notificationtemplate_change", args=[template.pk])

    refused = client.post(url, {"subject": "{% for %}", "body": "x"})
    assert refused.status_code == 200  # the form again, with the error beside the field
    response = client.post(url, {"subject": "新工单 {{ number }}", "body": "{{ by }}"})

    assert response.status_code == 302
    template.refresh_from_db()
    assert (template.subject, template.is_customised) == ("新工单 {{ number }}", True)
    assert registry.render(KIND, "email", "zh-hans", CONTEXT) == ("新工单 KF2611240001", "王工")
