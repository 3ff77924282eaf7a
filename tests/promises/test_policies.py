"""Promise policies: which applies to a ticket and why (promises.policies), and the one path that
writes them (promises.services_policies): each refusal names its field and writes nothing."""

import datetime
import zoneinfo

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from kefu.core.errors import StaleVersion
from kefu.core.models import AuditEvent
from kefu.customers.models import ProductCategory
from kefu.promises import defaults, services_policies
from kefu.promises.models import PolicyTarget, PromisePolicy, WorkCalendar
from kefu.promises.policies import (
    TicketFacts,
    facts_of,
    in_season,
    match_policy,
    policy_reasons,
    reasons_text,
    seasons_overlap,
)
from tests.factories import CustomerFactory, OwnedProductFactory
from tests.tickets.factories import TicketFactory

pytestmark = pytest.mark.django_db
SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")


def category(code="air_conditioner") -> ProductCategory:
    return ProductCategory.objects.get(code=code)


def always() -> WorkCalendar:
    return WorkCalendar.objects.get(code="always")


def facts(
    *, category_code=None, type="repair", priority="normal", tier="regular", day=datetime.date(2026, 7, 15)
):
    category_id = category(category_code).pk if category_code else None
    return TicketFacts(
        category_id=category_id, ticket_type=type, priority=priority, customer_tier=tier, day=day
    )


def new_policy(**fields) -> PromisePolicy:
    values = {
        "by": None,
        "name": "测试承诺",
        "calendar": always(),
        "targets": {"first_response": 60},
        **fields,
    }
    return services_policies.create_policy(**values)


# --- Matching the shipped policies --------------------------------------------------------------


def test_a_summer_air_conditioner_repair_gets_the_summer_policy_with_its_reasons_in_chinese():
    with translation.override("zh-hans"):
        policy, reasons = match_policy(facts(category_code="air_conditioner"))
        assert policy.code == "summer_air_conditioner_repair"
        # Needs the Chinese of this app's new words (/work/tr/promises-e.json → django.po).
        assert reasons == ["产品品类：空调", "工单类型：维修", "季节：6月1日–8月31日"]
        assert reasons_text(reasons) == "产品品类：空调；工单类型：维修；季节：6月1日–8月31日"
    assert {target.kind: target.minutes for target in policy.targets.all()}["arrival"] == 120


def test_the_same_repair_in_winter_falls_back_to_the_repair_policy():
    policy, _reasons = match_policy(facts(category_code="air_conditioner", day=datetime.date(2026, 12, 1)))
    assert policy.code == "repair"


def test_the_most_specific_policy_wins_and_priority_comes_before_tier_at_equal_specificity():
    assert match_policy(facts(priority="urgent"))[0].code == "urgent_repair"
    assert match_policy(facts(tier="vip"))[0].code == "vip_repair"
    # Both have two criteria: an urgent repair for a VIP is promised the urgent repair's times.
    assert match_policy(facts(priority="urgent", tier="vip"))[0].code == "urgent_repair"
    assert match_policy(facts(type="consultation"))[0].code == "consultation"
    policy, reasons = match_policy(facts(type="maintenance"))
    assert policy.code == "standard"
    assert len(reasons) == 1  # "applies to every ticket"


def test_an_inactive_policy_never_matches_and_nothing_at_all_gives_no_promise():
    PromisePolicy.objects.update(active=False)
    assert match_policy(facts()) == (None, [])


def test_the_facts_of_a_ticket_are_its_category_type_priority_tier_and_local_day():
    product = OwnedProductFactory(customer=CustomerFactory(tier="vip"))
    ticket = TicketFactory(customer=product.customer, product=product, type="repair", priority="high")
    found = facts_of(ticket)
    assert found.category_id == product.model.category_id
    assert (found.ticket_type, found.priority, found.customer_tier) == ("repair", "high", "vip")
    assert found.day == ticket.created_at.astimezone(SHANGHAI).date()


@pytest.mark.parametrize(
    ("day", "start", "end", "inside"),
    [
        (datetime.date(2026, 6, 1), "06-01", "08-31", True),
        (datetime.date(2026, 8, 31), "06-01", "08-31", True),
        (datetime.date(2026, 9, 1), "06-01", "08-31", False),
        (datetime.date(2026, 12, 31), "11-15", "02-28", True),
        (datetime.date(2027, 1, 10), "11-15", "02-28", True),
        (datetime.date(2027, 3, 1), "11-15", "02-28", False),
        (datetime.date(2026, 3, 1), "", "", True),
    ],
)
def test_a_season_includes_both_ends_and_may_wrap_the_new_year(day, start, end, inside):
    assert in_season(day, start, end) is inside


def test_seasons_overlap_when_they_share_a_day():
    assert seasons_overlap(("06-01", "08-31"), ("08-31", "09-30"))
    assert not seasons_overlap(("06-01", "08-31"), ("09-01", "09-30"))
    assert seasons_overlap(("11-15", "02-28"), ("01-01", "01-02"))
    assert seasons_overlap(("", ""), ("01-01", "01-02"))


def test_the_shipped_policies_are_seeded_once_and_an_edit_survives_seeding_again():
    before = PromisePolicy.objects.count()
    assert before == len(defaults.POLICIES)
    policy = PromisePolicy.objects.get(code="repair")
    services_policies.update_policy(policy=policy, by=None, version=policy.version, targets={"arrival": 720})
    assert defaults.seed_defaults() == {"calendars": 0, "policies": 0}
    assert PromisePolicy.objects.count() == before
    assert PolicyTarget.objects.get(policy=policy, kind="arrival").minutes == 720


# --- Writing: refusals ----------------------------------------------------------------------------


def refused(field: str, **fields) -> ValidationError:
    count, audits = PromisePolicy.objects.count(), AuditEvent.objects.count()
    with pytest.raises(ValidationError) as caught:
        new_policy(**fields)
    assert field in caught.value.message_dict, caught.value.message_dict
    assert (PromisePolicy.objects.count(), AuditEvent.objects.count()) == (count, audits)
    return caught.value


def test_a_negative_or_zero_target_is_refused_and_nothing_is_written():
    refused("targets", targets={"first_response": -30})
    refused("targets", targets={"first_response": 0})
    refused("targets", targets={})
    refused("targets", targets={"coffee": 10})


def test_a_season_with_an_impossible_day_or_one_end_is_refused():
    refused("season_start", season_start="02-30", season_end="03-31")
    refused("season_end", season_start="06-01", season_end="6/30")
    refused("season_end", season_start="06-01")


def test_overlapping_seasons_of_equal_specificity_with_the_same_criteria_are_refused():
    first = new_policy(
        name="夏季空调安装",
        ticket_type="installation",
        product_category=category(),
        season_start="06-01",
        season_end="08-31",
    )
    error = refused(
        "season_start",
        name="盛夏空调安装",
        ticket_type="installation",
        product_category=category(),
        season_start="08-01",
        season_end="09-15",
    )
    assert first.name in str(error.message_dict["season_start"])
    # Not overlapping, other criteria, or inactive: accepted.
    new_policy(
        name="秋季空调安装",
        ticket_type="installation",
        product_category=category(),
        season_start="09-01",
        season_end="10-31",
    )
    new_policy(
        name="冬季空调安装",
        ticket_type="installation",
        product_category=category(),
        season_start="08-01",
        season_end="09-15",
        active=False,
    )


def test_a_second_policy_with_exactly_the_same_criteria_is_refused():
    refused("name", name="另一个报修承诺", ticket_type="repair")


def test_the_escalation_chain_must_climb_in_order():
    refused("escalate_director_after", escalate_supervisor_after=600, escalate_director_after=60)


def test_an_unknown_pause_status_is_refused():
    refused("pause_statuses", pause_statuses=["closed"])


def test_a_name_taken_is_refused():
    refused("name", name="标准服务承诺", ticket_type="care")


# --- Writing: changes -----------------------------------------------------------------------------


def test_an_update_with_a_stale_version_is_a_409_and_changes_nothing():
    policy = new_policy(ticket_type="care")
    services_policies.update_policy(policy=policy, by=None, version=1, description="第一次修改")
    with pytest.raises(StaleVersion):
        services_policies.update_policy(policy=policy, by=None, version=1, description="过时的修改")
    policy.refresh_from_db()
    assert (policy.description, policy.version) == ("第一次修改", 2)


def test_an_update_recomputes_specificity_and_changes_targets_with_an_audit_row():
    policy = new_policy(ticket_type="care")
    assert policy.specificity == 1
    updated = services_policies.update_policy(
        policy=policy,
        by=None,
        version=1,
        customer_tier="vip",
        targets={"first_response": None, "resolution": 600},
    )
    assert updated.specificity == 2
    assert {t.kind: t.minutes for t in updated.targets.all()} == {"resolution": 600}
    event = AuditEvent.objects.filter(target_id=str(policy.pk)).latest("at")
    assert event.changes["target_resolution"] == [None, 600]


def test_an_update_that_would_overlap_is_refused():
    policy = new_policy(ticket_type="care")
    with pytest.raises(ValidationError) as caught:
        services_policies.update_policy(policy=policy, by=None, version=1, ticket_type="repair")
    assert "name" in caught.value.message_dict
    policy.refresh_from_db()
    assert (policy.ticket_type, policy.version) == ("care", 1)


def test_an_update_that_changes_nothing_writes_nothing():
    policy = new_policy(ticket_type="care")
    count = AuditEvent.objects.count()
    services_policies.update_policy(
        policy=policy, by=None, version=1, description="", targets={"first_response": 60}
    )
    policy.refresh_from_db()
    assert policy.version == 1
    assert AuditEvent.objects.count() == count


def test_reasons_in_english():
    policy = PromisePolicy.objects.get(code="urgent_repair")
    with translation.override("en"):
        assert policy_reasons(policy) == ["Ticket type: Repair", "Priority: Urgent"]
        summer = PromisePolicy.objects.get(code="summer_air_conditioner_repair")
        assert policy_reasons(summer) == [
            "Product category: Air conditioner",
            "Ticket type: Repair",
            "Season: 6/1–8/31",
        ]
