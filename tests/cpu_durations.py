"""`pytest --cpu-durations=N`: the N tests that cost the most CPU, for a machine that others share.

pytest's own `--durations` measures wall-clock time, which on a loaded machine says more about
the neighbours than about the test. This plugin measures the CPU time of the test's own process
(its threads too, e.g. a live server's; not a browser's processes) in setup, call and teardown,
and lists the tests by their sum. Under pytest-xdist each worker measures its tests and the
figures travel with the reports, so the list covers the whole run; a test's setup includes the
session fixtures it was the first to need (migrating the worker's database, the browser).
"""

import time
from collections import defaultdict

import pytest

PROPERTY = "cpu_seconds"


def pytest_addoption(parser):
    parser.addoption(
        "--cpu-durations",
        type=int,
        default=None,
        metavar="N",
        help="show the N tests that took the most CPU time of their process (0: all)",
    )


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_setup(item):
    yield from _measured(item, "setup")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item):
    yield from _measured(item, "call")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_teardown(item):
    yield from _measured(item, "teardown")


def _measured(item, when):
    started = time.process_time()
    yield
    item.stash.setdefault(_spent_key, {})[when] = time.process_time() - started


_spent_key = pytest.StashKey[dict]()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    spent = item.stash.get(_spent_key, {}).get(call.when)
    if spent is not None:
        outcome.get_result().user_properties.append((f"{PROPERTY}_{call.when}", round(spent, 4)))


class Totals:
    def __init__(self):
        self.by_test: dict[str, dict[str, float]] = defaultdict(dict)

    def pytest_runtest_logreport(self, report):
        for name, value in report.user_properties:
            if name == f"{PROPERTY}_{report.when}":
                self.by_test[report.nodeid][report.when] = value

    def pytest_terminal_summary(self, terminalreporter):
        count = terminalreporter.config.getoption("cpu_durations")
        total = sum(sum(phases.values()) for phases in self.by_test.values())
        ranked = sorted(self.by_test.items(), key=lambda entry: -sum(entry[1].values()))
        shown = ranked if count == 0 else ranked[:count]
        terminalreporter.write_sep("=", f"CPU time of the tests' processes: {total:.1f} s in all")
        for nodeid, phases in shown:
            parts = "  ".join(f"{when} {phases.get(when, 0):6.2f}" for when in ("setup", "call", "teardown"))
            terminalreporter.write_line(f"{sum(phases.values()):7.2f}s  {parts}  {nodeid}")


def pytest_configure(config):
    if config.getoption("cpu_durations") is not None and not hasattr(config, "workerinput"):
        config.pluginmanager.register(Totals(), "kefu-cpu-durations")
