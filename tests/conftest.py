"""Fixtures every test may use: one user per role, and an agent's logged-in client.

Also the `postgresql` marker: such a test skips on SQLite, must pass on PostgreSQL (a skip there
is a failure) and is counted in a summary line that CI's PostgreSQL pass requires.
"""

from collections import Counter

import pytest
from django.db import connection
from huey.contrib.djhuey import HUEY

from tests.factories import make_user

# Tasks run in the calling process, on in-memory storage, without a worker.
HUEY.immediate = True


@pytest.fixture
def agent(db):
    return make_user("agent")


@pytest.fixture
def supervisor(db):
    return make_user("supervisor")


@pytest.fixture
def technician(db):
    return make_user("technician")


@pytest.fixture
def manager(db):
    return make_user("manager")


@pytest.fixture
def administrator(db):
    return make_user("admin", is_staff=True, is_superuser=True)


@pytest.fixture
def outsider(db):
    """A staff user with no role at all: sees nothing of the archive."""
    return make_user(None, username="outsider")


@pytest.fixture
def agent_client(client, agent):
    client.force_login(agent)
    return client


# --- PostgreSQL-only tests -----------------------------------------------------------------

POSTGRESQL_SUMMARY = "PostgreSQL-only tests: {passed} passed, {skipped} skipped, {failed} failed"
_postgresql_results: dict[str, str] = {}


def on_postgresql() -> bool:
    return connection.vendor == "postgresql"


def pytest_collection_modifyitems(config, items):
    if on_postgresql():
        return
    skip = pytest.mark.skip(
        reason="needs PostgreSQL (set DATABASE_URL): SQLite runs one writer at a time, so no race happens"
    )
    for item in items:
        if item.get_closest_marker("postgresql"):
            item.add_marker(skip)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """On PostgreSQL a PostgreSQL-only test that skips, for whatever reason, has failed."""
    outcome = yield
    report = outcome.get_result()
    if report.skipped and item.get_closest_marker("postgresql") and on_postgresql():
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else report.longrepr
        report.outcome = "failed"
        report.longrepr = f"a PostgreSQL-only test may not skip on PostgreSQL: {reason}"


def pytest_runtest_logreport(report):
    """Runs where the summary is printed, also under pytest-xdist (the reports come to it)."""
    if "postgresql" not in report.keywords or _postgresql_results.get(report.nodeid) == "failed":
        return
    if report.failed:
        _postgresql_results[report.nodeid] = "failed"
    elif report.skipped:
        _postgresql_results[report.nodeid] = "skipped"
    elif report.when == "call":
        _postgresql_results[report.nodeid] = "passed"


def pytest_terminal_summary(terminalreporter):
    if _postgresql_results:
        counts = Counter(_postgresql_results.values())
        terminalreporter.write_line(
            POSTGRESQL_SUMMARY.format(
                passed=counts["passed"], skipped=counts["skipped"], failed=counts["failed"]
            )
        )
