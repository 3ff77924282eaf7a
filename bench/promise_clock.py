"""Due-time computation (issue 13: "due-time computation for a ticket opened before a long holiday:
per call, microseconds matter when a sweep recomputes many").

The clock (promises.clock) over a calendar loaded once, as the services and a recomputing sweep
use it, with no database in the loop:
- a working-hours calendar (08:00–20:00 Monday to Friday, on the business calendar of
  chinese-calendar: National Day closed, the adjusted working weekend days open), a ticket opened
  at 17:30 on the last working day before the National Day holiday, 24 business hours to go
  (the walk crosses the whole holiday);
- the same ticket's business time from opening to two weeks later (a resume after a pause);
- a 24/7 calendar, 2 hours (the summer air-conditioner promise), for comparison.
Each: µs per call, wall and process CPU, median of 7 rounds of 20,000 calls.

Run alone: `python -m bench.promise_clock` (needs only the settings; no database is read).
"""

import datetime
import statistics
import time
import zoneinfo

from bench import Figure

ROUNDS = 7
CALLS = 20_000
TARGET_US = 50.0  # a sweep recomputing 100,000 tickets spends 5 s at most in the clock


def _calendars():
    import chinese_calendar

    from kefu.promises import clock

    days = dict.fromkeys(chinese_calendar.holidays, "holiday")
    days.update(dict.fromkeys(chinese_calendar.workdays, "workday"))
    open_hours = (datetime.time(8), datetime.time(20))
    working = clock.build_calendar_data(
        always=False, hours=dict.fromkeys(range(5), open_hours), days=days, name="bench"
    )
    always = clock.build_calendar_data(always=True, name="bench 24/7")
    return working, always


def _eve_of_national_day(year: int) -> datetime.datetime:
    """17:30 on the last working day before 1 October (Asia/Shanghai)."""
    import chinese_calendar

    day = datetime.date(year, 10, 1) - datetime.timedelta(days=1)
    while not chinese_calendar.is_workday(day):
        day -= datetime.timedelta(days=1)
    return datetime.datetime.combine(day, datetime.time(17, 30), tzinfo=zoneinfo.ZoneInfo("Asia/Shanghai"))


def _per_call(call) -> tuple[float, float]:
    """(µs wall, µs CPU) per call: the median round."""
    walls, cpus = [], []
    for _ in range(ROUNDS):
        started, cpu_started = time.perf_counter(), time.process_time()
        for _ in range(CALLS):
            call()
        walls.append((time.perf_counter() - started) / CALLS * 1e6)
        cpus.append((time.process_time() - cpu_started) / CALLS * 1e6)
    return statistics.median(walls), statistics.median(cpus)


def measure(say=print) -> list[Figure]:
    from kefu.promises import clock

    working, always = _calendars()
    opened = _eve_of_national_day(2025)
    due = clock.add_business_minutes(opened, 24 * 60, working)
    say(f"  opened {opened:%Y-%m-%d %H:%M}, 24 business hours → due {due:%Y-%m-%d %H:%M}")
    later = opened + datetime.timedelta(days=14)
    cases = (
        (
            "working hours, opened 17:30 before National Day, +24 business hours",
            lambda: clock.add_business_minutes(opened, 24 * 60, working),
        ),
        (
            "working hours, business time across National Day (14 days)",
            lambda: clock.business_microseconds_between(opened, later, working),
        ),
        ("24/7, +2 hours", lambda: clock.add_business_minutes(opened, 120, always)),
    )
    figures: list[Figure] = []
    for label, call in cases:
        wall, cpu = _per_call(call)
        figures += [
            Figure(
                f"promise clock, {label}: per call",
                round(wall, 2),
                "µs",
                f"< {TARGET_US:g} µs",
                wall < TARGET_US,
            ),
            Figure(f"promise clock, {label}: CPU per call", round(cpu, 2), "µs", "(info)", None),
        ]
    return figures


def main() -> None:
    import os
    import sys

    from bench import REPO_DIR

    sys.path.insert(0, str(REPO_DIR / "src"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kefu.settings")
    import django

    django.setup()
    with open("/proc/loadavg") as loadavg:
        print(f"load average: {loadavg.read().strip()}")
    for figure in measure():
        print(f"{figure.name}: {figure.value:g} {figure.unit}  (target {figure.target}, met {figure.met})")


if __name__ == "__main__":
    main()
