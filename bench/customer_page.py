"""The customer 360° page (DESIGN.md: < 15 queries, p95 < 80 ms) for a customer with 200
products and life events (tickets do not exist yet), rendered through Django's test Client
as a logged-in agent."""

import time

from django.db import connection
from django.test import Client
from django.urls import reverse

from bench import Figure, QueryCounter, percentile

TARGET_QUERIES = 15
TARGET_MS = 80.0


def page_request(customer_id: int, username: str):
    """A callable that fetches the page once, and a label saying what it measures."""
    from kefu.accounts.models import User

    url = reverse("customers:detail", args=[customer_id])
    client = Client()
    client.force_login(
        User.objects.get(username=username), backend="kefu.accounts.backends.ModelPermissionBackend"
    )

    def fetch():
        response = client.get(url)
        if response.status_code != 200:
            raise RuntimeError(f"GET {url} answered {response.status_code}")
        return response

    return fetch, f"GET {url} as an agent"


def measure(customer_id: int, username: str, repeats: int = 100) -> tuple[list[Figure], str]:
    fetch, how = page_request(customer_id, username)
    for _ in range(5):
        fetch()
    queries = QueryCounter()
    with connection.execute_wrapper(queries):
        fetch()
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        fetch()
        times.append((time.perf_counter() - started) * 1000)
    p95 = percentile(times, 95)
    return [
        Figure(
            "customer 360° page (200 products): queries",
            queries.count,
            "queries",
            f"< {TARGET_QUERIES}",
            queries.count < TARGET_QUERIES,
        ),
        Figure(
            "customer 360° page (200 products): p50", round(percentile(times, 50), 2), "ms", "(info)", None
        ),
        Figure(
            "customer 360° page (200 products): p95",
            round(p95, 2),
            "ms",
            f"< {TARGET_MS:g} ms",
            p95 < TARGET_MS,
        ),
    ], how
