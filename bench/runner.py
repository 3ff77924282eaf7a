"""One database's benchmarks, in a process of its own:
`python -m bench.runner SIZE DATABASE OUT [TICKETS] [NAMES]`.

bench.__main__ sets DATABASE_URL (PostgreSQL) or KEFU_VAR_DIR (SQLite) before starting it,
so Django's settings are read fresh for that database. Writes its figures as JSON to OUT.
TICKETS (optional, may be empty) replaces the size's number of tickets; NAMES (optional,
comma-separated, see bench.FIGURES) measures only those figures.
"""

import json
import os
import sys
from pathlib import Path

from bench import FIGURES, REPO_DIR, dataset_name


def main(size: str, database: str, out: str, tickets: str = "", only: str = "") -> None:
    sys.path.insert(0, str(REPO_DIR / "src"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kefu.settings")
    import django

    django.setup()
    from django.conf import settings

    from bench import (
        api_lookup,
        customer_page,
        dataset,
        generate,
        lookup,
        plans,
        ticket_open_load,
        ticket_queue,
        ticket_search,
    )

    ticket_count = int(tickets) if tickets else None
    name = dataset_name(size, ticket_count)
    chosen = set(only.split(",")) if only else set(FIGURES)

    def say(message: str) -> None:
        print(f"[{database}/{name}] {message}", flush=True)

    var_dir = Path(os.environ["KEFU_BENCH_DIR"])
    marker = dataset.ensure(size, var_dir, say, tickets=ticket_count)
    # Measure as production runs: no query log kept by DEBUG (static files are unaffected).
    settings.DEBUG = False

    figures = []
    if "lookup" in chosen:
        say("hotline lookups …")
        figures += lookup.measure(agent_username=dataset.AGENT_USERNAME)
        figures += lookup.measure_names()
    if "api_lookup" in chosen:
        say("hotline lookups through the API …")
        figures += api_lookup.measure(dataset.AGENT_USERNAME)
    if "plans" in chosen:
        sample = lookup.sample_numbers(1, seed=7)[0]
        plan_figures, found_plans = plans.check(
            {
                "full phone": sample[0],
                "last four digits": sample[1],
                "name prefix": "王",
                "part of a name, two characters": "兰英",
                "part of a name, three characters": "王兰英",
            }
        )
        figures += plan_figures
        for label, plan in found_plans.items():
            say(f"plan, lookup by {label}:\n    " + plan.replace("\n", "\n    "))
    how = None
    if "customer_page" in chosen:
        say("customer 360° page …")
        page_figures, how = customer_page.measure(marker["page_customer_id"], dataset.AGENT_USERNAME)
        say(f"  measured through {how}")
        figures += page_figures
    if "ticket_search" in chosen:
        say("ticket search …")
        figures += ticket_search.measure(dataset.AGENT_USERNAME, say=say)
        if ticket_search.has_tickets():
            search_plan_figures, search_plan = plans.check_ticket_search(ticket_search.rare_query())
            figures += search_plan_figures
            say("plan, ticket search:\n    " + search_plan.replace("\n", "\n    "))
    if "ticket_queue" in chosen:
        say("agent queue 'mine' …")
        figures += ticket_queue.measure(say=say)
    from django.db import connection

    if "ticket_open_load" in chosen and connection.vendor == "postgresql":
        say("opening tickets through the API under load …")
        figures += ticket_open_load.measure(dataset.AGENT_USERNAME, say=say)
    if "generate" in chosen:
        figures += generate.figures(marker, connection.vendor)
    for figure in figures:
        figure.size, figure.database = name, database
    Path(out).write_text(json.dumps({"figures": [f.as_dict() for f in figures], "page_how": how}))


if __name__ == "__main__":
    main(*sys.argv[1:6])
