"""Real races on PostgreSQL for the promise policies and the business calendar: two overlapping
policies saved at the same moment (only one may pass the overlap check), and one date entered
twice at the same moment (one day, one clear refusal, never an IntegrityError)."""

import datetime

import pytest
from django.core.exceptions import ValidationError

from kefu.core.calendar import DateTaken, add_business_day
from kefu.core.models import BusinessDay
from kefu.promises import services_policies
from kefu.promises.models import PromisePolicy, WorkCalendar
from tests.races.parallel import race_behind

pytestmark = [pytest.mark.postgresql, pytest.mark.django_db(transaction=True)]


def test_two_overlapping_policies_saved_at_once_make_one_policy_and_one_refusal():
    calendar = WorkCalendar.objects.get(code="always")

    def save(name: str, start: str, end: str):
        def work():
            return services_policies.create_policy(
                by=None,
                name=name,
                calendar=calendar,
                ticket_type="maintenance",
                season_start=start,
                season_end=end,
                targets={"first_response": 60},
            )

        return work

    def hold():
        # The lock every policy write takes first (services_policies._lock_policies).
        list(PromisePolicy.objects.select_for_update().filter(active=True).values_list("id", flat=True))

    outcomes = race_behind(hold, save("夏季保养甲", "06-01", "08-31"), save("夏季保养乙", "07-01", "09-30"))
    won = [outcome.value for outcome in outcomes if outcome.error is None]
    lost = [outcome.error for outcome in outcomes if outcome.error is not None]
    assert len(won) == 1
    assert len(lost) == 1
    assert isinstance(lost[0], ValidationError)
    assert "season_start" in lost[0].message_dict
    assert PromisePolicy.objects.filter(ticket_type="maintenance").count() == 1


def test_one_date_entered_twice_at_once_makes_one_day_and_one_409():
    date = datetime.date(2031, 10, 1)

    def enter(kind: str):
        return lambda: add_business_day(by=None, date=date, kind=kind, name="国庆节")

    def hold():
        # An uncommitted row with the same date: both racers meet at its unique key.
        BusinessDay.objects.create(date=date, kind="holiday", name="占位")

    outcomes = race_behind(hold, enter("holiday"), enter("workday"), rollback=True)
    errors = [outcome.error for outcome in outcomes if outcome.error is not None]
    assert len(errors) == 1
    assert isinstance(errors[0], DateTaken)
    assert BusinessDay.objects.filter(date=date).count() == 1
