"""The clocks of promises: business time on a work calendar (decision 0025).

Pure, fast functions over a calendar loaded once (`load_calendar_data`, `load_calendars`):

    data = load_calendar_data(policy.calendar)
    due = add_business_minutes(ticket.created_at, 120, data)
    spent = business_seconds_between(promise.started_at, now, data)

A 24/7 calendar counts every second and knows no holidays. A working-hours calendar is open
during its weekday's hours; when it uses the business calendar (core.BusinessDay), it is closed
on public holidays and open on adjusted working days (调休) with the hours of its first working
weekday (Monday's, usually). Times are read on the wall clock of settings.TIME_ZONE
(Asia/Shanghai); every datetime in and out is aware. The arithmetic is in whole microseconds, so
`business_seconds_between(t, add_business_minutes(t, m, d), d) == m * 60` exactly.

A year the business calendar does not hold is estimated in memory from the `holidays` package
(core.calendar.estimate_year) and a year seeded from it is provisional: both are used and both
are logged as a warning once per loaded calendar; nothing fails for lack of a year.
"""

import datetime
import logging
import zoneinfo
from dataclasses import dataclass, field

from django.conf import settings
from django.utils import timezone

log = logging.getLogger(__name__)

ONE_DAY = datetime.timedelta(days=1)
US_PER_SECOND = 1_000_000
US_PER_DAY = 86_400 * US_PER_SECOND
# A walk that finds no open hour in this many days gives up (a calendar with no hours at all is
# treated as 24/7 before it starts; this is a guard against a table that closes every day).
MAX_DAYS = 3 * 366

Interval = tuple[int, int]  # microseconds since local midnight: [open, close)


@dataclass(frozen=True, eq=False)
class CalendarData:
    """One work calendar and the business days of the years around it, ready for the clock."""

    always: bool
    # Monday … Sunday: the open interval of that weekday, or None when closed.
    week: tuple[Interval | None, ...] = (None,) * 7
    # The hours of an adjusted working day (调休): the first working weekday's.
    adjusted: Interval | None = None
    holidays: frozenset[datetime.date] = frozenset()
    workdays: frozenset[datetime.date] = frozenset()
    # Years whose days are an estimate (seeded provisionally, or estimated because missing).
    provisional_years: frozenset[int] = frozenset()
    tz: datetime.tzinfo = datetime.UTC
    name: str = ""
    _warned: set[int] = field(default_factory=set, repr=False)

    def day_interval(self, day: datetime.date) -> Interval | None:
        """When the calendar is open on `day` (local date), or None."""
        if self.always:
            return (0, US_PER_DAY)
        if day in self.holidays:
            return None
        hours = self.week[day.weekday()]
        if hours is None and day in self.workdays:
            return self.adjusted
        return hours

    def is_provisional(self, day: datetime.date) -> bool:
        return day.year in self.provisional_years

    def _note_year(self, year: int) -> None:
        if year in self.provisional_years and year not in self._warned:
            self._warned.add(year)
            log.warning(
                "work calendar %r: %s uses provisional business days (not yet confirmed by an administrator)",
                self.name,
                year,
            )


def _local(value: datetime.datetime, tz: datetime.tzinfo) -> tuple[datetime.date, int]:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("the clock needs an aware datetime")
    local = value.astimezone(tz)
    position = (local.hour * 3600 + local.minute * 60 + local.second) * US_PER_SECOND + local.microsecond
    return local.date(), position


def _at(day: datetime.date, position: int, tz: datetime.tzinfo) -> datetime.datetime:
    return datetime.datetime(day.year, day.month, day.day, tzinfo=tz) + datetime.timedelta(
        microseconds=position
    )


def add_business_minutes(start: datetime.datetime, minutes: int, data: CalendarData) -> datetime.datetime:
    """The moment `minutes` of open calendar time after `start` (aware, in the calendar's zone).

    Zero minutes give `start` itself. The result always lies inside (or at the closing moment
    of) an open interval: a promise is never due while the calendar is closed.
    """
    if minutes < 0:
        raise ValueError("minutes must not be negative")
    return add_business_microseconds(start, minutes * 60 * US_PER_SECOND, data)


def add_business_microseconds(start: datetime.datetime, amount: int, data: CalendarData) -> datetime.datetime:
    """As add_business_minutes, for a remainder that is not whole minutes (a paused clock's)."""
    if data.always:
        if start.tzinfo is None or start.utcoffset() is None:
            raise ValueError("the clock needs an aware datetime")
        # Absolute time: in UTC, so that a change of offset would not shift it.
        return (start.astimezone(datetime.UTC) + datetime.timedelta(microseconds=max(amount, 0))).astimezone(
            data.tz
        )
    day, position = _local(start, data.tz)
    if amount <= 0:
        return start.astimezone(data.tz)
    remaining = amount
    year = 0
    for _ in range(MAX_DAYS):
        if day.year != year:
            year = day.year
            data._note_year(year)
        interval = data.day_interval(day)
        if interval is not None:
            opens, closes = interval
            at = position if position > opens else opens
            if at < closes:
                available = closes - at
                if remaining <= available:
                    return _at(day, at + remaining, data.tz)
                remaining -= available
        day += ONE_DAY
        position = 0
    log.error("work calendar %r: no open hours within %s days of %s", data.name, MAX_DAYS, start)
    return _at(day, position, data.tz)


def business_microseconds_between(a: datetime.datetime, b: datetime.datetime, data: CalendarData) -> int:
    """Open calendar time from `a` to `b`, in whole microseconds; 0 when `b` is not after `a`."""
    if data.always:
        if b <= a:
            return 0
        delta = b - a
        return (delta.days * 86_400 + delta.seconds) * US_PER_SECOND + delta.microseconds
    if b <= a:
        return 0
    day, position = _local(a, data.tz)
    last_day, last_position = _local(b, data.tz)
    total = 0
    year = 0
    while day <= last_day:
        if day.year != year:
            year = day.year
            data._note_year(year)
        interval = data.day_interval(day)
        if interval is not None:
            opens, closes = interval
            begin = position if position > opens else opens
            if day == last_day and last_position < closes:
                closes = last_position
            if begin < closes:
                total += closes - begin
        day += ONE_DAY
        position = 0
    return total


def business_seconds_between(a: datetime.datetime, b: datetime.datetime, data: CalendarData) -> float:
    """Open calendar time from `a` to `b`, in seconds; 0 when `b` is not after `a`."""
    return business_microseconds_between(a, b, data) / US_PER_SECOND


def is_open(moment: datetime.datetime, data: CalendarData) -> bool:
    """Whether the calendar is open at `moment` (the closing moment itself counts as closed)."""
    day, position = _local(moment, data.tz)
    interval = data.day_interval(day)
    return interval is not None and interval[0] <= position < interval[1]


# --- Loading ---------------------------------------------------------------------------------------


def _us(value: datetime.time) -> int:
    return ((value.hour * 3600 + value.minute * 60 + value.second) * US_PER_SECOND) + value.microsecond


def build_calendar_data(
    *,
    always: bool,
    hours: dict[int, tuple[datetime.time, datetime.time]] | None = None,
    uses_business_days: bool = True,
    days: dict[datetime.date, str] | None = None,
    provisional_years: frozenset[int] | set[int] = frozenset(),
    tz: datetime.tzinfo | None = None,
    name: str = "",
) -> CalendarData:
    """A CalendarData from plain values: `hours` {weekday: (opens, closes)}, `days` {date: kind}
    ("holiday" / "workday", as core.BusinessDay). What the loaders and the tests build on."""
    tz = tz or zoneinfo.ZoneInfo(settings.TIME_ZONE)
    if always:
        return CalendarData(always=True, tz=tz, name=name)
    week = tuple(
        (_us(hours[weekday][0]), _us(hours[weekday][1])) if hours and weekday in hours else None
        for weekday in range(7)
    )
    if not any(week):
        # No hours at all: better a clock that runs around the clock than one that never ends.
        log.warning("work calendar %r has no working hours; counting it as 24/7", name)
        return CalendarData(always=True, tz=tz, name=name)
    adjusted = next(interval for interval in week if interval is not None)
    if not uses_business_days:
        return CalendarData(always=False, week=week, adjusted=adjusted, tz=tz, name=name)
    days = days or {}
    return CalendarData(
        always=False,
        week=week,
        adjusted=adjusted,
        holidays=frozenset(day for day, kind in days.items() if kind == "holiday"),
        workdays=frozenset(day for day, kind in days.items() if kind == "workday"),
        provisional_years=frozenset(provisional_years),
        tz=tz,
        name=name,
    )


def default_years(today: datetime.date | None = None) -> range:
    """The years a clock may walk through: last year to the year after next."""
    today = today or timezone.localdate()
    return range(today.year - 1, today.year + 3)


def _business_days(years: range) -> tuple[dict[datetime.date, str], set[int]]:
    """The business days of `years` (one query), with the years that are estimates: seeded
    provisionally, or missing from the table and estimated in memory (core.calendar)."""
    from kefu.core.calendar import estimate_year
    from kefu.core.models import BusinessDay

    days: dict[datetime.date, str] = {}
    provisional: set[int] = set()
    present: set[int] = set()
    rows = BusinessDay.objects.filter(date__year__gte=years.start, date__year__lt=years.stop).values_list(
        "date", "kind", "provisional"
    )
    for day, kind, is_provisional in rows:
        days[day] = kind
        present.add(day.year)
        if is_provisional:
            provisional.add(day.year)
    for year in years:
        if year not in present:
            log.warning(
                "business calendar has no days for %s; estimating them from the holidays package", year
            )
            for day, kind, _name in estimate_year(year):
                days[day] = kind
            provisional.add(year)
    return days, provisional


def _hours_of(calendar_ids) -> dict[int, dict[int, tuple[datetime.time, datetime.time]]]:
    from kefu.promises.models import WorkingHours

    hours: dict[int, dict[int, tuple[datetime.time, datetime.time]]] = {}
    for calendar_id, weekday, start, end in WorkingHours.objects.filter(
        calendar_id__in=calendar_ids
    ).values_list("calendar_id", "weekday", "start", "end"):
        hours.setdefault(calendar_id, {})[weekday] = (start, end)
    return hours


def load_calendar_data(calendar, *, years: range | None = None) -> CalendarData:
    """One WorkCalendar (or its id) ready for the clock: at most three queries."""
    return load_calendars([calendar], years=years)[calendar if isinstance(calendar, int) else calendar.pk]


def load_calendars(calendars=None, *, years: range | None = None) -> dict[int, CalendarData]:
    """Several WorkCalendars (all when None) by id: three queries whatever their number.

    A sweep that recomputes many tickets loads them once and calls the clock per ticket.
    """
    from kefu.promises.models import CalendarKind, WorkCalendar

    if calendars is None:
        found = list(WorkCalendar.objects.all())
    else:
        objects = [c for c in calendars if not isinstance(c, int)]
        ids = [c for c in calendars if isinstance(c, int)]
        found = objects + (list(WorkCalendar.objects.filter(pk__in=ids)) if ids else [])
    tz = zoneinfo.ZoneInfo(settings.TIME_ZONE)
    working = [c.pk for c in found if c.kind == CalendarKind.WORKING_HOURS]
    hours = _hours_of(working) if working else {}
    days: dict[datetime.date, str] = {}
    provisional: set[int] = set()
    if any(c.uses_business_days for c in found if c.kind == CalendarKind.WORKING_HOURS):
        days, provisional = _business_days(years or default_years())
    return {
        c.pk: build_calendar_data(
            always=c.kind == CalendarKind.ALWAYS,
            hours=hours.get(c.pk, {}),
            uses_business_days=c.uses_business_days,
            days=days,
            provisional_years=provisional,
            tz=tz,
            name=c.name,
        )
        for c in found
    }
