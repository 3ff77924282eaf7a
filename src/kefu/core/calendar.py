"""Business calendar: which dates are working days in mainland China.

Monday to Friday are working days and weekends are not, except for the dates in the
BusinessDay table: public holidays (off, even on a weekday) and adjusted working days
(调休: on, even on a weekend). The table is seeded from the chinese-calendar package and
edited by an administrator once the State Council publishes a new year. A date in a year
with no entries falls back to plain weekends; `is_known` tells callers so they can warn.

A year the package does not know yet (each December the State Council publishes the next) is
seeded as an estimate from the `holidays` package's China calendar, which knows the statutory
holidays by rule (`seed_provisional_years`), with every row marked provisional: the admin warns
until an administrator has checked the published days and confirmed the year (`confirm_year`).
Nothing fails for an unknown year (decision 0025).
"""

import datetime
import logging
from collections.abc import Iterable

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kefu.core import audit
from kefu.core.errors import Conflict
from kefu.core.models import AuditAction, BusinessDay, DayKind
from kefu.core.validation import FieldErrors

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


def package_years() -> set[int]:
    """The years the chinese-calendar package knows (the State Council's published days)."""
    import chinese_calendar

    return {day.year for day in chinese_calendar.holidays} | {day.year for day in chinese_calendar.workdays}


def estimate_year(year: int) -> list[tuple[datetime.date, str, str]]:
    """The public holidays of `year` by the `holidays` package's rules, as (date, kind, name).

    An estimate: the rules know the statutory days (and the days off in lieu of a holiday on a
    weekend) but not the adjusted working days the State Council announces, so it lists
    holidays only. Empty if the package cannot say (it never raises).
    """
    try:
        import holidays

        found = holidays.China(years=year, language="zh_CN")
        rows = [(day, DayKind.HOLIDAY.value, str(name)[:50]) for day, name in sorted(found.items())]
    except Exception:  # an estimate must never stop a ticket
        log.exception("the holidays package could not estimate %s", year)
        return []
    return [row for row in rows if row[0].year == year]


@transaction.atomic
def seed_provisional_years(years: Iterable[int], *, actor=None, audited: bool = True) -> dict[int, int]:
    """Seed each of `years` that has no business days yet with the estimate, marked provisional.

    A year with any row (entered, seeded or estimated before) is left alone. Returns {year: rows
    added} for the years seeded; one audit row for the run (none when seeded after migrate, as
    the package's years are by a data migration: `audited=False`).
    """
    wanted = sorted(set(years))
    present = set(BusinessDay.objects.filter(date__year__in=wanted).dates("date", "year"))
    present_years = {day.year for day in present}
    added: dict[int, int] = {}
    for year in wanted:
        if year in present_years:
            continue
        rows = [
            BusinessDay(date=day, kind=kind, name=name, provisional=True)
            for day, kind, name in estimate_year(year)
        ]
        BusinessDay.objects.bulk_create(rows, ignore_conflicts=True)
        if rows:
            added[year] = len(rows)
            log.warning(
                "business calendar: %s seeded provisionally (%s days) from the holidays package",
                year,
                len(rows),
            )
    if added and audited:
        audit.record_sweep(
            name="business calendar: provisional years",
            model=BusinessDay,
            counts={str(year): count for year, count in added.items()},
            criteria={"years": wanted},
            actor=actor,
        )
    return added


def ensure_years(today: datetime.date | None = None, *, audited: bool = True) -> dict[int, int]:
    """This year and next in the table: from the package when it knows them, else provisionally.

    Run after every migrate (`audited=False`) and nightly (core.tasks); idempotent. Returns
    {year: rows added}.
    """
    today = today or timezone.localdate()
    wanted = [today.year, today.year + 1]
    known = package_years()
    added: dict[int, int] = {}
    from_package = [year for year in wanted if year in known]
    if from_package:
        present = {
            day.year for day in BusinessDay.objects.filter(date__year__in=from_package).dates("date", "year")
        }
        missing = [year for year in from_package if year not in present]
        if missing and (count := seed_business_days(missing)):
            added.update(dict.fromkeys(missing, count))
    added.update(seed_provisional_years([year for year in wanted if year not in known], audited=audited))
    return added


def provisional_years() -> list[int]:
    """The years whose business days are still an estimate nobody has confirmed."""
    return sorted({day.year for day in BusinessDay.objects.filter(provisional=True).dates("date", "year")})


@transaction.atomic
def confirm_year(year: int, *, actor, reason: str = "") -> int:
    """An administrator has checked `year` against the State Council's published days (and
    corrected what differed): its days are no longer provisional. Returns the rows confirmed."""
    days = BusinessDay.objects.select_for_update().filter(date__year=year, provisional=True)
    count = days.update(provisional=False)
    first = BusinessDay.objects.filter(date__year=year).order_by("date").first()
    if count and first is not None:
        audit.record(
            actor=actor,
            action=AuditAction.UPDATE,
            obj=first,
            changes={"provisional": [True, False], "year": [year, year], "days": [count, count]},
            reason=reason or f"confirmed {year}",
        )
    return count


class DateTaken(Conflict):
    """A date entered twice: the table holds one row per date (HTTP 409, nothing written)."""

    code = "date_taken"
    default_message = _(
        "This date is already in the business calendar: change that day instead of adding it again."
    )

    def __init__(self, existing: BusinessDay):
        super().__init__(existing=existing.pk)
        self.fields = {"date": [str(self.default_message)]}


@transaction.atomic
def add_business_day(*, by, date: datetime.date, kind: str, name: str = "") -> BusinessDay:
    """One public holiday or adjusted working day, entered by a person (so not provisional).
    A date already in the table → DateTaken (409), nothing written."""
    errors = FieldErrors()
    errors.choice("kind", kind, DayKind)
    name = (name or "").strip()
    errors.length("name", name, 50)
    errors.raise_if_any()
    existing = BusinessDay.objects.filter(date=date).first()
    if existing is not None:
        raise DateTaken(existing)
    try:
        with transaction.atomic():
            day = BusinessDay.objects.create(date=date, kind=kind, name=name)
    except IntegrityError:  # entered at the same moment by someone else
        raise DateTaken(BusinessDay.objects.get(date=date)) from None
    audit.record_create(actor=by, obj=day, fields=("date", "kind", "name", "provisional"))
    return day


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
    """What to tell an administrator about the calendar (admin index, the calendar's admin page):
    the years missing from it, and the years still provisional from this year on."""
    today = today or timezone.localdate()
    missing = [
        _(
            "The business calendar has no holidays for %(year)s: enter them when the State Council "
            "publishes them; until then only weekends count."
        )
        % {"year": year}
        for year in missing_calendar_years(today)
    ]
    provisional = [
        _(
            "The business calendar for %(year)s is a provisional estimate of the statutory holidays, "
            "without the adjusted working days: check it against the State Council's published "
            "days, correct it and confirm the year."
        )
        % {"year": year}
        for year in provisional_years()
        if year >= today.year
    ]
    return missing + provisional
