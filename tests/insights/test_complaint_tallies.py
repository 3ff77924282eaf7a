"""The complaints' rollup (complaints/tallies.py): a complaint counts once, moves between causes when
reclassified, and adds to "resolved although not our fault" while its outcome is that; the
figures read the rows it leaves."""

import datetime

import pytest

from kefu.complaints import tallies
from kefu.complaints.models import ComplaintTally

pytestmark = pytest.mark.django_db
WEEK = datetime.date(2026, 6, 1)


def rows() -> dict[str, tuple[int, int]]:
    return {
        row.cause: (row.complaints, row.resolved_not_our_fault)
        for row in ComplaintTally.objects.filter(week=WEEK)
    }


def test_complaints_count_move_and_resolve(db):
    tallies.add([(WEEK, "", 1, 0), (WEEK, "", 1, 0)])
    assert rows() == {"": (2, 0)}

    tallies.moved(
        week=WEEK, old_cause="", new_cause="product_quality", old_not_our_fault=False, new_not_our_fault=False
    )
    assert rows() == {"": (1, 0), "product_quality": (1, 0)}

    tallies.moved(
        week=WEEK, old_cause="", new_cause="not_our_fault", old_not_our_fault=False, new_not_our_fault=True
    )
    assert rows() == {"": (0, 0), "product_quality": (1, 0), "not_our_fault": (1, 1)}

    # The outcome changes back: the count stays, "not our fault" goes.
    tallies.moved(
        week=WEEK,
        old_cause="not_our_fault",
        new_cause="not_our_fault",
        old_not_our_fault=True,
        new_not_our_fault=False,
    )
    assert rows() == {"": (0, 0), "product_quality": (1, 0), "not_our_fault": (1, 0)}


def test_moving_to_a_cause_sorted_before_the_old_one_keeps_the_counts(db):
    tallies.add([(WEEK, "promise_not_kept", 1, 1)])
    tallies.moved(
        week=WEEK,
        old_cause="promise_not_kept",
        new_cause="attitude",
        old_not_our_fault=True,
        new_not_our_fault=True,
    )
    assert rows() == {"promise_not_kept": (0, 0), "attitude": (1, 1)}
