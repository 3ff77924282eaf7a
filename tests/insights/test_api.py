"""`GET /api/v1/figures/…` and `exports/{figure}` on the known data set (tests/insights/scene.py):
the numbers as computed by hand there, the refusals (a bad range, dimension, share or minimum: a
clear 400 naming the field; agents: 403), constant query counts, CSV with formulas defused."""

import csv
import io

import pytest

from kefu.accounts.models import Team
from tests.insights.scene import RANGE

pytestmark = pytest.mark.django_db
API = "/api/v1"


@pytest.fixture
def reader(client, manager):
    client.force_login(manager)
    return client


def test_per_hundred_by_agent(reader, scene):
    answer = reader.get(f"{API}/figures/dissatisfied-per-hundred", {**RANGE, "by": "agent"}).json()

    assert (answer["from"], answer["to"], answer["first_week"], answer["last_week"]) == (
        "2026-06-01",
        "2026-06-14",
        "2026-06-01",
        "2026-06-08",
    )
    assert answer["total"] | {"label": ""} == {
        "key": "",
        "label": "",
        "answered": 105,
        "dissatisfied": 6,
        "per_hundred": 5.71,
    }
    assert [
        (row["key"], row["answered"], row["dissatisfied"], row["per_hundred"]) for row in answer["rows"]
    ] == [
        (str(scene.a3.pk), 10, 1, 10.0),
        (str(scene.a1.pk), 50, 3, 6.0),
        (str(scene.a2.pk), 40, 2, 5.0),
        ("", 5, 0, 0.0),
    ]


def test_the_hand_written_answer_keeps_to_its_schema(reader, scene):
    from kefu.insights.api import PerHundredOut

    for by in ("agent", "week", "region"):
        body = reader.get(f"{API}/figures/dissatisfied-per-hundred", {**RANGE, "by": by}).json()
        assert PerHundredOut.model_validate(body).model_dump(by_alias=True, mode="json") == body


def test_per_hundred_by_week(reader, scene):
    answer = reader.get(f"{API}/figures/dissatisfied-per-hundred", {**RANGE, "by": "week"}).json()
    assert [(row["key"], row["per_hundred"]) for row in answer["rows"]] == [
        ("2026-06-01", 4.29),
        ("2026-06-08", 8.57),
    ]


def test_consistency_with_a_minimum(reader, scene):
    answer = reader.get(f"{API}/figures/consistency", {**RANGE, "min_answers": 10}).json()

    assert answer["min_answers"] == 10
    agents = answer["spreads"][0]
    assert agents["dimension"] == "agent"
    assert (agents["counted"], agents["range"], agents["stdev"]) == (3, 5.0, 2.1602)
    assert (agents["highest"]["key"], agents["lowest"]["key"]) == (str(scene.a3.pk), str(scene.a2.pk))
    regions = answer["spreads"][1]
    assert (regions["counted"], regions["range"], regions["stdev"]) == (2, 2.25, 1.125)


def test_the_pareto(reader, scene):
    answer = reader.get(f"{API}/figures/complaint-causes", RANGE).json()

    assert (answer["complaints"], answer["resolved_not_our_fault"]) == (20, 3)
    assert [
        (row["cause"], row["complaints"], row["share"], row["cumulative_share"]) for row in answer["rows"]
    ] == [
        ("product_quality", 10, 0.5, 0.5),
        ("promise_not_kept", 5, 0.25, 0.75),
        ("attitude", 3, 0.15, 0.9),
        ("not_our_fault", 1, 0.05, 0.95),
        ("", 1, 0.05, 1.0),
    ]


def test_the_iceberg_with_the_default_and_a_chosen_share(reader, scene):
    answer = reader.get(f"{API}/figures/iceberg", RANGE).json()
    assert answer | {"from": None, "to": None, "first_week": None, "last_week": None} == {
        "from": None,
        "to": None,
        "first_week": None,
        "last_week": None,
        "share": 0.04,
        "complaints": 20,
        "estimated_dissatisfied": 500.0,
        "silent": 480.0,
        "surveyed_dissatisfied": 6,
        "answered": 105,
    }
    assert (
        reader.get(f"{API}/figures/iceberg", {**RANGE, "share": "0.05"}).json()["estimated_dissatisfied"]
        == 400.0
    )


def test_customers_at_risk_page_on(reader, scene):
    first = reader.get(f"{API}/figures/at-risk-customers", {"days": 365, "limit": 2}).json()
    assert [item["customer"] for item in first["items"]] == [
        scene.customers["c4"].pk,
        scene.customers["c1"].pk,
    ]
    assert first["items"][0]["ticket_number"] == scene.tickets[0].number
    second = reader.get(
        f"{API}/figures/at-risk-customers", {"days": 365, "cursor": first["next_cursor"]}
    ).json()
    assert [item["customer"] for item in second["items"]] == [scene.customers["c3"].pk]
    assert second["next_cursor"] is None


@pytest.mark.parametrize(
    ("path", "query", "field"),
    [
        ("dissatisfied-per-hundred", {"by": "mood"}, "by"),
        ("dissatisfied-per-hundred", {"by": ""}, "by"),
        ("dissatisfied-per-hundred", {"by": "agent", "from": "2026-06-14", "to": "2026-06-01"}, "from"),
        ("dissatisfied-per-hundred", {"by": "agent", "from": "2016-01-01", "to": "2026-06-01"}, "from"),
        ("dissatisfied-per-hundred", {"by": "agent", "from": "2026-02-30"}, "from"),
        ("consistency", {"min_answers": 0}, "min_answers"),
        ("iceberg", {"share": "0"}, "share"),
        ("iceberg", {"share": "5e-324"}, "share"),
        ("iceberg", {"share": "1.5"}, "share"),
        ("iceberg", {"share": "nan"}, "share"),
        ("at-risk-customers", {"days": 0}, "days"),
        ("at-risk-customers", {"cursor": "forged"}, "cursor"),
    ],
)
def test_bad_queries_are_refused_naming_the_field(reader, path, query, field):
    response = reader.get(f"{API}/figures/{path}", query)

    assert response.status_code == 400
    assert field in response.json()["fields"]


def test_agents_may_not_read_the_figures(client, agent):
    client.force_login(agent)
    for path in (
        "dissatisfied-per-hundred?by=agent",
        "consistency",
        "complaint-causes",
        "iceberg",
        "at-risk-customers",
    ):
        assert client.get(f"{API}/figures/{path}").status_code == 403
    assert client.get(f"{API}/exports/iceberg").status_code == 403


def test_the_query_count_does_not_grow_with_the_tally(reader, scene, django_assert_max_num_queries):
    # Session, user and permissions, then the figure's own queries: the same with ten more teams.
    def count(path, query):
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as queries:
            assert reader.get(f"{API}/figures/{path}", query).status_code == 200
        return len(queries)

    before = count("dissatisfied-per-hundred", {**RANGE, "by": "team"})
    for index in range(10):
        team = Team.objects.create(name=f"图表组{index}")
        from kefu.feedback.models import SatisfactionTally

        SatisfactionTally.objects.create(
            week="2026-06-01", dimension="team", key=str(team.pk), answered=5, dissatisfied=1
        )
    assert count("dissatisfied-per-hundred", {**RANGE, "by": "team"}) == before


def read_csv(response) -> list[list[str]]:
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


def test_each_figure_exports_as_csv(reader, scene):
    rows = read_csv(reader.get(f"{API}/exports/dissatisfied-per-hundred", {**RANGE, "by": "region"}))
    assert [row[2:] for row in rows[1:]] == [["80", "5", "6.25"], ["25", "1", "4.0"], ["105", "6", "5.71"]]
    rows = read_csv(reader.get(f"{API}/exports/complaint-causes", RANGE))
    assert [(row[1], row[2], row[4]) for row in rows[1:-1]] == [
        ("product_quality", "10", "50.0"),
        ("promise_not_kept", "5", "75.0"),
        ("attitude", "3", "90.0"),
        ("not_our_fault", "1", "95.0"),
        ("", "1", "100.0"),
    ]
    rows = read_csv(reader.get(f"{API}/exports/iceberg", RANGE))
    assert rows[1] == ["20", "0.04", "500.0", "480.0", "6", "105"]
    rows = read_csv(reader.get(f"{API}/exports/consistency", RANGE))
    assert len(rows) == 4
    rows = read_csv(reader.get(f"{API}/exports/at-risk-customers"))
    assert [row[0] for row in rows[1:]] == [str(scene.customers["c4"].pk), str(scene.customers["c1"].pk)]


def test_a_cell_that_would_be_a_formula_is_defused(reader, scene):
    scene.customers["c4"].name = '=HYPERLINK("http://example.com")'
    scene.customers["c4"].save(update_fields=["name"])
    Team.objects.filter(pk=scene.team.pk).update(name="+图表热线组")

    rows = read_csv(reader.get(f"{API}/exports/at-risk-customers"))
    assert rows[1][1] == '\'=HYPERLINK("http://example.com")'
    rows = read_csv(reader.get(f"{API}/exports/dissatisfied-per-hundred", {**RANGE, "by": "team"}))
    assert rows[1][0] == "'+图表热线组"


def test_an_unknown_export_is_not_found(reader):
    assert reader.get(f"{API}/exports/secrets").status_code in (400, 404)
