"""The clocks of promises (promises.clock): business minutes on 24/7 and working-hours calendars,
over the Chinese public holidays and adjusted working days, and the provisional years.

The property tests run on calendars built in memory from the chinese-calendar package (no
database), the named cases also through the table core.BusinessDay as migrate seeded it.
"""

import datetime
import logging
import zoneinfo

import chinese_calendar
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kefu.core.calendar import confirm_year, estimate_year, provisional_years, seed_provisional_years
from kefu.core.models import BusinessDay, DayKind
from kefu.promises import clock
from kefu.promises.clock import (
    add_business_minutes,
    build_calendar_data,
    business_seconds_between,
    is_open,
    load_calendar_data,
)
from kefu.promises.models import CalendarKind, WorkCalendar, WorkingHours

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
NINE, SIX = datetime.time(9, 0), datetime.time(18, 0)
OFFICE = dict.fromkeys(range(5), (NINE, SIX))


def at(*args) -> datetime.datetime:
    return datetime.datetime(*args, tzinfo=SHANGHAI)


def package_days(first: int = 2023, last: int = 2026) -> dict[datetime.date, str]:
    days = {day: "holiday" for day in chinese_calendar.holidays if first <= day.year <= last}
    days.update({day: "workday" for day in chinese_calendar.workdays if first <= day.year <= last})
    return days


OFFICE_DATA = build_calendar_data(always=False, hours=OFFICE, days=package_days(), tz=SHANGHAI, name="office")
# Open every day 08:00–20:00 except holidays, and a lunch-less short Saturday.
SERVICE_DATA = build_calendar_data(
    always=False,
    hours={
        **{weekday: (datetime.time(8), datetime.time(20)) for weekday in range(5)},
        5: (NINE, datetime.time(12)),
    },
    days=package_days(),
    tz=SHANGHAI,
    name="service",
)
ALWAYS_DATA = build_calendar_data(always=True, tz=SHANGHAI, name="24/7")
CALENDARS = st.sampled_from([OFFICE_DATA, SERVICE_DATA, ALWAYS_DATA])

starts = st.datetimes(
    min_value=datetime.datetime(2023, 1, 1),
    max_value=datetime.datetime(2026, 11, 30),
    timezones=st.just(SHANGHAI),
)
minutes = st.integers(min_value=0, max_value=20_000)
fast = settings(max_examples=300, deadline=None)


# --- Properties ---------------------------------------------------------------------------------


@fast
@given(start=starts, amount=minutes, data=CALENDARS)
def test_adding_then_measuring_gives_back_the_minutes(start, amount, data):
    due = add_business_minutes(start, amount, data)
    assert business_seconds_between(start, due, data) == amount * 60


@fast
@given(start=starts, a=minutes, b=minutes, data=CALENDARS)
def test_more_minutes_never_come_due_sooner(start, a, b, data):
    low, high = sorted((a, b))
    assert start <= add_business_minutes(start, low, data) <= add_business_minutes(start, high, data)


@fast
@given(first=starts, second=starts, amount=minutes, data=CALENDARS)
def test_a_later_start_never_comes_due_sooner(first, second, amount, data):
    early, late = sorted((first, second))
    assert add_business_minutes(early, amount, data) <= add_business_minutes(late, amount, data)


@fast
@given(start=starts, amount=st.integers(min_value=1, max_value=20_000), data=CALENDARS)
def test_a_promise_never_falls_due_while_the_calendar_is_closed(start, amount, data):
    due = add_business_minutes(start, amount, data)
    just_before = due - datetime.timedelta(microseconds=1)
    # The last microsecond counted was open time, and not one microsecond less would do.
    assert is_open(just_before, data)
    assert business_seconds_between(start, just_before, data) < amount * 60


@fast
@given(a=starts, b=starts, c=starts, data=CALENDARS)
def test_business_time_adds_up_over_consecutive_spans(a, b, c, data):
    a, b, c = sorted((a, b, c))
    between = clock.business_microseconds_between  # whole microseconds: exact sums
    total = between(a, c, data)
    assert total == between(a, b, data) + between(b, c, data)
    assert between(c, a, data) == 0
    assert total <= (c - a) / datetime.timedelta(microseconds=1)


@fast
@given(start=starts, amount=minutes)
def test_a_24_7_calendar_counts_every_minute_and_ignores_holidays(start, amount):
    assert add_business_minutes(start, amount, ALWAYS_DATA) == start + datetime.timedelta(minutes=amount)


@fast
@given(day=st.dates(min_value=datetime.date(2023, 1, 1), max_value=datetime.date(2026, 12, 31)))
def test_the_office_is_open_exactly_on_chinese_working_days(day):
    open_that_day = business_seconds_between(
        at(day.year, day.month, day.day), at(day.year, day.month, day.day, 23, 59), OFFICE_DATA
    )
    assert open_that_day == (9 * 3600 if chinese_calendar.is_workday(day) else 0)


# --- Named cases ----------------------------------------------------------------------------------


def test_a_working_hours_promise_opened_at_1730_before_national_day_waits_for_the_holiday():
    # 30 September 2026 is the last working day before 国庆节: 1–7 October are off.
    assert chinese_calendar.is_workday(datetime.date(2026, 9, 30))
    assert all(chinese_calendar.is_holiday(datetime.date(2026, 10, day)) for day in range(1, 8))
    opened = at(2026, 9, 30, 17, 30)
    # Two working hours: half an hour that evening, ninety minutes on Thursday 8 October.
    assert add_business_minutes(opened, 120, OFFICE_DATA) == at(2026, 10, 8, 10, 30)
    # Half an hour is still due the same evening, at closing time.
    assert add_business_minutes(opened, 30, OFFICE_DATA) == at(2026, 9, 30, 18, 0)
    assert business_seconds_between(opened, at(2026, 10, 8, 9, 0), OFFICE_DATA) == 30 * 60


def test_a_two_hour_24_7_summer_air_conditioner_promise_opened_at_2300_is_due_at_0100():
    opened = at(2026, 7, 15, 23, 0)
    due = add_business_minutes(opened, 120, ALWAYS_DATA)
    assert due == at(2026, 7, 16, 1, 0)
    assert due.utcoffset() == datetime.timedelta(hours=8)


def test_an_adjusted_working_saturday_counts_as_a_working_day():
    saturday = datetime.date(2026, 10, 10)
    assert saturday.weekday() == 5
    assert chinese_calendar.is_workday(saturday)
    # Friday 9 October 17:00 + two working hours: one on Friday, one on the adjusted Saturday
    # (with Monday's hours, as every 调休 day), not on Monday 12 October.
    assert add_business_minutes(at(2026, 10, 9, 17, 0), 120, OFFICE_DATA) == at(2026, 10, 10, 10, 0)
    assert business_seconds_between(at(2026, 10, 10, 0, 0), at(2026, 10, 11, 0, 0), OFFICE_DATA) == 9 * 3600
    # An ordinary Saturday stays closed.
    assert business_seconds_between(at(2026, 10, 17, 0, 0), at(2026, 10, 18, 0, 0), OFFICE_DATA) == 0


def test_a_calendar_without_the_business_days_works_through_holidays():
    plain = build_calendar_data(
        always=False, hours=OFFICE, uses_business_days=False, days=package_days(), tz=SHANGHAI
    )
    assert add_business_minutes(at(2026, 9, 30, 17, 30), 120, plain) == at(2026, 10, 1, 10, 30)


def test_naive_times_and_negative_minutes_are_refused():
    with pytest.raises(ValueError, match="aware"):
        add_business_minutes(datetime.datetime(2026, 9, 30, 17, 30), 10, OFFICE_DATA)
    with pytest.raises(ValueError, match="negative"):
        add_business_minutes(at(2026, 9, 30, 17, 30), -1, OFFICE_DATA)


def test_a_calendar_with_no_hours_runs_around_the_clock_rather_than_never():
    empty = build_calendar_data(always=False, hours={}, tz=SHANGHAI)
    assert add_business_minutes(at(2026, 10, 1, 0, 0), 60, empty) == at(2026, 10, 1, 1, 0)


# --- Through the database: the seeded table, and the years nobody has published yet ---------------


def office_calendar() -> WorkCalendar:
    calendar = WorkCalendar.objects.create(name="办公时间", kind=CalendarKind.WORKING_HOURS)
    WorkingHours.objects.bulk_create(
        [WorkingHours(calendar=calendar, weekday=weekday, start=NINE, end=SIX) for weekday in range(5)]
    )
    return calendar


@pytest.mark.django_db
def test_the_seeded_table_gives_the_same_national_day_answer(django_assert_max_num_queries):
    calendar = office_calendar()
    with django_assert_max_num_queries(3):
        data = load_calendar_data(calendar, years=range(2026, 2028))
    assert add_business_minutes(at(2026, 9, 30, 17, 30), 120, data) == at(2026, 10, 8, 10, 30)
    assert add_business_minutes(at(2026, 10, 9, 17, 0), 120, data) == at(2026, 10, 10, 10, 0)


@pytest.mark.django_db
def test_the_shipped_working_hours_calendar_is_closed_over_national_day():
    data = load_calendar_data(WorkCalendar.objects.get(code="working_hours"), years=range(2026, 2027))
    assert add_business_minutes(at(2026, 9, 30, 17, 30), 60, data) == at(2026, 10, 8, 9, 30)


@pytest.mark.django_db
def test_a_year_beyond_the_package_is_seeded_provisionally_used_and_warned_about(caplog):
    assert 2027 not in {day.year for day in chinese_calendar.holidays}
    BusinessDay.objects.filter(date__year=2027).delete()
    added = seed_provisional_years([2027])
    assert added[2027] == len(estimate_year(2027)) > 0
    national_day = BusinessDay.objects.get(date=datetime.date(2027, 10, 1))
    assert (national_day.kind, national_day.provisional) == (DayKind.HOLIDAY, True)
    assert provisional_years() == [2027]
    # Seeding again adds nothing (an administrator's corrections stay).
    assert seed_provisional_years([2027]) == {}

    data = load_calendar_data(office_calendar(), years=range(2027, 2028))
    assert data.is_provisional(datetime.date(2027, 10, 1))
    with caplog.at_level(logging.WARNING, logger="kefu.promises.clock"):
        # Thursday 30 September 2027 17:30: 1–5 October are estimated holidays (the 4th and
        # 5th in lieu of the weekend), so the clock resumes on Wednesday 6 October.
        due = add_business_minutes(at(2027, 9, 30, 17, 30), 120, data)
    assert due == at(2027, 10, 6, 10, 30)
    assert any(
        "2027" in record.getMessage() and "provisional" in record.getMessage() for record in caplog.records
    )


@pytest.mark.django_db
def test_a_year_missing_from_the_table_is_estimated_in_memory_and_never_fails(caplog):
    BusinessDay.objects.filter(date__year=2029).delete()
    with caplog.at_level(logging.WARNING):
        data = load_calendar_data(office_calendar(), years=range(2029, 2030))
    assert not BusinessDay.objects.filter(date__year=2029).exists()  # loading writes nothing
    assert data.is_provisional(datetime.date(2029, 10, 1))
    assert datetime.date(2029, 10, 1) in data.holidays
    assert add_business_minutes(at(2029, 9, 28, 17, 30), 30, data) == at(2029, 9, 28, 18, 0)
    assert any("2029" in record.getMessage() for record in caplog.records)


@pytest.mark.django_db
def test_a_confirmed_year_is_no_longer_provisional(administrator):
    BusinessDay.objects.filter(date__year=2027).delete()
    seed_provisional_years([2027])
    assert confirm_year(2027, actor=administrator) > 0
    assert provisional_years() == []
    data = load_calendar_data(office_calendar(), years=range(2027, 2028))
    assert not data.is_provisional(datetime.date(2027, 10, 1))
    assert confirm_year(2027, actor=administrator) == 0


def test_the_clock_module_is_pure_after_loading():
    """The functions the sweep calls per ticket take no database: they run here without one."""
    assert clock.add_business_minutes(at(2026, 1, 5, 9, 0), 540, OFFICE_DATA) == at(2026, 1, 5, 18, 0)
