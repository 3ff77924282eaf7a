"""The staff admin: tokens revoked through accounts.services, roles shown by their labels."""

import pytest
from django.contrib.auth.models import Group, Permission
from django.urls import reverse

from kefu.accounts import services
from kefu.accounts.models import ApiToken, User
from kefu.core.models import AuditAction, AuditEvent
from tests.admin_pages import admin_url


@pytest.fixture
def admin_client(client, administrator):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "zh-hans"
    client.force_login(administrator)
    return client


def test_token_revoke_in_the_admin_calls_revoke_token_and_never_shows_the_digest(
    admin_client, administrator, agent, monkeypatch
):
    token, _raw = services.issue_token(user=agent, name="bench")
    spent, _raw = services.issue_token(user=agent, name="old")
    services.revoke_token(token=spent, by=agent)
    calls = []
    revoke = services.revoke_token
    monkeypatch.setattr(services, "revoke_token", lambda **kw: calls.append(kw) or revoke(**kw))
    page = admin_client.get(admin_url(ApiToken, "change", token.pk))
    assert token.digest not in page.content.decode()

    response = admin_client.post(
        admin_url(ApiToken, "changelist"), {"action": "revoke", "_selected_action": [token.pk, spent.pk]}
    )

    assert response.status_code == 302
    assert [(call["token"].pk, call["by"]) for call in calls] == [(token.pk, administrator)]
    token.refresh_from_db()
    assert token.revoked_at is not None
    updates = AuditEvent.objects.filter(action=AuditAction.UPDATE, target_id=str(token.pk))
    assert [event.actor for event in updates] == [administrator]


def test_a_refused_revoke_is_reported_and_changes_nothing(client, agent, manager):
    """The service decides who may revoke whose token; the admin says when it refused."""
    token, _raw = services.issue_token(user=agent)
    manager.is_staff = True
    manager.save()
    # May use the admin's action, but not revoke another person's token (no accounts.change_user).
    manager.user_permissions.add(
        Permission.objects.get(codename="change_apitoken"), Permission.objects.get(codename="view_apitoken")
    )
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    client.force_login(manager)

    response = client.post(
        admin_url(ApiToken, "changelist"), {"action": "revoke", "_selected_action": [token.pk]}, follow=True
    )

    assert (
        "You may revoke only your own tokens." in response.content.decode()
        or "只能" in response.content.decode()
    )
    token.refresh_from_db()
    assert token.revoked_at is None


def test_roles_are_shown_by_their_labels(admin_client, agent):
    groups = admin_client.get(admin_url(Group, "changelist")).content.decode()
    assert "客服专员" in groups
    group = Group.objects.get(name="agent")
    page = admin_client.get(admin_url(Group, "change", group.pk)).content.decode()
    breadcrumbs = page[page.index('class="breadcrumbs"') :][:600]
    assert "客服专员" in breadcrumbs
    assert "&rsaquo; agent" not in breadcrumbs
    user_page = admin_client.get(admin_url(User, "change", agent.pk))
    choices = dict(user_page.context["adminform"].form.fields["groups"].choices)
    assert choices[group.pk] == "客服专员"
    users = admin_client.get(reverse("admin:accounts_user_changelist"))
    filters = [
        choice["display"]
        for spec in users.context["cl"].filter_specs
        for choice in spec.choices(users.context["cl"])
    ]
    assert "客服专员" in filters
