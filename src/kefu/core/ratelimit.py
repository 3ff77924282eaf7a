"""How many requests one client address (core.clientip) made in a window, counted in Django's
cache: for the doors that leave no row to count, such as a customer's link read or a survey
answered through it (decision 0037).

Each limit is a fixed window (a minute, an hour …, aligned on the clock) and a count. Every
request counts, the refused ones too, so a client that keeps knocking stays refused until its
window ends; then the count starts again. A fixed window lets through at most twice its count
across a window's edge, which is enough to keep one address from flooding a door.

The counter is a keyed hash of the address (never the address itself) in the cache: shared by
every process when `CACHES` points at Redis, per process with Django's default in-memory cache
(docs/operations.md). A cache that loses the counters (a restart) forgets the counts, never
refuses wrongly.
"""

import time
from collections.abc import Iterable

from django.core.cache import cache
from django.utils.crypto import salted_hmac

SALT = "kefu.core.ratelimit"
KEY_PREFIX = "kefu:limit"


def address_tag(address: str) -> str:
    """A keyed hash of a client address: counts requests without keeping the address."""
    return salted_hmac(SALT, address).hexdigest()[:16]


def count_request(
    scope: str, address: str, limits: Iterable[tuple[int, int]], *, now: float | None = None
) -> int | None:
    """Count one request of `address` at the door `scope`; when that made one of `limits` (pairs
    of a window in seconds and the requests it allows) overflow, the seconds until that window
    ends (the longest, when several did), else None."""
    now = time.time() if now is None else now
    tag = address_tag(address)
    waits = []
    for span, limit in limits:
        window = int(now // span)
        key = f"{KEY_PREFIX}:{scope}:{span}:{window}:{tag}"
        # add() then incr(): both atomic in Redis and in the in-memory cache, so that parallel
        # requests each get their own count. The key outlives its window a little, never more.
        cache.add(key, 0, timeout=span + 60)
        try:
            count = cache.incr(key)
        except ValueError:  # evicted between the two calls: this request is the first again
            cache.set(key, 1, timeout=span + 60)
            count = 1
        if count > limit:
            waits.append((window + 1) * span - now)
    return int(max(waits)) + 1 if waits else None
