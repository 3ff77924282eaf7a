"""Anniversaries and month arithmetic at their edges."""

import calendar
import datetime

from hypothesis import given
from hypothesis import strategies as st

from kefu.core.dates import add_months, anniversary

dates = st.dates(min_value=datetime.date(1950, 1, 1), max_value=datetime.date(2100, 12, 31))


@given(year=st.integers(min_value=1901, max_value=2099).filter(lambda y: not calendar.isleap(y)))
def test_the_anniversary_of_29_february_in_a_common_year_is_28_february(year):
    assert anniversary(datetime.date(2000, 2, 29), year - 2000) == datetime.date(year, 2, 28)


@given(year=st.integers(min_value=1901, max_value=2099).filter(calendar.isleap))
def test_the_anniversary_of_29_february_in_a_leap_year_is_29_february(year):
    assert anniversary(datetime.date(2000, 2, 29), year - 2000) == datetime.date(year, 2, 29)


@given(start=dates, years=st.integers(min_value=0, max_value=50))
def test_an_anniversary_keeps_month_and_at_most_moves_back_one_day(start, years):
    day = anniversary(start, years)
    assert (day.year, day.month) == (start.year + years, start.month)
    assert start.day - day.day in (0, 1)


@given(start=dates, months=st.integers(min_value=0, max_value=240))
def test_add_months_lands_in_the_right_month_and_clamps_to_its_last_day(start, months):
    result = add_months(start, months)
    index = start.year * 12 + start.month - 1 + months
    assert (result.year, result.month) == (index // 12, index % 12 + 1)
    last_day = calendar.monthrange(result.year, result.month)[1]
    assert result.day == min(start.day, last_day)


def test_add_months_examples():
    assert add_months(datetime.date(2025, 1, 31), 1) == datetime.date(2025, 2, 28)
    assert add_months(datetime.date(2024, 1, 31), 1) == datetime.date(2024, 2, 29)
    assert add_months(datetime.date(2024, 2, 29), 36) == datetime.date(2027, 2, 28)
    assert add_months(datetime.date(2024, 3, 31), 1) == datetime.date(2024, 4, 30)
    assert add_months(datetime.date(2024, 11, 15), 2) == datetime.date(2025, 1, 15)
