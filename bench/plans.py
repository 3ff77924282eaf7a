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


# The ticket search's index (decision 0023): a serial number found in one ticket must be looked up
# in it, not by reading the tickets.
TICKET_SEARCH_INDEX = {"postgresql": "ticket_search_document_idx", "sqlite": "tickets_ticket_search"}


def check_ticket_search(q: str) -> tuple[list[Figure], str]:
    """The plan of the ticket search's page query for a rare word (bench.ticket_search)."""
    from bench.ticket_search import page_query_sql

    plan = explain(page_query_sql(q))
    index = TICKET_SEARCH_INDEX[connection.vendor]
    used = index in plan
    return [Figure(f"ticket search for a serial number uses {index}", int(used), "bool", "1", used)], plan


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
