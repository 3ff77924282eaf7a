"""The agent's queue page (DESIGN.md: "my open tickets", p95 < 50 ms for the whole page at 10M
tickets on PostgreSQL; keyset pagination; constant query count).

Measured in-process through Django's test client and the real URLs, as one of the generated
agents (`gen-agent-001`, who owns about a fortieth of the open tickets):
- the API: `GET /api/v1/tickets?queue=mine` with an API token (Authorization: Bearer), the
  default page of 50, read as JSON;
- the UI: `GET /tickets/?queue=mine`, the whole HTML page (menu, tabs with their counts, the
  filter form, the rows), signed in;
each for the first page and for a later page reached by following `next_cursor` (the keyset:
a later page must cost what the first does). p50/p95 after warm-ups; statements counted.

Run alone on an existing data set: `python -m bench.ticket_queue` with DATABASE_URL set.
"""

import time

from django.db import connection
from django.test import Client

from bench import Figure, QueryCounter, percentile
from bench.ticket_search import backend_cpu_ms, load_average

TARGET_MS = 50.0
API_URL = "/api/v1/tickets"
UI_URL = "/tickets/"
AGENT = "gen-agent-001"


def queue_agent() -> str | None:
    """The generated agent whose queue is measured, if the data set has tickets."""
    from kefu.accounts.models import User
    from kefu.tickets.models import Ticket

    if not Ticket.objects.filter(owner__username=AGENT).exists():
        return None
    return User.objects.get(username=AGENT).username


def _clients(username: str) -> tuple[Client, Client]:
    from kefu.accounts.models import User
    from kefu.accounts.services import issue_token

    user = User.objects.get(username=username)
    _token, raw = issue_token(user=user, name="bench queue")
    api = Client(headers={"Authorization": f"Bearer {raw}"})
    ui = Client()
    ui.force_login(user)
    return api, ui


def _cursors(api: Client, pages: int) -> list[str | None]:
    """The cursors of the first `pages` pages (None: the first)."""
    cursors: list[str | None] = [None]
    while len(cursors) < pages:
        params = {"queue": "mine"}
        if cursors[-1]:
            params["cursor"] = cursors[-1]
        answer = api.get(API_URL, params).json()
        if not answer.get("next_cursor"):
            break
        cursors.append(answer["next_cursor"])
    return cursors


def _timed(fetch, cursors, samples: int, warmup: int) -> tuple[list[float], list[float], list[int]]:
    for index in range(warmup):
        fetch(cursors[index % len(cursors)])
    times, cpu, rows = [], [], []
    backend_started = backend_cpu_ms()
    for index in range(samples):
        cursor = cursors[index % len(cursors)]
        started, cpu_started = time.perf_counter(), time.process_time()
        rows.append(fetch(cursor))
        times.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - cpu_started) * 1000)
    backend_ended = backend_cpu_ms()
    if backend_started is not None and backend_ended is not None:
        _backend.append((backend_ended - backend_started) / samples)
    return times, cpu, rows


# The PostgreSQL backend's CPU per request of the last _timed run (mean; its unit is a clock tick).
_backend: list[float] = []


def measure(username: str | None = None, *, samples: int = 200, warmup: int = 10, say=print) -> list[Figure]:
    username = username or queue_agent()
    if username is None:
        say("  no generated tickets: the queue is not measured")
        return []
    from kefu.tickets.models import Ticket

    api, ui = _clients(username)
    open_count = Ticket.objects.open().filter(owner__username=username).count()
    say(f"  {username} owns {open_count:,} open tickets")
    cursors = _cursors(api, 6)
    say(f"  load average before: {load_average()}")

    def fetch_api(cursor):
        params = {"queue": "mine", **({"cursor": cursor} if cursor else {})}
        response = api.get(API_URL, params)
        if response.status_code != 200:
            raise RuntimeError(f"GET {API_URL} answered {response.status_code}: {response.content[:200]!r}")
        return len(response.json()["items"])

    def fetch_ui(cursor):
        params = {"queue": "mine", **({"cursor": cursor} if cursor else {})}
        response = ui.get(UI_URL, params)
        if response.status_code != 200:
            raise RuntimeError(f"GET {UI_URL} answered {response.status_code}")
        return len(response.content)

    figures = [Figure("agent queue 'mine': the agent's open tickets", open_count, "tickets", "(info)", None)]
    for label, fetch, unit in (
        ("through the API (GET /api/v1/tickets?queue=mine, 50 rows)", fetch_api, "rows"),
        ("the UI page (GET /tickets/?queue=mine, whole HTML page)", fetch_ui, "bytes"),
    ):
        for pages, page_label in (([None], "first page"), (cursors[1:] or [None], "later pages (keyset)")):
            times, cpu, sizes = _timed(fetch, pages, samples, warmup)
            counts = []
            for cursor in pages[:2]:
                queries = QueryCounter()
                with connection.execute_wrapper(queries):
                    fetch(cursor)
                counts.append(queries.count)
            name = f"agent queue 'mine' {label}, {page_label}"
            p95 = percentile(times, 95)
            figures += [
                Figure(f"{name}: p50", round(percentile(times, 50), 2), "ms", "(info)", None),
                Figure(f"{name}: p95", round(p95, 2), "ms", f"< {TARGET_MS:g} ms", p95 < TARGET_MS),
                Figure(f"{name}: CPU p95", round(percentile(cpu, 95), 2), "ms", "(info)", None),
                Figure(f"{name}: CPU mean", round(sum(cpu) / len(cpu), 2), "ms", "(info)", None),
                Figure(
                    f"{name}: PostgreSQL CPU mean",
                    round(_backend[-1], 2) if _backend else -1,
                    "ms",
                    "(info)",
                    None,
                ),
                Figure(
                    f"{name}: queries",
                    max(counts),
                    "queries",
                    "constant",
                    len(set(counts)) == 1,
                ),
                Figure(
                    f"{name}: {unit} per answer (median)",
                    sorted(sizes)[len(sizes) // 2],
                    unit,
                    "(info)",
                    None,
                ),
            ]
    say(f"  load average after: {load_average()}")
    return figures


def main() -> None:
    import os
    import sys

    from bench import REPO_DIR

    sys.path.insert(0, str(REPO_DIR / "src"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kefu.settings")
    import django

    django.setup()
    from django.conf import settings

    settings.DEBUG = False
    for figure in measure():
        print(f"{figure.name}: {figure.value:g} {figure.unit}  (target {figure.target}, met {figure.met})")


if __name__ == "__main__":
    main()
