"""Date arithmetic with edges: anniversaries of 29 February, ages in whole years, weeks."""

import datetime

from django.utils import timezone


def anniversary(start: datetime.date, years: int) -> datetime.date:
    """The date `years` after `start`; 29 February falls on 28 February in common years."""
    try:
        return start.replace(year=start.year + years)
    except ValueError:
        return start.replace(year=start.year + years, day=28)


def add_months(start: datetime.date, months: int) -> datetime.date:
    """`months` after `start`, clamped to the month's last day (31 Jan + 1 month = 28/29 Feb)."""
    month_index = start.month - 1 + months
    year, month = start.year + month_index // 12, month_index % 12 + 1
    for day in (start.day, 30, 29, 28):
        try:
            return datetime.date(year, month, min(start.day, day))
        except ValueError:
            continue
    raise AssertionError("unreachable: every month has a 28th")


def week_of(moment: datetime.datetime | datetime.date) -> datetime.date:
    """The Monday of the week `moment` falls in, in the site's time zone (Asia/Shanghai): the key
    of the weekly rollups (satisfaction, complaints)."""
    day = timezone.localdate(moment) if isinstance(moment, datetime.datetime) else moment
    return day - datetime.timedelta(days=day.weekday())
