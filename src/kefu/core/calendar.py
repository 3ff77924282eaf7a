"""Business calendar: which dates are working days in mainland China.

Monday to Friday are working days and weekends are not, except for the dates in the
BusinessDay table: public holidays (off, even on a weekday) and adjusted working days
(调休: on, even on a weekend). The table is seeded from the chinese-calendar package and
edited by an administrator once the State Council publishes a new year. A date in a year
with no entries falls back to plain weekends; `is_known` tells callers so they can warn.
"""

import datetime
import logging
from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kefu.core.models import BusinessDay, DayKind

log = logging.getLogger(__name__)

# The package's holiday names, in the words our users read.
HOLIDAY_NAMES_ZH = {
    "New Year's Day": "元旦",
    "Spring Festival": "春节",
    "Tomb-sweeping Day": "清明节",
    "Labour Day": "劳动节",
    "Dragon Boat Festival": "端午节",
    "National Day": "国庆节",
    "Mid-autumn Festival": "中秋节",
    "Anti-Fascist 70th Day": "抗战胜利70周年纪念日",
}


@transaction.atomic
def seed_business_days(years: Iterable[int] | None = None) -> int:
    """Copy the package's holidays and adjusted working days into the table.

    Idempotent: dates already in the table (perhaps edited by an administrator) are kept.
    Returns the number of dates added.
    """
    import chinese_calendar

    wanted = set(years) if years is not None else None
    rows = []
    for kind, days in (
        (DayKind.HOLIDAY, chinese_calendar.holidays),
        (DayKind.WORKDAY, chinese_calendar.workdays),
    ):
        for date, name in days.items():
            if wanted is not None and date.year not in wanted:
                continue
            rows.append(BusinessDay(date=date, kind=kind, name=HOLIDAY_NAMES_ZH.get(name, name or "")))
    existing = set(
        BusinessDay.objects.filter(date__in=[row.date for row in rows]).values_list("date", flat=True)
    )
    new = [row for row in rows if row.date not in existing]
    BusinessDay.objects.bulk_create(new, batch_size=500)
    return len(new)


class BusinessCalendar:
    """The calendar for a span of dates, read with one query.

    cal = BusinessCalendar.load(start, end)
    cal.is_workday(date); cal.add_workdays(date, 3)
    """

    def __init__(self, exceptions: dict[datetime.date, str], known_years: set[int]):
        self._exceptions = exceptions
        self._known_years = known_years

    @classmethod
    def load(cls, start: datetime.date, end: datetime.date) -> "BusinessCalendar":
        exceptions = dict(BusinessDay.objects.filter(date__range=(start, end)).values_list("date", "kind"))
        known_years = {
            day.year
            for day in BusinessDay.objects.filter(date__year__gte=start.year, date__year__lte=end.year).dates(
                "date", "year"
            )
        }
        return cls(exceptions, known_years)

    def is_known(self, date: datetime.date) -> bool:
        """Whether the table holds the holidays of `date`'s year."""
        return date.year in self._known_years

    def is_workday(self, date: datetime.date) -> bool:
        kind = self._exceptions.get(date)
        if kind == DayKind.HOLIDAY:
            return False
        if kind == DayKind.WORKDAY:
            return True
        if not self.is_known(date):
            log.warning("business calendar has no entries for %s; using weekends only", date.year)
        return date.weekday() < 5

    def add_workdays(self, date: datetime.date, days: int) -> datetime.date:
        """The date `days` working days after `date` (0 gives the next working day from `date`)."""
        if days < 0:
            raise ValueError("days must not be negative")
        current = date
        while not self.is_workday(current):
            current += datetime.timedelta(days=1)
        while days:
            current += datetime.timedelta(days=1)
            if self.is_workday(current):
                days -= 1
        return current


def is_workday(date: datetime.date) -> bool:
    """One date; for many dates load a BusinessCalendar once."""
    return BusinessCalendar.load(date, date).is_workday(date)


def known_years() -> list[int]:
    return sorted({d.year for d in BusinessDay.objects.dates("date", "year")})


def missing_calendar_years(today: datetime.date | None = None) -> list[int]:
    """This year and next year, when the business calendar holds no entries for them."""
    today = today or timezone.localdate()
    known = set(known_years())
    return [year for year in (today.year, today.year + 1) if year not in known]


def calendar_warnings(today: datetime.date | None = None) -> list[str]:
    """What to tell an administrator about the years missing from the calendar (admin index)."""
    return [
        _(
            "The business calendar has no holidays for %(year)s: enter them when the State Council "
            "publishes them; until then only weekends count."
        )
        % {"year": year}
        for year in missing_calendar_years(today)
    ]
