"""The login lockout against the ways around it, through the real login page and the real token
endpoint. Time is axes' clock, fixed by the `clock` fixture and moved by hand.
"""

import datetime
import json

import pytest
from axes.models import AccessAttempt
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone

from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

LOGIN = reverse("accounts:login")
TOKENS = "/api/v1/auth/tokens"

LIMIT = 3  # failures for one username from one address
ADDRESS_LIMIT = 8  # failures for any usernames from one address
COOL_OFF = datetime.timedelta(minutes=15)

BALANCER = "10.0.0.2"  # REMOTE_ADDR of every request that comes through the load balancer
CLIENT_A = "203.0.113.10"
CLIENT_B = "203.0.113.20"


@pytest.fixture(autouse=True)
def lockout_settings():
    with override_settings(
        AXES_FAILURE_LIMIT=LIMIT,
        LOGIN_ADDRESS_FAILURE_LIMIT=ADDRESS_LIMIT,
        AXES_COOLOFF_TIME=COOL_OFF.total_seconds() / 3600,
        TRUSTED_PROXY_COUNT=0,
        # Users are made per test; the production hasher's slowness buys nothing here.
        PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
    ):
        yield


class Clock:
    """A fixed now, moved by hand: axes stamps each attempt with it and counts failures back from it."""

    def __init__(self) -> None:
        self.now = timezone.now()

    def __call__(self) -> datetime.datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += datetime.timedelta(**delta)


@pytest.fixture(autouse=True)
def clock(monkeypatch):
    clock = Clock()
    # Django's now stamps a new record (auto_now_add); axes' own copy stamps the request.
    monkeypatch.setattr("django.utils.timezone.now", clock)
    monkeypatch.setattr("axes.handlers.proxy.now", clock)
    return clock


@pytest.fixture(params=["page", "api"])
def via(request):
    return request.param


OUTCOMES = {
    "page": {302: "in", 200: "refused", 429: "locked"},
    "api": {201: "in", 401: "refused", 429: "locked"},
}


def post(via: str, username: str, password: str, *, address: str, forwarded: str | None = None):
    meta = {"REMOTE_ADDR": address}
    if forwarded is not None:
        meta["HTTP_X_FORWARDED_FOR"] = forwarded
    client = Client()  # a new browser or API client each time: no session carries over
    if via == "page":
        return client.post(LOGIN, {"username": username, "password": password}, **meta)
    body = json.dumps({"username": username, "password": password})
    return client.post(TOKENS, body, content_type="application/json", **meta)


def sign_in(via: str, username: str, password: str, *, address: str, forwarded: str | None = None) -> str:
    """One attempt: "in", "refused" (a wrong password) or "locked"."""
    response = post(via, username, password, address=address, forwarded=forwarded)
    return OUTCOMES[via].get(response.status_code, f"answered {response.status_code}")


def counted_addresses() -> set[str]:
    return set(AccessAttempt.objects.values_list("ip_address", flat=True))


# --- The client address ---------------------------------------------------------------------


@override_settings(TRUSTED_PROXY_COUNT=1)
def test_behind_one_proxy_failures_from_one_client_do_not_lock_the_username_for_another(via, agent):
    for _attempt in range(LIMIT):
        sign_in(via, "agent", "wrong", address=BALANCER, forwarded=CLIENT_A)

    assert sign_in(via, "agent", PASSWORD, address=BALANCER, forwarded=CLIENT_A) == "locked"
    assert sign_in(via, "agent", PASSWORD, address=BALANCER, forwarded=CLIENT_B) == "in"
    assert counted_addresses() == {CLIENT_A}


@override_settings(TRUSTED_PROXY_COUNT=1)
def test_a_forged_left_most_forwarded_entry_cannot_choose_the_address(via, agent):
    # The attacker writes the victim's address (or any other) on the left; the balancer appends
    # the attacker's real address on the right.
    for number in range(LIMIT):
        forged = f"192.0.2.{number}, {CLIENT_B}, {CLIENT_A}"
        assert sign_in(via, "agent", "wrong", address=BALANCER, forwarded=forged) != "in"

    assert counted_addresses() == {CLIENT_A}
    assert sign_in(via, "agent", PASSWORD, address=BALANCER, forwarded=f"192.0.2.99, {CLIENT_A}") == "locked"
    assert sign_in(via, "agent", PASSWORD, address=BALANCER, forwarded=CLIENT_B) == "in"


# --- How long a lock lasts ------------------------------------------------------------------


def test_an_attempt_during_the_lockout_does_not_extend_it(via, agent, clock):
    for _attempt in range(LIMIT):
        sign_in(via, "agent", "wrong", address=CLIENT_A)
    assert sign_in(via, "agent", PASSWORD, address=CLIENT_A) == "locked"

    clock.advance(minutes=10)
    assert sign_in(via, "agent", "wrong", address=CLIENT_A) == "locked"
    assert sign_in(via, "agent", PASSWORD, address=CLIENT_A) == "locked"

    clock.advance(minutes=4, seconds=59)  # 14:59 after the last failure that counted
    assert sign_in(via, "agent", PASSWORD, address=CLIENT_A) == "locked"
    clock.advance(seconds=2)  # 15:01
    assert sign_in(via, "agent", PASSWORD, address=CLIENT_A) == "in"
