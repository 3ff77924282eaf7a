"""The dashboard (/figures/, the menu's 报表) and the lists behind its numbers, on the known data set:
the headline first, every number a link to what it counts, CSV links, the promise-kept page a
link away; the answers and complaints behind a number, keyset-paged in a constant number of
queries; agents kept out."""

import datetime
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from kefu.feedback.models import Survey
from tests.insights.scene import RANGE, W1, answer

pytestmark = pytest.mark.django_db


@pytest.fixture
def signed_in(client, supervisor):
    client.force_login(supervisor)
    return client


def test_the_dashboard_leads_with_dissatisfied_per_hundred(signed_in, scene):
    page = signed_in.get(reverse("insights:dashboard"), {**RANGE, "by": "region"}).content.decode()

    headline = page[page.index('id="headline"') :]
    assert headline[: headline.index("</a>")].endswith(">5.7")
    assert page.index('id="headline"') < page.index('id="week-table"') < page.index('id="dimension-table"')
    assert page.index('id="dimension-table"') < page.index('id="pareto-table"')
    row = page[page.index('data-key="广东省"') :]
    row = row[: row.index("</tr>")]
    assert ">80<" in row
    assert ">6.2<" in row  # 6.25 to one decimal (half to even)
    assert reverse("insights:answers") in row
    pareto = page[page.index('id="pareto-table"') :]
    assert pareto.index('data-cause="product_quality"') < pareto.index('data-cause="promise_not_kept"')
    assert 'id="iceberg"' in page
    assert "/api/v1/exports/complaint-causes" in page
    assert "/api/v1/exports/dissatisfied-per-hundred" in page
    assert 'id="promise-figure-link"' in page
    assert "vendor/echarts/echarts.min.js" in page
    assert 'id="figures-chart-data"' in page
    assert f'href="{reverse("insights:dashboard")}"' in page  # the menu's entry
    at_risk = page[page.index('id="at-risk-table"') :]
    assert at_risk.index("客户c4") < at_risk.index("客户c1")


def test_a_bad_range_is_shown_beside_its_field(signed_in, scene):
    page = signed_in.get(
        reverse("insights:dashboard"), {"from": "2026-06-14", "to": "2026-06-01"}
    ).content.decode()
    assert "invalid-feedback" in page
    assert 'id="headline"' not in page


def test_agents_do_not_see_the_figures(client, agent):
    client.force_login(agent)
    for name in ("dashboard", "answers", "complaints", "at_risk"):
        assert client.get(reverse(f"insights:{name}")).status_code == 403
    assert reverse("insights:dashboard") not in client.get(reverse("tickets:queue")).content.decode()


def _answers(scene, count: int) -> list[Survey]:
    """`count` answers in W1 for agent a1's ticket row, every third not satisfied."""
    from kefu.tickets import services as ticket_services

    made = []
    start = timezone.make_aware(datetime.datetime.combine(W1, datetime.time(9)))
    for index in range(count):
        ticket = ticket_services.open_ticket(
            by=scene.a1,
            customer=scene.customers["c2"],
            subject=f"维修 {index}",
            type="repair",
            channel="phone",
        )
        made.append(
            answer(
                ticket, at=start + datetime.timedelta(minutes=index), satisfied=index % 3 != 0, agent=scene.a1
            )
        )
    return made


def test_the_answers_behind_a_number_page_on_in_constant_queries(
    signed_in, scene, django_assert_max_num_queries
):
    made = _answers(scene, 4)
    query = {**RANGE, "dimension": "agent", "key": str(scene.a1.pk)}

    page = signed_in.get(reverse("insights:answers"), query).content.decode()
    shown = re.findall(r'data-survey="(\d+)"', page)
    assert shown == [str(survey.pk) for survey in reversed(made)]
    unhappy = signed_in.get(reverse("insights:answers"), {**query, "unhappy": "1"}).content.decode()
    assert re.findall(r'data-survey="(\d+)"', unhappy) == [str(made[3].pk), str(made[0].pk)]
    other = signed_in.get(
        reverse("insights:answers"), {**RANGE, "dimension": "agent", "key": str(scene.a2.pk)}
    )
    assert "data-survey=" not in other.content.decode()

    def queries(n):
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as captured:
            signed_in.get(reverse("insights:answers"), query)
        return len(captured)

    few = queries(4)
    _answers(scene, 6)
    assert queries(10) == few


def test_a_bad_key_behind_a_number_is_refused(signed_in, scene):
    for bad in (
        {"dimension": "agent", "key": "x"},
        {"dimension": "mood", "key": "1"},
        {"dimension": "week", "key": "no"},
    ):
        assert signed_in.get(reverse("insights:answers"), {**RANGE, **bad}).status_code == 400


def test_the_complaints_behind_a_bar(signed_in, scene):
    quality = signed_in.get(
        reverse("insights:complaints"), {**RANGE, "cause": "product_quality"}
    ).content.decode()
    assert re.findall(r'data-ticket="(\d+)"', quality) == [str(scene.tickets[1].pk), str(scene.tickets[0].pk)]
    assert "产品质量" in quality
    unclassified = signed_in.get(reverse("insights:complaints"), {**RANGE, "cause": "-"}).content.decode()
    assert re.findall(r'data-ticket="(\d+)"', unclassified) == [str(scene.tickets[2].pk)]


def test_the_customers_at_risk_page(signed_in, scene):
    page = signed_in.get(reverse("insights:at_risk"), {"days": "365"}).content.decode()
    assert re.findall(r'data-customer="(\d+)"', page) == [
        str(scene.customers[name].pk) for name in ("c4", "c1", "c3")
    ]
    assert signed_in.get(reverse("insights:at_risk"), {"days": "x"}).status_code == 400


def test_the_dashboard_with_no_answer_yet(client, manager):
    client.force_login(manager)
    page = client.get(reverse("insights:dashboard")).content.decode()
    assert 'id="headline"' in page
    assert 'id="week-table"' not in page  # "no survey was answered in this range" instead


def test_the_dashboards_queries_do_not_grow_with_the_agents(signed_in, scene):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from kefu.feedback.models import SatisfactionTally
    from tests.factories import make_user

    def count() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert signed_in.get(reverse("insights:dashboard"), {**RANGE, "by": "agent"}).status_code == 200
        return len(captured)

    before = count()
    for index in range(8):
        agent = make_user("agent", username=f"fig-more-{index}")
        SatisfactionTally.objects.create(
            week=W1, dimension="agent", key=str(agent.pk), answered=40, dissatisfied=1
        )
    assert count() == before
