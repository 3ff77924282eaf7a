"""The promise-kept figure on a small known data set: the selector's sums per policy and kind in
two queries, the page (table, chart data, menu entry) for a supervisor, its CSV, a bad range
refused beside its field, agents kept out, and `GET /api/v1/figures/promise-kept` with its
filters and its refusals (4xx, nothing answered)."""

import csv
import datetime
import io

import pytest
from django.urls import reverse

from kefu.promises import selectors
from kefu.promises.models import PolicyTarget, PromisePolicy, PromiseTally, WorkCalendar

pytestmark = pytest.mark.django_db


def make_policy(name, **targets) -> PromisePolicy:
    calendar, _ = WorkCalendar.objects.get_or_create(name="测试·全天候", defaults={"kind": "always"})
    policy = PromisePolicy.objects.create(name=name, calendar=calendar)
    for kind, minutes in targets.items():
        PolicyTarget.objects.create(policy=policy, kind=kind, minutes=minutes)
    return policy


# --- The promise-kept figure ------------------------------------------------------------------

DAY = datetime.date(2026, 6, 1)


@pytest.fixture
def tallies(db):
    """Two policies over three days; one tally outside the range asked for."""
    city = make_policy("测试·城市上门24小时", first_response=120, arrival=1440)
    summer = make_policy("测试·夏季空调", arrival=240)
    rows = [
        (DAY, city, "first_response", 9, 1),
        (DAY + datetime.timedelta(days=1), city, "first_response", 8, 2),
        (DAY, city, "arrival", 3, 1),
        (DAY + datetime.timedelta(days=2), summer, "arrival", 1, 3),
        (DAY - datetime.timedelta(days=1), summer, "arrival", 50, 0),  # before the range
    ]
    for day, policy, kind, kept, missed in rows:
        PromiseTally.objects.create(day=day, policy=policy, kind=kind, kept=kept, missed=missed)
    return city, summer


RANGE = {"from": "2026-06-01", "to": "2026-06-07"}


def test_the_figure_sums_the_tally_per_policy_and_kind_in_two_queries(tallies, django_assert_num_queries):
    city, summer = tallies
    with django_assert_num_queries(2):
        figure = selectors.promise_kept(date_from=DAY, date_to=DAY + datetime.timedelta(days=6))

    found = {(row.policy_id, row.kind): (row.kept, row.missed, row.target_minutes) for row in figure.rows}
    assert found == {
        (city.pk, "first_response"): (17, 3, 120),
        (city.pk, "arrival"): (3, 1, 1440),
        (summer.pk, "arrival"): (1, 3, 240),
    }
    assert {row.kind: (row.kept, row.missed) for row in figure.kinds} == {
        "first_response": (17, 3),
        "arrival": (4, 4),
    }
    # Policies by name, kinds in their order.
    assert [(row.policy_id, row.kind) for row in figure.rows] == [
        (city.pk, "first_response"),
        (city.pk, "arrival"),
        (summer.pk, "arrival"),
    ]
    assert figure.rows[0].kept_rate == pytest.approx(0.85)


def test_the_figure_page_shows_the_table_and_the_chart_for_a_supervisor(client, supervisor, tallies):
    city, _summer = tallies
    client.force_login(supervisor)

    page = client.get(reverse("promises:figures"), RANGE).content.decode()

    table = page[page.index('id="figure-table"') :]
    row = table[table.index(f'data-policy="{city.pk}" data-kind="first_response"') :]
    row = row[: row.index("</tr>")]
    assert ">17<" in row
    assert ">3<" in row
    assert "85.0%" in row
    assert 'id="promise-chart"' in page
    assert 'id="promise-chart-data"' in page
    assert "vendor/echarts/echarts.min.js" in page
    # The menu's 报表 entry goes to the figures' dashboard, which links here (insights).
    assert f'href="{reverse("insights:dashboard")}"' in page


def test_the_figure_exports_as_csv(client, supervisor, tallies):
    client.force_login(supervisor)

    response = client.get(reverse("promises:figures"), {**RANGE, "kind": "arrival", "format": "csv"})

    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert len(rows) == 1 + 2 + 1  # the header, two policies, the total for arrival
    assert [row[3:5] for row in rows[1:]] == [["3", "1"], ["1", "3"], ["4", "4"]]


def test_a_bad_range_is_refused_beside_its_field(client, supervisor, tallies):
    client.force_login(supervisor)

    page = client.get(
        reverse("promises:figures"), {"from": "2026-06-07", "to": "2026-06-01"}
    ).content.decode()

    assert "invalid-feedback" in page
    assert 'id="figure-table"' not in page


def test_agents_do_not_see_the_figure(client, agent):
    client.force_login(agent)

    assert client.get(reverse("promises:figures")).status_code == 403
    page = client.get(reverse("tickets:queue")).content.decode()
    assert reverse("promises:figures") not in page


def test_the_api_answers_the_figure_with_its_filters(client, manager, tallies):
    city, summer = tallies
    client.force_login(manager)

    answer = client.get("/api/v1/figures/promise-kept", {**RANGE, "kind": "arrival"}).json()

    assert (answer["from"], answer["to"]) == ("2026-06-01", "2026-06-07")
    assert [(row["policy"], row["kept"], row["missed"], row["kept_rate"]) for row in answer["rows"]] == [
        (city.pk, 3, 1, 0.75),
        (summer.pk, 1, 3, 0.25),
    ]
    assert [row["target_minutes"] for row in answer["rows"]] == [1440, 240]
    assert answer["kinds"] == [
        {
            "policy": None,
            "policy_name": "",
            "kind": "arrival",
            "kind_label": answer["kinds"][0]["kind_label"],
            "target_minutes": None,
            "kept": 4,
            "missed": 4,
            "kept_rate": 0.5,
        }
    ]
    one = client.get("/api/v1/figures/promise-kept", {**RANGE, "policy": city.pk}).json()
    assert {row["policy"] for row in one["rows"]} == {city.pk}


@pytest.mark.parametrize(
    "query",
    [
        {"from": "2026-06-07", "to": "2026-06-01"},
        {"from": "2000-01-01", "to": "2026-06-01"},
        {"from": "yesterday"},
        {"to": "0"},
        {"to": "2026-02-30"},
        {"kind": "lunch"},
        {"policy": "0"},
    ],
)
def test_the_api_refuses_a_bad_filter_with_a_4xx(client, manager, query):
    client.force_login(manager)

    response = client.get("/api/v1/figures/promise-kept", query)

    assert response.status_code in (400, 422)
    assert response.json()["code"]
