"""The client's address: one rule for the whole project (the login lockout, and later rate limits).

Without a proxy (`TRUSTED_PROXY_COUNT` 0, the default) the address is `REMOTE_ADDR`, the other end
of the TCP connection, which a client cannot forge; `X-Forwarded-For` is never read.

Behind N proxies (`TRUSTED_PROXY_COUNT` N), each proxy appends to `X-Forwarded-For` the address it
received the request from. The right-most N entries were therefore written by our own proxies,
and the N-th from the right is the client as the outermost proxy saw it. Everything to its left
came from the client and is never read, so a forged entry cannot choose the address. A header
with fewer than N entries, or an entry that is not an IP address, means the request did not come
through the proxies as configured: the answer is then `REMOTE_ADDR`.
"""

import functools
import ipaddress
import logging

from django.conf import settings
from django.http import HttpRequest

logger = logging.getLogger(__name__)

# Stands in for a REMOTE_ADDR that is not an address (a Unix socket gives an empty one). Such
# requests share it, so that a lockout keyed on the address still holds for them.
UNKNOWN_ADDRESS = "0.0.0.0"


def parse_address(value: str) -> str | None:
    """The address in its one canonical spelling, or None when `value` is not an IP address.

    An IPv4 address written as IPv6 (`::ffff:192.0.2.1`) is the IPv4 address, so that one
    client is never counted under two names.
    """
    try:
        address = ipaddress.ip_address(value.strip())
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return str(address.ipv4_mapped)
    return str(address)


def client_ip(request: HttpRequest) -> str:
    """The address of the client that sent `request`, by the rule in this module's docstring."""
    remote = parse_address(request.META.get("REMOTE_ADDR", "")) or UNKNOWN_ADDRESS
    proxies = settings.TRUSTED_PROXY_COUNT
    if proxies <= 0:
        if "HTTP_X_FORWARDED_FOR" in request.META:
            _warn_that_the_forwarded_header_is_ignored()
        return remote
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
    if len(forwarded) < proxies:
        return remote
    return parse_address(forwarded[-proxies]) or remote


@functools.cache
def _warn_that_the_forwarded_header_is_ignored() -> None:
    """Once per process: behind a load balancer that nobody declared, every client would share
    the balancer's address, and the login lockout would lock them all together."""
    logger.warning(
        "A request carries X-Forwarded-For but TRUSTED_PROXY_COUNT is 0, so the header is ignored "
        "and REMOTE_ADDR is the client's address. Behind a load balancer, set TRUSTED_PROXY_COUNT "
        "(docs/operations.md, 'Login lockout')."
    )
