"""The client's address: REMOTE_ADDR, or behind trusted proxies the entry they wrote."""

import pytest
from django.test import RequestFactory, override_settings

from kefu.core.clientip import UNKNOWN_ADDRESS, _warn_that_the_forwarded_header_is_ignored, client_ip


def address(remote: str | None = "10.0.0.2", forwarded: str | None = None, proxies: int = 0) -> str:
    request = RequestFactory().get("/")
    if remote is None:
        del request.META["REMOTE_ADDR"]
    else:
        request.META["REMOTE_ADDR"] = remote
    if forwarded is not None:
        request.META["HTTP_X_FORWARDED_FOR"] = forwarded
    with override_settings(TRUSTED_PROXY_COUNT=proxies):
        return client_ip(request)


def test_without_trusted_proxies_the_address_is_remote_addr_and_the_header_is_ignored():
    assert address("198.51.100.7", forwarded="203.0.113.9") == "198.51.100.7"


def test_an_ignored_forwarded_header_is_reported_once_per_process(caplog):
    _warn_that_the_forwarded_header_is_ignored.cache_clear()

    address(forwarded="203.0.113.9")
    address(forwarded="203.0.113.10")
    address()

    warnings = [record for record in caplog.records if "TRUSTED_PROXY_COUNT" in record.getMessage()]
    assert len(warnings) == 1


@pytest.mark.parametrize(
    ("forwarded", "proxies", "expected"),
    [
        ("203.0.113.9", 1, "203.0.113.9"),
        # The client wrote everything left of what our one proxy appended.
        ("192.0.2.1, 203.0.113.9", 1, "203.0.113.9"),
        ("192.0.2.1,203.0.113.9", 1, "203.0.113.9"),
        # Two proxies: the outer one appended the client, the inner one appended the outer one.
        ("192.0.2.1, 203.0.113.9, 10.0.0.3", 2, "203.0.113.9"),
        ("2001:db8::1", 1, "2001:db8::1"),
        ("2001:DB8:0:0::1", 1, "2001:db8::1"),
        ("::ffff:203.0.113.9", 1, "203.0.113.9"),
    ],
)
def test_behind_trusted_proxies_the_address_is_the_entry_they_wrote(forwarded, proxies, expected):
    assert address(forwarded=forwarded, proxies=proxies) == expected


@pytest.mark.parametrize(
    ("forwarded", "proxies"),
    [
        (None, 1),
        ("", 1),
        ("203.0.113.9", 2),
        ("not-an-address", 1),
        ("203.0.113.9, ", 1),
        ("203.0.113.9:4711", 1),
        ("203.0.113.9, unknown", 1),
    ],
)
def test_a_missing_short_or_malformed_header_falls_back_to_remote_addr(forwarded, proxies):
    assert address("10.0.0.2", forwarded=forwarded, proxies=proxies) == "10.0.0.2"


@pytest.mark.parametrize("remote", [None, "", "unix:/run/kefu.sock"])
def test_a_remote_addr_that_is_no_address_is_one_shared_stand_in(remote):
    assert address(remote) == UNKNOWN_ADDRESS
