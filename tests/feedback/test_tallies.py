"""The satisfaction rollup (feedback/tallies.py): the week an answer counts in (its Monday in
Asia/Shanghai), one row per dimension it counts under (ALL always; an unknown value under "";
a technician only when there was one), and answers adding up in the same rows."""

import datetime

import pytest

from kefu.feedback import tallies
from kefu.feedback.models import SatisfactionTally, Survey
from tests.factories import make_user

pytestmark = pytest.mark.django_db
SHANGHAI = datetime.timezone(datetime.timedelta(hours=8))


def test_the_week_is_the_monday_in_shanghai():
    # Sunday 23:30 UTC is Monday 07:30 in Shanghai: the new week.
    assert tallies.week_of(datetime.datetime(2026, 6, 7, 23, 30, tzinfo=datetime.UTC)) == datetime.date(
        2026, 6, 8
    )
    assert tallies.week_of(datetime.datetime(2026, 6, 7, 15, 59, tzinfo=datetime.UTC)) == datetime.date(
        2026, 6, 1
    )
    assert tallies.week_of(datetime.date(2026, 6, 14)) == datetime.date(2026, 6, 8)


def answered(*, satisfied: bool, at: datetime.datetime, **dims) -> Survey:
    """An answered survey as count_answer sees it (it reads only the answer and the dimensions)."""
    return Survey(answered_at=at, is_satisfied=satisfied, **dims)


def rows() -> dict[tuple[str, str], tuple[int, int]]:
    return {
        (row.dimension, row.key): (row.answered, row.dissatisfied)
        for row in SatisfactionTally.objects.filter(week=datetime.date(2026, 6, 1))
    }


def test_answers_add_up_per_dimension_value(db):
    agent = make_user("agent", username="tally-agent")
    technician = make_user("technician", username="tally-tech")
    at = datetime.datetime(2026, 6, 3, 10, tzinfo=SHANGHAI)
    dims = {"agent": agent, "region": "广东省", "category": "air_conditioner", "channel": "phone"}

    tallies.count_answer(answered(satisfied=True, at=at, **dims))
    tallies.count_answer(answered(satisfied=False, at=at, technician=technician, **dims))
    tallies.count_answer(answered(satisfied=False, at=at, channel="portal"))

    assert rows() == {
        ("all", ""): (3, 2),
        ("agent", str(agent.pk)): (2, 1),
        ("agent", ""): (1, 1),
        ("region", "广东省"): (2, 1),
        ("region", ""): (1, 1),
        ("category", "air_conditioner"): (2, 1),
        ("category", ""): (1, 1),
        ("channel", "phone"): (2, 1),
        ("channel", "portal"): (1, 1),
        ("team", ""): (3, 2),
        ("technician", str(technician.pk)): (1, 1),
    }


def test_each_dimension_adds_up_to_every_answer(db):
    at = datetime.datetime(2026, 6, 3, 10, tzinfo=SHANGHAI)
    for index in range(5):
        tallies.count_answer(
            answered(satisfied=index % 2 == 0, at=at, region=f"省{index % 2}", channel="phone")
        )
    found = rows()
    for dimension in ("agent", "region", "category", "channel", "team"):
        assert (
            sum(value[0] for (dim, _key), value in found.items() if dim == dimension) == found[("all", "")][0]
        )


def test_an_unanswered_survey_is_not_counted(db):
    with pytest.raises(ValueError, match="answered survey"):
        tallies.count_answer(Survey())
    assert not SatisfactionTally.objects.exists()
