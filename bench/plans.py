"""Do the hotline lookups use their indexes? EXPLAIN the queries find_customers runs.

The main query of each lookup must reach its index (phone_number_idx, phone_last4_idx,
customer_name_idx, and for part of a name the trigram index of migration 0005: pg_trgm's
customer_name_trgm_idx, SQLite's FTS5 table) rather than scan a table of a million rows.
"""

from django.db import connection
from django.test.utils import CaptureQueriesContext

from bench import Figure
from bench.lookup import lookup_once

EXPECTED = {
    "full phone": "phone_number_idx",
    "last four digits": "phone_last4_idx",
    "name prefix": "customer_name_idx",
}
NAME_INDEX = {"postgresql": "customer_name_trgm_idx", "sqlite": "customers_customer_name_fts"}


def explain(sql: str, *, analyze: bool = False) -> str:
    """The plan of `sql` (PostgreSQL: with `analyze`, as run, with its times and buffers)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(("EXPLAIN (ANALYZE, BUFFERS) " if analyze else "EXPLAIN ") + sql)
            return "\n".join(row[0] for row in cursor.fetchall())
        cursor.execute("EXPLAIN QUERY PLAN " + sql)
        return "\n".join(row[-1] for row in cursor.fetchall())


# The ticket search's indexes (decision 0023 and its amendment). On PostgreSQL the page's statement
# has its steps: the walk over the newest rows (backwards on the search table's primary key),
# then the GIN index inside each window of ids (ANDed with a range of the ids: the BRIN index, or
# the primary key) and at last for every match. EXPLAIN shows every step, run or not.
TICKET_SEARCH_INDEX = {"postgresql": "ticket_search_document_idx", "sqlite": "tickets_ticket_search"}
TICKET_SEARCH_WALK = "Index Scan Backward using tickets_ticket_search_pkey"


def check_ticket_search(q: str, middling: list[str] | None = None) -> tuple[list[Figure], str]:
    """The plans of the ticket search's page query (bench.ticket_search) for a rare word (a
    serial number) and, run, for words of middling frequency (what the customers said): on
    PostgreSQL the walk reads the primary key backwards, every step after it reads the GIN index,
    and no step that runs reads a window of ids through the primary key (row after row: the
    planner must AND the GIN index with the ids' range, or read the few matches); on SQLite, the
    FTS5 table answers."""
    from bench.ticket_search import middling_queries, page_query_sql
    from kefu.tickets import search

    plan = explain(page_query_sql(q))
    index = TICKET_SEARCH_INDEX[connection.vendor]
    if connection.vendor != "postgresql":
        used = index in plan
        return [Figure(f"ticket search for a serial number uses {index}", int(used), "bool", "1", used)], plan
    steps = len(search.WINDOW_IDS) + 1
    walked, ran = 0, []
    for text in middling if middling is not None else middling_queries():
        analyzed = explain(page_query_sql(text), analyze=True)
        ran.append(f"-- {text}:\n{analyzed}")
        walked += sum(
            "Index Scan using tickets_ticket_search_pkey" in line and "never executed" not in line
            for line in analyzed.splitlines()
        )
    checks = [
        (
            "ticket search for a serial number: the walk reads the primary key backwards",
            TICKET_SEARCH_WALK in plan,
        ),
        (
            f"ticket search for a serial number: each of its {steps} index steps reads {index}",
            plan.count(f"Bitmap Index Scan on {index}") >= steps,
        ),
        (f"ticket search, {len(ran)} middling queries: no window read on the primary key", walked == 0),
    ]
    figures = [Figure(label, int(ok), "bool", "1", ok) for label, ok in checks]
    return figures, "\n".join([plan, *ran])


def main_query_plan(text: str) -> str:
    """The plan of the first query of a lookup (the one that finds the customers)."""
    with CaptureQueriesContext(connection) as queries:
        lookup_once(text)
    return explain(queries[0]["sql"])


def check(samples: dict[str, str]) -> tuple[list[Figure], dict[str, str]]:
    figures, plans = [], {}
    for label, text in samples.items():
        plan = main_query_plan(text)
        plans[label] = plan
        index = EXPECTED.get(label) or NAME_INDEX[connection.vendor]
        used = index in plan
        figures.append(Figure(f"lookup by {label} uses {index}", int(used), "bool", "1", used))
    return figures, plans
