"""Counting requests per client address in the cache (core.ratelimit): fixed windows, the wait
until the window that overflowed ends, one count per address and door."""

import os
import uuid

import pytest
from django.core.cache import cache, caches
from django.core.cache.backends.redis import RedisCache

from kefu.core import ratelimit

LIMITS = ((60, 2), (3600, 3))
REDIS_CACHE = "django.core.cache.backends.redis.RedisCache"
# 10:00:50 on some day, in seconds since the epoch: ten seconds before its minute ends.
AT = 1_800_000_000 - 1_800_000_000 % 3600 + 50


def test_the_limit_lets_its_count_through_then_says_how_long_to_wait():
    assert ratelimit.count_request("door", "192.0.2.1", LIMITS, now=AT) is None
    assert ratelimit.count_request("door", "192.0.2.1", LIMITS, now=AT + 1) is None

    assert ratelimit.count_request("door", "192.0.2.1", LIMITS, now=AT + 2) == 9  # the minute ends


def test_a_new_window_starts_the_count_again_and_the_longest_wait_wins():
    for second in (0, 1, 2):
        ratelimit.count_request("door", "192.0.2.1", LIMITS, now=AT + second)

    # The next minute: its own count is 1, but the hour already holds four.
    wait = ratelimit.count_request("door", "192.0.2.1", LIMITS, now=AT + 20)

    assert wait == 3600 - 70 + 1


def test_each_address_and_each_door_counts_alone():
    for _ in range(2):
        ratelimit.count_request("door", "192.0.2.1", LIMITS, now=AT)

    assert ratelimit.count_request("door", "192.0.2.2", LIMITS, now=AT) is None
    assert ratelimit.count_request("another-door", "192.0.2.1", LIMITS, now=AT) is None
    assert ratelimit.count_request("door", "192.0.2.1", LIMITS, now=AT) is not None


def test_the_cache_holds_no_address():
    ratelimit.count_request("door", "192.0.2.1", LIMITS, now=AT)

    keys = list(cache._cache)  # the in-memory cache of the tests
    assert keys
    assert not any("192.0.2.1" in key for key in keys)


# --- Shared through Redis (CACHE_URL) --------------------------------------------------------------


@pytest.mark.postgresql  # needs the Redis of CI's PostgreSQL run (REDIS_URL), which must run it
def test_with_the_cache_in_redis_the_counts_are_kept_there_for_every_process(settings):
    if not os.environ.get("REDIS_URL"):
        pytest.skip("needs REDIS_URL: CI's PostgreSQL run sets it")
    location = os.environ["REDIS_URL"].rsplit("/", 1)[0] + "/13"  # not the queue's database
    prefix = f"kefu-test-{uuid.uuid4().hex}"
    settings.CACHES = {"default": {"BACKEND": REDIS_CACHE, "LOCATION": location, "KEY_PREFIX": prefix}}
    redis = RedisCache(location, {"KEY_PREFIX": prefix})._cache.get_client()
    try:
        for second in (0, 1):
            assert ratelimit.count_request("door", "192.0.2.1", LIMITS, now=AT + second) is None
        keys = [key.decode() for key in redis.scan_iter(f"{prefix}:*")]
        assert keys  # in Redis, where every process counts
        assert not any("192.0.2.1" in key for key in keys)
        caches.close_all()
        del caches._connections.default  # like another process: a client of its own
        assert ratelimit.count_request("door", "192.0.2.1", LIMITS, now=AT + 2) == 9
    finally:
        for key in redis.scan_iter(f"{prefix}:*"):
            redis.delete(key)
