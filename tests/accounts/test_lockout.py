"""The login lockout against the ways around it (ADR 0010), through the real login page and the
real token endpoint: the client address behind a load balancer, forged X-Forwarded-For entries,
attempts during a lock, spraying many usernames from one address, and requests whose data
cannot be parsed. Time is axes' clock, fixed by the `clock` fixture and moved by hand.
"""

import datetime
import json

import pytest
from axes.models import AccessAttempt
from django.contrib.auth import authenticate
from django.db.models import Sum
from django.test import Client, RequestFactory, override_settings
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


def test_without_a_trusted_proxy_a_forwarded_header_escapes_neither_limit(via, agent):
    # TRUSTED_PROXY_COUNT is 0: each attempt claims another address, and none of them is read.
    for number in range(LIMIT):
        sign_in(via, "agent", "wrong", address=CLIENT_A, forwarded=f"192.0.2.{number}")
    assert sign_in(via, "agent", PASSWORD, address=CLIENT_A, forwarded="192.0.2.99") == "locked"

    for number in range(ADDRESS_LIMIT):
        sign_in(via, f"guess{number}", "wrong", address=CLIENT_B, forwarded=f"198.51.100.{number}")
    assert sign_in(via, "agent", PASSWORD, address=CLIENT_B, forwarded="198.51.100.99") == "locked"
    assert counted_addresses() == {CLIENT_A, CLIENT_B}


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


# --- The limit per address ------------------------------------------------------------------


def test_spraying_usernames_from_one_address_locks_the_address_at_its_limit_and_not_below(
    via, agent, supervisor, clock
):
    for number in range(ADDRESS_LIMIT - 1):
        assert sign_in(via, f"guess{number}", "wrong", address=CLIENT_A) == "refused"
    assert sign_in(via, "agent", PASSWORD, address=CLIENT_A) == "in"

    assert sign_in(via, "guess-last", "wrong", address=CLIENT_A) == "locked"
    assert sign_in(via, "supervisor", PASSWORD, address=CLIENT_A) == "locked"
    assert sign_in(via, "agent", PASSWORD, address=CLIENT_A) == "locked"
    # Another address is not concerned, and the address's lock ends like any other.
    assert sign_in(via, "supervisor", PASSWORD, address=CLIENT_B) == "in"
    clock.advance(minutes=15, seconds=1)
    assert sign_in(via, "supervisor", PASSWORD, address=CLIENT_A) == "in"


def test_attempts_refused_during_one_users_lock_do_not_count_towards_the_address(via, agent, supervisor):
    # A call centre behind one address: one agent locks their username and keeps trying.
    for _attempt in range(LIMIT + ADDRESS_LIMIT):
        sign_in(via, "agent", "wrong", address=CLIENT_A)
    assert sign_in(via, "supervisor", PASSWORD, address=CLIENT_A) == "in"

    # Only the agent's counted failures and new ones make up the address's total.
    for number in range(ADDRESS_LIMIT - LIMIT):
        sign_in(via, f"guess{number}", "wrong", address=CLIENT_A)
    assert sign_in(via, "supervisor", PASSWORD, address=CLIENT_A) == "locked"


# --- The API's answer -----------------------------------------------------------------------


def test_the_api_answers_a_lock_with_429_and_the_seconds_left_in_retry_after(agent, clock):
    for _attempt in range(LIMIT - 1):
        post("api", "agent", "wrong", address=CLIENT_A)
    setting = post("api", "agent", "wrong", address=CLIENT_A)
    assert setting.status_code == 429
    assert setting.json()["code"] == "locked"
    assert setting["Retry-After"] == "900"

    clock.advance(minutes=10)
    later = post("api", "agent", PASSWORD, address=CLIENT_A)
    assert later.status_code == 429
    assert later["Retry-After"] == "300"

    for number in range(ADDRESS_LIMIT):
        post("api", f"guess{number}", "wrong", address=CLIENT_B)
    clock.advance(minutes=1)
    address_locked = post("api", "agent", PASSWORD, address=CLIENT_B)
    assert address_locked.status_code == 429
    assert address_locked.json()["message"] != later.json()["message"]
    assert address_locked["Retry-After"] == "840"


# --- Requests whose data cannot be parsed ---------------------------------------------------

CREDENTIALS_JSON = json.dumps({"username": "agent", "password": "wrong"})


def multipart_without_boundary():
    return RequestFactory().post(TOKENS, CREDENTIALS_JSON, content_type="multipart/form-data")


def form_larger_than_allowed():
    return RequestFactory().post(
        TOKENS, "note=" + "x" * 2048, content_type="application/x-www-form-urlencoded"
    )


def form_not_in_utf8():
    return RequestFactory().post(
        TOKENS, "note=x", content_type="application/x-www-form-urlencoded; charset=latin-1"
    )


def too_many_query_fields():
    query = "&".join(f"f{number}=1" for number in range(20))
    return RequestFactory().post(f"{TOKENS}?{query}", CREDENTIALS_JSON, content_type="application/json")


@override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=1024, DATA_UPLOAD_MAX_NUMBER_FIELDS=10)
@pytest.mark.parametrize(
    "unreadable",
    [multipart_without_boundary, form_larger_than_allowed, form_not_in_utf8, too_many_query_fields],
)
def test_a_failure_is_counted_even_when_the_request_data_cannot_be_parsed(agent, unreadable):
    for _attempt in range(LIMIT):
        assert authenticate(request=unreadable(), username="agent", password="wrong") is None

    failures = AccessAttempt.objects.filter(username="agent").aggregate(total=Sum("failures_since_start"))
    assert failures["total"] == LIMIT
    request = unreadable()
    assert authenticate(request=request, username="agent", password=PASSWORD) is None
    assert request.axes_locked_out is True
