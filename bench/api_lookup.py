"""The hotline lookup through the public API (issue 11: p95 < 10 ms for the first page of a
last-four-digits lookup at 1M customers, SQLite and PostgreSQL).

`GET /api/v1/customers?q=…` through Django's test Client and the real URL, as an agent with an
API token (Authorization: Bearer), for the same random existing numbers as bench.lookup: the
whole number (with the audit row every such lookup writes) and its last four digits, whose
first page holds the default 50 rows. Each answer is read as JSON, as a client would.
"""

import time

from django.db import connection
from django.test import Client

from bench import Figure, QueryCounter, percentile
from bench.lookup import TARGET_MS, sample_numbers

URL = "/api/v1/customers"


def api_request(username: str):
    """A callable that looks `text` up through the API as `username`; returns the rows."""
    from kefu.accounts.models import User
    from kefu.accounts.services import issue_token

    _token, raw = issue_token(user=User.objects.get(username=username), name="bench")
    client = Client(headers={"Authorization": f"Bearer {raw}"})

    def fetch(text: str) -> int:
        response = client.get(URL, {"q": text})
        if response.status_code != 200:
            raise RuntimeError(f"GET {URL}?q={text} answered {response.status_code}")
        return len(response.json()["items"])

    return fetch


def measure(username: str, samples: int = 500, warmup: int = 20) -> list[Figure]:
    fetch = api_request(username)
    pairs = sample_numbers(samples)
    runs = [
        ("full phone", [pair[0] for pair in pairs]),
        ("last four digits, first page (limit 50)", [pair[1] for pair in pairs]),
    ]
    figures = []
    for label, texts in runs:
        for text in texts[:warmup]:
            fetch(text)
        times, cpu_times, rows = [], [], []
        for text in texts:
            started, cpu_started = time.perf_counter(), time.process_time()
            rows.append(fetch(text))
            times.append((time.perf_counter() - started) * 1000)
            cpu_times.append((time.process_time() - cpu_started) * 1000)
        queries = QueryCounter()
        with connection.execute_wrapper(queries):
            fetch(texts[0])
        name = f"hotline lookup through the API as an agent, {label}"
        p95 = percentile(times, 95)
        figures += [
            Figure(f"{name}: p50", round(percentile(times, 50), 2), "ms", "(info)", None),
            Figure(f"{name}: p95", round(p95, 2), "ms", f"< {TARGET_MS:g} ms", p95 < TARGET_MS),
            # This process's own CPU time (Python and SQLite; not PostgreSQL's server): what the
            # wall-clock figure would be on a quiet machine, when others share this one.
            Figure(f"{name}: CPU p95", round(percentile(cpu_times, 95), 2), "ms", "(info)", None),
            Figure(f"{name}: queries", queries.count, "queries", "(info, constant)", None),
            Figure(f"{name}: rows per answer (median)", sorted(rows)[len(rows) // 2], "rows", "(info)", None),
        ]
        if 0 in rows:
            figures.append(Figure(f"{name}: no match", rows.count(0), "lookups", "0", False))
    return figures
