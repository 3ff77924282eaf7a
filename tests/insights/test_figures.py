"""Every figure on the small known data set of tests/insights/scene.py, against numbers computed
by hand there: dissatisfied per hundred per dimension and week, the spread (max − min and the
population standard deviation), the Pareto's order and cumulative shares, the iceberg, the
customers at risk; each in a fixed number of queries."""

import datetime
import math

import pytest
from django.test import override_settings
from django.utils import translation

from kefu.core.errors import InvalidRequest
from kefu.insights import selectors
from tests.insights.scene import W1, W2

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


WEEKS = selectors.Weeks(datetime.date(2026, 6, 3), datetime.date(2026, 6, 9))  # mid-W1 to mid-W2: both whole


def test_a_range_covers_the_whole_weeks_its_days_fall_in():
    assert (WEEKS.first_week, WEEKS.last_week) == (W1, W2)
    start, end = WEEKS.moments()
    assert start.isoformat() == "2026-06-01T00:00:00+08:00"
    assert end.isoformat() == "2026-06-15T00:00:00+08:00"


def test_per_hundred_by_agent_sums_the_range_and_puts_the_most_dissatisfied_first(
    scene, django_assert_num_queries
):
    with django_assert_num_queries(2):  # the tally's sums, the agents' names
        figure = selectors.dissatisfied_per_hundred(weeks=WEEKS, by="agent")

    assert (figure.total.answered, figure.total.dissatisfied) == (105, 6)
    assert figure.total.per_hundred == pytest.approx(600 / 105)  # 5.714…
    assert [(cell.key, cell.answered, cell.dissatisfied, cell.per_hundred) for cell in figure.rows] == [
        (str(scene.a3.pk), 10, 1, 10.0),
        (str(scene.a1.pk), 50, 3, 6.0),
        (str(scene.a2.pk), 40, 2, 5.0),
        ("", 5, 0, 0.0),
    ]
    assert [cell.label for cell in figure.rows] == ["三号坐席", "一号坐席", "二号坐席", "Not recorded"]


def test_per_hundred_by_region_channel_team_and_week(scene):
    region = selectors.dissatisfied_per_hundred(weeks=WEEKS, by="region")
    assert [(cell.label, cell.answered, cell.dissatisfied, cell.per_hundred) for cell in region.rows] == [
        ("广东省", 80, 5, 6.25),
        ("浙江省", 25, 1, 4.0),
    ]
    channel = selectors.dissatisfied_per_hundred(weeks=WEEKS, by="channel")
    assert [(cell.key, cell.label, cell.answered) for cell in channel.rows] == [("phone", "Phone", 105)]
    team = selectors.dissatisfied_per_hundred(weeks=WEEKS, by="team")
    assert [(cell.label, cell.dissatisfied) for cell in team.rows] == [("图表热线组", 6)]
    weeks = selectors.dissatisfied_per_hundred(weeks=WEEKS, by="week")
    assert [(cell.key, cell.answered, cell.dissatisfied) for cell in weeks.rows] == [
        ("2026-06-01", 70, 3),
        ("2026-06-08", 35, 3),
    ]
    assert weeks.rows[0].per_hundred == pytest.approx(300 / 70)  # 4.2857…
    assert weeks.rows[1].per_hundred == pytest.approx(300 / 35)  # 8.5714…
    assert selectors.dissatisfied_per_hundred(weeks=WEEKS, by="technician").rows == []


def test_a_range_of_one_week_counts_that_week_only(scene):
    figure = selectors.dissatisfied_per_hundred(weeks=selectors.Weeks(W2, W2), by="agent")
    assert {cell.key: (cell.answered, cell.dissatisfied) for cell in figure.rows} == {
        str(scene.a1.pk): (10, 1),
        str(scene.a2.pk): (20, 2),
        "": (5, 0),
    }


def test_the_spread_counts_values_with_the_minimum_of_answers_and_is_the_populations(
    scene, django_assert_num_queries
):
    with django_assert_num_queries(4):  # the sums of three dimensions, and the agents' names
        figure = selectors.consistency(weeks=WEEKS, min_answers=30)

    agents, regions, weeks = figure.spreads
    # Agents with ≥ 30 answers: a1 6.0 and a2 5.0 (a3 has 10; the unrecorded agent is nobody).
    assert (agents.dimension, agents.counted, agents.left_out) == ("agent", 2, 1)
    assert (agents.highest.key, agents.lowest.key) == (str(scene.a1.pk), str(scene.a2.pk))
    assert agents.range == pytest.approx(1.0)
    assert agents.stdev == pytest.approx(0.5)  # population: sqrt(((6-5.5)² + (5-5.5)²) / 2)
    # Regions: 广东 80 answers, 6.25; 浙江 25 answers: left out.
    assert (regions.counted, regions.left_out, regions.range, regions.stdev) == (1, 1, 0.0, 0.0)
    # Weeks: 4.2857… and 8.5714…
    assert weeks.range == pytest.approx(300 / 35 - 300 / 70)
    assert weeks.stdev == pytest.approx((300 / 35 - 300 / 70) / 2)


def test_a_lower_minimum_counts_more_values(scene):
    agents, regions, _weeks = selectors.consistency(weeks=WEEKS, min_answers=10).spreads
    # a1 6.0, a2 5.0, a3 10.0: mean 7, deviations -1, -2, 3: variance 14/3 (÷ n, not n - 1).
    assert agents.counted == 3
    assert agents.range == pytest.approx(5.0)
    assert agents.mean == pytest.approx(7.0)
    assert agents.stdev == pytest.approx(math.sqrt(14 / 3))  # 2.160…; the sample's would be 2.646
    # Regions 6.25 and 4.0: max − min 2.25, population standard deviation 1.125 (sample: 1.591).
    assert (regions.counted, regions.range, regions.stdev) == (2, pytest.approx(2.25), pytest.approx(1.125))


def test_the_pareto_sorts_the_causes_and_accumulates_their_shares(scene, django_assert_num_queries):
    with django_assert_num_queries(2):  # the tally's sums, the causes' names
        figure = selectors.complaint_causes(weeks=WEEKS)

    assert (figure.complaints, figure.resolved_not_our_fault) == (20, 3)
    assert [(row.cause, row.complaints, row.resolved_not_our_fault) for row in figure.rows] == [
        ("product_quality", 10, 0),
        ("promise_not_kept", 5, 2),
        ("attitude", 3, 0),
        ("not_our_fault", 1, 1),  # ties keep the taxonomy's order; the unclassified come last
        ("", 1, 0),
    ]
    assert [row.share for row in figure.rows] == pytest.approx([0.5, 0.25, 0.15, 0.05, 0.05])
    assert [row.cumulative_share for row in figure.rows] == pytest.approx([0.5, 0.75, 0.9, 0.95, 1.0])
    assert [row.label for row in figure.rows] == [
        "产品质量",
        "服务承诺未兑现",
        "服务态度",
        "非我方责任",
        "Not classified yet",
    ]


def test_the_iceberg_divides_the_complaints_by_the_share(scene, django_assert_num_queries):
    with django_assert_num_queries(2):
        figure = selectors.iceberg(weeks=WEEKS, share=None)

    assert figure.share == 0.04
    assert figure.complaints == 20
    assert figure.estimated_dissatisfied == pytest.approx(500.0)  # 20 ÷ 0.04
    assert figure.silent == pytest.approx(480.0)
    assert (figure.surveyed_dissatisfied, figure.answered) == (6, 105)
    assert selectors.iceberg(weeks=WEEKS, share=0.05).estimated_dissatisfied == pytest.approx(400.0)
    with override_settings(KEFU_COMPLAINT_SHARE=0.1):
        assert selectors.iceberg(weeks=WEEKS, share=None).estimated_dissatisfied == pytest.approx(200.0)


@pytest.mark.parametrize("share", [0, 5e-324, 0.0009, -0.1, 1.01, float("nan"), float("inf")])
def test_a_share_outside_zero_to_one_is_refused(share):
    with pytest.raises(InvalidRequest):
        selectors.complaint_share(share)


def test_customers_at_risk_are_those_unhappy_lately_with_no_happy_answer_since(
    scene, django_assert_num_queries
):
    with django_assert_num_queries(1):
        page = selectors.at_risk_customers(days=90, now=scene.now, cursor=None, limit=None)
        names = [mood.customer.name for mood in page.items]
        numbers = [mood.unhappy_ticket.number for mood in page.items]

    assert names == ["客户c4", "客户c1"]
    assert numbers == [scene.tickets[0].number] * 2
    longer = selectors.at_risk_customers(days=365, now=scene.now, cursor=None, limit=None)
    assert [mood.customer.name for mood in longer.items] == ["客户c4", "客户c1", "客户c3"]


def test_at_risk_pages_on_by_its_cursor(scene):
    first = selectors.at_risk_customers(days=365, now=scene.now, cursor=None, limit=2)
    second = selectors.at_risk_customers(days=365, now=scene.now, cursor=first.next_cursor, limit=2)
    assert [mood.customer.name for mood in first.items] == ["客户c4", "客户c1"]
    assert [mood.customer.name for mood in second.items] == ["客户c3"]
    assert second.next_cursor is None


@pytest.mark.parametrize(
    ("start", "end"),
    [
        (datetime.date(2026, 6, 2), datetime.date(2026, 6, 1)),
        (datetime.date(2016, 1, 1), datetime.date(2026, 6, 1)),
    ],
)
def test_a_bad_range_is_refused(start, end):
    with pytest.raises(InvalidRequest) as refused:
        selectors.figure_range(start, end, today=datetime.date(2026, 6, 10))
    assert "from" in refused.value.fields


def test_an_unknown_dimension_is_refused():
    with pytest.raises(InvalidRequest) as refused:
        selectors.dissatisfied_per_hundred(weeks=WEEKS, by="mood")
    assert "by" in refused.value.fields
