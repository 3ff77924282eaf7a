"""Hotline lookup (DESIGN.md: p95 < 10 ms in-process at 1M customers, SQLite and PostgreSQL).

Times customers.selectors.find_customers for existing numbers, as an agent types them (the
whole mobile number, or its last four digits), including the rows of the result page: each
row's primary phone, number of phones, city and number of products. A lookup by the whole
number is measured a second time as the search box and the API make it for an agent: with the
audit row that every such lookup writes (customers.lookups.record_phone_lookup).
"""

import random
import time

from django.db import connection

from bench import Figure, QueryCounter, percentile

TARGET_MS = 10.0


def sample_numbers(n: int, seed: int = 1) -> list[tuple[str, str]]:
    """`n` random existing (national digits, last four) pairs, found by random ids."""
    from kefu.core.masking import national_digits
    from kefu.customers.models import CustomerPhone

    rng = random.Random(seed)
    bounds = CustomerPhone.objects.order_by("id").values_list("id", flat=True)
    low, high = bounds.first(), bounds.last()
    if low is None:
        return []
    found: list[tuple[str, str]] = []
    while len(found) < n:
        ids = [rng.randint(low, high) for _ in range(n)]
        rows = CustomerPhone.objects.filter(id__in=ids).values_list("number", "last4")
        found.extend((national_digits(number), last4) for number, last4 in rows)
    rng.shuffle(found)
    return found[:n]


def _selector_reader():
    """Who reads when the selector alone is measured: an unsaved active superuser, whom the
    visibility rule lets see everything without a query."""
    from kefu.accounts.models import User

    return User(username="bench-reader", is_active=True, is_superuser=True)


def lookup_once(text: str, by=None) -> int:
    """Run one lookup and read everything its page shows; returns the number of rows. With `by`,
    first the audit row (and, for a role that may not see numbers, the limit) of the lookup."""
    from kefu.customers.lookups import record_phone_lookup
    from kefu.customers.selectors import find_customers

    if by is not None:
        record_phone_lookup(by=by, text=text)
    result = find_customers(text, user=by or _selector_reader())
    for customer in result.page.items:
        _ = customer.primary_phone, customer.phone_count, customer.city, customer.product_count
    return len(result.page.items)


def time_lookups(texts: list[str], warmup: int = 20, by=None) -> tuple[list[float], int, int]:
    """Milliseconds per lookup, the queries per lookup (the most seen), and lookups with no row."""
    for text in texts[:warmup]:
        lookup_once(text, by)
    times, empty = [], 0
    for text in texts:
        started = time.perf_counter()
        rows = lookup_once(text, by)
        times.append((time.perf_counter() - started) * 1000)
        empty += rows == 0
    queries = QueryCounter()
    with connection.execute_wrapper(queries):
        lookup_once(texts[0], by)
    return times, queries.count, empty


def measure(samples: int = 500, agent_username: str | None = None) -> list[Figure]:
    from kefu.accounts.models import User

    pairs = sample_numbers(samples)
    agent = User.objects.get(username=agent_username) if agent_username else None
    runs = [("full phone", [p[0] for p in pairs], None), ("last four digits", [p[1] for p in pairs], None)]
    if agent is not None:
        runs.append(("full phone, audited as an agent's", [p[0] for p in pairs], agent))
    figures = []
    for label, texts, by in runs:
        times, queries, empty = time_lookups(texts, by=by)
        p95 = percentile(times, 95)
        figures += [
            Figure(f"hotline lookup by {label}: p50", round(percentile(times, 50), 2), "ms", "(info)", None),
            Figure(
                f"hotline lookup by {label}: p95", round(p95, 2), "ms", f"< {TARGET_MS:g} ms", p95 < TARGET_MS
            ),
            Figure(f"hotline lookup by {label}: queries", queries, "queries", "(info, constant)", None),
        ]
        if empty:
            figures.append(Figure(f"hotline lookup by {label}: no match", empty, "lookups", "0", False))
    return figures


def name_texts(n: int, length: int, seed: int = 3) -> list[str]:
    """`n` name parts as an agent types them: a given name (two characters, found at the end of
    the name) or a surname with a given name (three, found anywhere), drawn as the generator
    draws names."""
    from kefu.customers.samples import GIVEN_NAME_CHARS, SURNAMES

    rng = random.Random(seed)
    surnames = [name for name, _weight in SURNAMES]
    texts = []
    for _ in range(n):
        given = rng.choice(GIVEN_NAME_CHARS) + rng.choice(GIVEN_NAME_CHARS)
        texts.append(given if length == 2 else rng.choice(surnames) + given)
    return texts


def measure_names(samples: int = 200) -> list[Figure]:
    """Part of a name through the trigram index (decision 0015): shown for information; the
    DESIGN.md target is the phone lookup's."""
    figures = []
    for length in (2, 3):
        times, _queries, empty = time_lookups(name_texts(samples, length))
        label = f"hotline lookup by part of a name ({length} characters)"
        figures += [
            Figure(f"{label}: p50", round(percentile(times, 50), 2), "ms", "(info)", None),
            Figure(f"{label}: p95", round(percentile(times, 95), 2), "ms", "(info)", None),
            Figure(f"{label}: no match", empty, "lookups", "(info)", None),
        ]
    return figures
