"""Staff login through the real login page, with django-axes locking repeated failures."""

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.urls import reverse

from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

LOGIN = reverse("accounts:login")


def attempt(client, username, password):
    return client.post(LOGIN, {"username": username, "password": password}, REMOTE_ADDR="10.0.0.7")


def test_the_login_page_answers(client):
    assert client.get(LOGIN).status_code == 200


def test_login_with_the_right_password_opens_a_session(client, agent):
    response = attempt(client, "agent", PASSWORD)
    assert response.status_code == 302
    assert response.url == reverse(settings.LOGIN_REDIRECT_URL)
    assert int(client.session["_auth_user_id"]) == agent.pk


def test_a_wrong_password_shows_the_form_again(client, agent):
    response = attempt(client, "agent", "wrong")
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session


def test_five_failures_lock_the_username_from_that_address_even_with_the_right_password(client, agent):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        attempt(client, "agent", "wrong")
    response = attempt(client, "agent", PASSWORD)
    assert response.status_code == 429
    assert "accounts/locked_out.html" in [t.name for t in response.templates]
    assert "_auth_user_id" not in client.session


def test_the_lock_holds_for_one_username_from_one_address_only(client, agent, supervisor):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        attempt(client, "agent", "wrong")
    assert attempt(client, "supervisor", PASSWORD).status_code == 302
    client.logout()
    other_address = client.post(LOGIN, {"username": "agent", "password": PASSWORD}, REMOTE_ADDR="10.0.0.8")
    assert other_address.status_code == 302


def test_a_success_resets_the_failure_count(client, agent):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        attempt(client, "agent", "wrong")
    assert attempt(client, "agent", PASSWORD).status_code == 302
    client.logout()
    assert not AccessAttempt.objects.filter(username="agent", failures_since_start__gt=0).exists()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        attempt(client, "agent", "wrong")
    assert attempt(client, "agent", PASSWORD).status_code == 302


def test_logout_is_a_post_and_ends_the_session(client, agent):
    attempt(client, "agent", PASSWORD)
    assert client.get(reverse("accounts:logout")).status_code == 405
    assert "_auth_user_id" in client.session
    response = client.post(reverse("accounts:logout"))
    assert response.status_code == 302
    assert "_auth_user_id" not in client.session
