"""Fixtures every test may use: one user per role, an agent's logged-in client, and `module_db`
for data that a module's tests share.

Passwords are hashed with MD5 in tests: the production hasher (PBKDF2, a million rounds) costs
a third of a second of CPU per user made or password checked, and no test measures the hasher.

Also the `postgresql` marker: such a test skips on SQLite, must pass on PostgreSQL (a skip there
is a failure) and is counted in a summary line that CI's PostgreSQL pass requires.
"""

from collections import Counter

import pytest
from django.core.cache import cache
from django.db import connection, transaction
from django.test import override_settings
from huey.contrib.djhuey import HUEY

from kefu.core.db import apart
from tests.factories import make_user

# `pytest --cpu-durations=N`: the tests that cost the most CPU (docs/testing.md).
pytest_plugins = ["tests.cpu_durations"]

# Tasks run in the calling process, on in-memory storage, without a worker.
HUEY.immediate = True

FAST_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True, scope="session")
def fast_password_hashing():
    """For the whole run, live servers' threads included (a test's `settings` may still change it)."""
    with override_settings(PASSWORD_HASHERS=FAST_HASHERS):
        yield


@pytest.fixture(autouse=True, scope="session")
def numbers_in_the_opening_transaction():
    """Ticket numbers counted in the opening's transaction, so that a test's roll back with it and
    every test counts a day's tickets from 0001. Counted apart (PostgreSQL's default, decision
    0036) they would be committed and carried from test to test;
    tests/races/test_ticket_numbers_apart.py turns it on."""
    with override_settings(KEFU_NUMBERS_APART=False):
        yield


@pytest.fixture(autouse=True, scope="session")
def close_connections_apart(django_db_setup):
    """The connections kept for statements committed apart (core.db.apart: the ticket numbers),
    closed before the test database is dropped (set up after it, so torn down before it)."""
    yield
    apart.close_all()


@pytest.fixture(autouse=True)
def empty_cache():
    """Each test starts with an empty cache: the limits per client address count in it
    (core.ratelimit), and every test client comes from the same address."""
    cache.clear()


# --- Data built once per module --------------------------------------------------------------


@pytest.fixture(scope="module")
def module_db(django_db_setup, django_db_blocker):
    """One transaction around the rest of a module, rolled back at its end. A module-scoped fixture
    that requests it builds its rows once; each test then runs in a savepoint inside it (its own
    writes are rolled back as usual) and sees the same rows:

        @pytest.fixture(scope="module")
        def generated(module_db):
            with module_db():
                return generate(...)

    The tests that use it run last in their module (`pytest_collection_modifyitems` below), so the
    module's other tests never see the rows; under pytest-xdist they are one group, sent to one
    worker, so the rows are built once per run. A test that needs committed data
    (transactional_db, live_server) cannot use it."""
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        # Services may open durable transactions; inside a test case's transaction they may nest.
        connection.atomic_blocks[-1]._from_testcase = True
    try:
        yield django_db_blocker.unblock
    finally:
        with django_db_blocker.unblock():
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


def _module_of(item) -> str:
    module = getattr(item, "module", None)
    return module.__name__ if module is not None else item.nodeid.split("::")[0]


def _uses_module_db(item) -> bool:
    return "module_db" in getattr(item, "fixturenames", ())


def _is_transactional(item) -> bool:
    marker = item.get_closest_marker("django_db")
    committed = bool(marker and (marker.kwargs.get("transaction") or marker.kwargs.get("reset_sequences")))
    return committed or bool({"transactional_db", "live_server"} & set(item.fixturenames))


@pytest.hookimpl(tryfirst=True)
def pytest_itemcollected(item):
    """Under `--dist loadgroup` a module's tests that share its data go to one worker."""
    if _uses_module_db(item):
        item.add_marker(pytest.mark.xdist_group(f"module_db:{_module_of(item)}"))


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


@pytest.hookimpl(trylast=True)  # after pytest-django's ordering (database tests first)
def pytest_collection_modifyitems(config, items):
    _module_db_users_last(items)
    _skip_postgresql_tests_on_sqlite(items)


def _module_db_users_last(items):
    """In each module, the tests that use `module_db` after the ones that do not, in the places the
    module's tests had: its rows stay alive from its first user to the module's end."""
    places: dict[str, list[int]] = {}
    for index, item in enumerate(items):
        places.setdefault(_module_of(item), []).append(index)
    for indices in places.values():
        module_items = [items[index] for index in indices]
        users = [item for item in module_items if _uses_module_db(item)]
        if not users:
            continue
        for item in users:
            if _is_transactional(item):
                raise pytest.UsageError(f"{item.nodeid}: a transactional test cannot use module_db")
        others = [item for item in module_items if not _uses_module_db(item)]
        for index, item in zip(indices, others + users, strict=True):
            items[index] = item


def _skip_postgresql_tests_on_sqlite(items):
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
