"""The business calendar: seeded Chinese holidays, adjusted working days, and the fallback to
plain weekends for a year nobody has entered yet."""

import datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kefu.core.calendar import BusinessCalendar, is_workday, known_years, seed_business_days
from kefu.core.models import BusinessDay, DayKind

pytestmark = pytest.mark.django_db

SEEDED = st.dates(min_value=datetime.date(2020, 1, 1), max_value=datetime.date(2026, 11, 30))
ANY = st.dates(min_value=datetime.date(2020, 1, 1), max_value=datetime.date(2030, 12, 31))
db_settings = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def test_the_2026_national_day_is_a_holiday_even_on_weekdays():
    for day in range(1, 8):
        assert not is_workday(datetime.date(2026, 10, day))
    assert BusinessDay.objects.get(date=datetime.date(2026, 10, 1)).name == "国庆节"


def test_saturday_10_october_2026_is_an_adjusted_working_day():
    saturday = datetime.date(2026, 10, 10)
    assert saturday.weekday() == 5
    assert is_workday(saturday)


def test_adding_workdays_across_the_spring_festival():
    cal = BusinessCalendar.load(datetime.date(2026, 2, 1), datetime.date(2026, 3, 31))
    friday = datetime.date(2026, 2, 13)
    assert cal.add_workdays(friday, 0) == friday
    assert cal.add_workdays(friday, 1) == datetime.date(2026, 2, 14)  # an adjusted Saturday
    assert cal.add_workdays(friday, 2) == datetime.date(2026, 2, 24)  # after nine days off
    assert cal.add_workdays(datetime.date(2026, 2, 15), 0) == datetime.date(2026, 2, 24)


def test_negative_workdays_are_refused():
    with pytest.raises(ValueError, match="negative"):
        BusinessCalendar.load(datetime.date(2026, 1, 1), datetime.date(2026, 1, 31)).add_workdays(
            datetime.date(2026, 1, 5), -1
        )


def test_a_year_without_entries_falls_back_to_weekends_and_is_not_known():
    BusinessDay.objects.filter(date__year=2029).delete()
    cal = BusinessCalendar.load(datetime.date(2029, 9, 1), datetime.date(2029, 10, 31))
    monday, saturday = datetime.date(2029, 10, 1), datetime.date(2029, 10, 6)
    assert not cal.is_known(monday)
    assert cal.is_workday(monday)  # National Day, but nobody has entered 2029 yet
    assert not cal.is_workday(saturday)
    assert 2029 not in known_years()
    assert cal.add_workdays(datetime.date(2029, 9, 28), 1) == monday


def test_a_year_entered_by_an_administrator_becomes_known():
    BusinessDay.objects.create(date=datetime.date(2029, 10, 1), kind=DayKind.HOLIDAY, name="国庆节")
    cal = BusinessCalendar.load(datetime.date(2029, 10, 1), datetime.date(2029, 10, 1))
    assert cal.is_known(datetime.date(2029, 10, 1))
    assert not cal.is_workday(datetime.date(2029, 10, 1))
    assert 2029 in known_years()


def test_seeding_again_adds_nothing_and_keeps_an_administrators_edit():
    day = BusinessDay.objects.get(date=datetime.date(2026, 10, 1))
    day.name = "国庆节（已核对）"
    day.save()
    assert seed_business_days([2025, 2026]) == 0
    assert BusinessDay.objects.get(date=datetime.date(2026, 10, 1)).name == "国庆节（已核对）"


def test_seeding_a_removed_year_puts_it_back():
    BusinessDay.objects.filter(date__year=2025).delete()
    assert seed_business_days([2025]) > 0
    assert 2025 in known_years()


@db_settings
@given(start=ANY, days=st.integers(min_value=0, max_value=30))
def test_add_workdays_lands_on_a_workday_not_before_the_start(start, days):
    cal = BusinessCalendar.load(start, start + datetime.timedelta(days=90))
    result = cal.add_workdays(start, days)
    assert result >= start
    assert cal.is_workday(result)
    # Exactly `days` working days lie after the first working day on or after `start`.
    first = cal.add_workdays(start, 0)
    between = sum(
        cal.is_workday(first + datetime.timedelta(days=offset))
        for offset in range(1, (result - first).days + 1)
    )
    assert between == days


@db_settings
@given(day=SEEDED)
def test_is_workday_matches_the_table(day):
    kind = BusinessDay.objects.filter(date=day).values_list("kind", flat=True).first()
    expected = {DayKind.HOLIDAY: False, DayKind.WORKDAY: True}.get(kind, day.weekday() < 5)
    assert is_workday(day) is expected
