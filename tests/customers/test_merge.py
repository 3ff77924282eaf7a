"""Duplicate records (issue 11, decision 0014): a new record with a number another record has is
warned about, and two records of one person are merged into the one kept, losing nothing."""

import datetime
import json

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from kefu.core.errors import NotFound
from kefu.core.masking import redact_phone
from kefu.core.models import AuditAction, AuditEvent
from kefu.customers import selectors, services, timeline
from kefu.customers.models import (
    Address,
    Consent,
    Customer,
    CustomerEvent,
    CustomerPhone,
    LifeEvent,
    OwnedProduct,
)
from tests.factories import ProductModelFactory

pytestmark = pytest.mark.django_db

WUHAN = {"province": "湖北省", "city": "武汉市", "district": "洪山区", "detail": "珞喻路 1 号"}
HANKOU = {"province": "湖北省", "city": "武汉市", "district": "江汉区", "detail": "解放大道 8 号"}


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def send(client, path, data):
    return client.post(path, json.dumps(data), content_type="application/json")


def open_record(by, name, phones, *, addresses=(WUHAN,), products=1, life_events=1, **fields):
    """A record as real work leaves it: opened, with products and life events, via the services."""
    customer = services.create_customer(
        by=by, name=name, phones=phones, addresses=list(addresses), allow_duplicate_phone=True, **fields
    )
    for index in range(products):
        services.register_product(
            by=by,
            customer=customer,
            model=ProductModelFactory(),
            purchased_on=datetime.date(2020, 5, 1 + index),
        )
    for index in range(life_events):
        services.record_life_event(
            by=by,
            customer=customer,
            occurred_on=datetime.date(2019, 1, 1 + index),
            description=f"事件 {index}",
        )
    return customer


def held(customer) -> dict[str, int]:
    """How many of each moving part the record has."""
    return {
        "phones": CustomerPhone.objects.filter(customer=customer).count(),
        "addresses": Address.objects.filter(customer=customer).count(),
        "products": OwnedProduct.objects.filter(customer=customer).count(),
        "life_events": LifeEvent.objects.filter(customer=customer).count(),
        "timeline": CustomerEvent.objects.filter(customer=customer).count(),
    }


def everything() -> tuple:
    """Every row a merge could touch, as stored (to show that a refusal wrote nothing)."""
    return (
        list(Customer.objects.order_by("pk").values()),
        list(CustomerPhone.objects.order_by("pk").values()),
        list(Address.objects.order_by("pk").values()),
        list(OwnedProduct.objects.order_by("pk").values()),
        list(LifeEvent.objects.order_by("pk").values()),
        list(CustomerEvent.objects.order_by("pk").values()),
        list(Consent.objects.order_by("pk").values()),
        AuditEvent.objects.count(),
    )


# --- The duplicate-number check ---------------------------------------------------------------


def test_a_new_record_with_a_number_another_record_has_is_refused_naming_it(agent):
    first = services.create_customer(by=agent, name="陈静", phones=["13812345678"])
    second = services.create_customer(by=agent, name="陈静", phones=["13912345678", "027-8765 4321"])
    before = everything()

    with pytest.raises(services.DuplicatePhone) as refusal:
        services.create_customer(by=agent, name="陈先生", phones=["139 1234 5678", "+86 138 1234 5678"])

    assert refusal.value.customer_ids == [first.pk, second.pk]
    assert everything() == before


def test_a_duplicate_number_is_allowed_when_the_caller_says_so(agent):
    first = services.create_customer(by=agent, name="陈静", phones=["027-8765 4321"])
    second = services.create_customer(
        by=agent, name="陈先生", phones=["027 8765 4321"], allow_duplicate_phone=True
    )

    assert second.pk != first.pk
    assert list(second.phones.values_list("number", flat=True)) == ["+862787654321"]


def test_a_merged_records_number_is_no_duplicate(supervisor):
    kept = open_record(supervisor, "陈静", ["13812345678"])
    merged = open_record(supervisor, "陈静", ["13912345678"])
    services.merge_customers(by=supervisor, into_id=kept.pk, from_id=merged.pk)

    with pytest.raises(services.DuplicatePhone) as refusal:
        services.create_customer(by=supervisor, name="陈静", phones=["13912345678"])

    assert refusal.value.customer_ids == [kept.pk]  # the number moved with the merge


def test_the_api_answers_a_duplicate_with_409_naming_the_records(agent, client):
    first = services.create_customer(by=agent, name="陈静", phones=["13812345678"])
    client.force_login(agent)
    before = everything()

    response = send(client, "/api/v1/customers", {"name": "陈先生", "phones": ["138 1234 5678"]})

    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "duplicate_phone"
    assert body["customer_ids"] == [first.pk]
    assert body["message"]
    assert body["fields"]["phones"]
    assert everything() == before


def test_the_api_opens_the_record_anyway_when_told(agent, client):
    services.create_customer(by=agent, name="陈静", phones=["13812345678"])
    client.force_login(agent)

    response = send(
        client,
        "/api/v1/customers",
        {"name": "陈先生", "phones": ["138 1234 5678"], "allow_duplicate_phone": True},
    )

    assert response.status_code == 201
    assert response.json()["merged_into"] is None
    assert Customer.objects.count() == 2


def test_the_form_warns_of_a_duplicate_with_a_link_and_creates_nothing(agent, client):
    first = services.create_customer(by=agent, name="陈静", phones=["13812345678"])
    client.force_login(agent)
    form = {
        "name": "陈先生",
        "phones": "138 1234 5678",
        "tier": "regular",
        "preferred_channel": "phone",
        "address-TOTAL_FORMS": "1",
        "address-INITIAL_FORMS": "0",
    }

    response = client.post(reverse("customers:create"), form)

    assert response.status_code == 200
    assert [c.pk for c in response.context["duplicates"]] == [first.pk]
    page = response.content.decode()
    assert f'href="{reverse("customers:detail", args=[first.pk])}"' in page
    assert 'name="allow_duplicate_phone"' in page  # the way to go on anyway
    assert Customer.objects.count() == 1


def test_the_form_creates_the_record_when_the_agent_goes_on_anyway(agent, client):
    services.create_customer(by=agent, name="陈静", phones=["13812345678"])
    client.force_login(agent)
    form = {
        "name": "陈先生",
        "phones": "138 1234 5678",
        "tier": "regular",
        "preferred_channel": "phone",
        "address-TOTAL_FORMS": "1",
        "address-INITIAL_FORMS": "0",
        "allow_duplicate_phone": "1",
    }

    response = client.post(reverse("customers:create"), form)

    created = Customer.objects.get(name="陈先生")
    assert response.status_code == 302
    assert response["Location"] == reverse("customers:detail", args=[created.pk])


# --- Merging: what moves ----------------------------------------------------------------------


def test_a_merge_moves_everything_to_the_kept_record(supervisor):
    kept = open_record(supervisor, "陈静", ["13812345678"], products=2, life_events=1)
    merged = open_record(
        supervisor,
        "陈静",
        ["13912345678", "027-8765 4321"],
        addresses=(HANKOU,),
        products=3,
        life_events=2,
    )
    kept_before, merged_before = held(kept), held(merged)

    result = services.merge_customers(by=supervisor, into_id=kept.pk, from_id=merged.pk)

    assert result.pk == kept.pk
    after = held(kept)
    for part in ("phones", "addresses", "products", "life_events"):
        assert after[part] == kept_before[part] + merged_before[part], part
    # Every entry moved, and one more says the merge happened.
    assert after["timeline"] == kept_before["timeline"] + merged_before["timeline"] + 1
    assert held(merged) == {"phones": 0, "addresses": 0, "products": 0, "life_events": 0, "timeline": 1}
    # Still one primary phone and one default address.
    assert kept.phones.filter(is_primary=True).get().number == "+8613812345678"
    assert kept.addresses.filter(is_default=True).get().detail == WUHAN["detail"]


def test_a_merge_marks_the_merged_record_and_bumps_both_versions(supervisor):
    kept = open_record(supervisor, "陈静", ["13812345678"])
    merged = open_record(supervisor, "陈静", ["13912345678"])

    services.merge_customers(by=supervisor, into_id=kept.pk, from_id=merged.pk)

    stored_kept, stored_merged = Customer.objects.get(pk=kept.pk), Customer.objects.get(pk=merged.pk)
    assert stored_merged.merged_into_id == kept.pk
    assert stored_kept.merged_into_id is None
    assert stored_kept.version == kept.version + 1
    assert stored_merged.version == merged.version + 1


def test_a_number_both_records_have_is_kept_once_and_named_in_the_audit(supervisor):
    kept = open_record(supervisor, "陈静", ["13812345678"])
    merged = open_record(supervisor, "陈静", ["138 1234 5678", "13912345678"])

    services.merge_customers(by=supervisor, into_id=kept.pk, from_id=merged.pk)

    assert sorted(kept.phones.values_list("number", flat=True)) == ["+8613812345678", "+8613912345678"]
    row = AuditEvent.objects.filter(target_id=str(kept.pk), action=AuditAction.UPDATE).latest("pk")
    assert row.changes["moved"]["phones"]["dropped"] == [redact_phone("+8613812345678")]
    assert row.changes["moved"]["phones"]["numbers"] == [redact_phone("+8613912345678")]
    assert "13812345678" not in json.dumps(row.changes)  # numbers only redacted, as core.audit keeps them


def test_a_merge_is_audited_with_what_moved(supervisor):
    kept = open_record(supervisor, "陈静", ["13812345678"])
    merged = open_record(supervisor, "陈静", ["13912345678"], products=2)
    product_ids = sorted(merged.products.values_list("pk", flat=True))
    entry_ids = sorted(merged.events.values_list("pk", flat=True))
    before = AuditEvent.objects.count()

    services.merge_customers(by=supervisor, into_id=kept.pk, from_id=merged.pk)

    assert AuditEvent.objects.count() == before + 2
    on_kept = AuditEvent.objects.get(target_id=str(kept.pk), changes__has_key="merged_from")
    assert on_kept.actor == supervisor
    assert on_kept.changes["merged_from"] == [None, merged.pk]
    assert on_kept.changes["moved"]["products"] == {"count": 2, "ids": product_ids}
    assert on_kept.changes["moved"]["timeline"] == {"count": len(entry_ids), "ids": entry_ids}
    assert on_kept.changes["moved"]["life_events"]["count"] == 1
    on_merged = AuditEvent.objects.filter(target_id=str(merged.pk)).latest("pk")
    assert on_merged.changes == {"merged_into": [None, kept.pk]}


def test_a_merge_writes_a_timeline_entry_on_each_record(supervisor):
    kept = open_record(supervisor, "陈静", ["13812345678"])
    merged = open_record(supervisor, "王芳", ["13912345678"], products=2)

    services.merge_customers(by=supervisor, into_id=kept.pk, from_id=merged.pk)

    entry = CustomerEvent.objects.get(customer=kept, kind=timeline.CUSTOMER_MERGED)
    assert entry.data["customer"] == merged.pk
    assert entry.data["moved"]["products"] == 2
    assert "王芳" in timeline.describe(entry)
    back = CustomerEvent.objects.get(customer=merged, kind=timeline.MERGED_INTO)
    assert back.data["customer"] == kept.pk


def test_consents_move_only_for_purposes_the_kept_record_has_no_answer_for(supervisor):
    kept = open_record(supervisor, "陈静", ["13812345678"], consents={"care": True})
    merged = open_record(supervisor, "陈静", ["13912345678"], consents={"care": False, "marketing": False})

    services.merge_customers(by=supervisor, into_id=kept.pk, from_id=merged.pk)

    assert dict(kept.consents.values_list("purpose", "is_granted")) == {"care": True, "marketing": False}
    # The other answer stays on the merged record: nothing is lost.
    assert dict(merged.consents.values_list("purpose", "is_granted")) == {"care": False}


def test_records_merged_earlier_into_the_merged_one_follow_it(supervisor):
    kept = open_record(supervisor, "陈静", ["13812345678"])
    middle = open_record(supervisor, "陈静", ["13912345678"])
    oldest = open_record(supervisor, "陈静", ["13712345678"])
    services.merge_customers(by=supervisor, into_id=middle.pk, from_id=oldest.pk)

    services.merge_customers(by=supervisor, into_id=kept.pk, from_id=middle.pk)

    assert Customer.objects.get(pk=oldest.pk).merged_into_id == kept.pk


# --- Merging: refusals, each writing nothing ------------------------------------------------


def test_merging_a_record_into_itself_is_refused(supervisor):
    kept = open_record(supervisor, "陈静", ["13812345678"])
    before = everything()

    with pytest.raises(ValidationError) as refusal:
        services.merge_customers(by=supervisor, into_id=kept.pk, from_id=kept.pk)

    assert "from" in refusal.value.message_dict
    assert everything() == before


def test_merging_a_missing_record_is_refused(supervisor):
    kept = open_record(supervisor, "陈静", ["13812345678"])
    before = everything()

    with pytest.raises(ValidationError) as refusal:
        services.merge_customers(by=supervisor, into_id=kept.pk, from_id=kept.pk + 1000)
    with pytest.raises(NotFound):
        services.merge_customers(by=supervisor, into_id=kept.pk + 1000, from_id=kept.pk)

    assert "from" in refusal.value.message_dict
    assert everything() == before


@pytest.mark.parametrize("which", ["from", "into"])
def test_merging_with_an_already_merged_record_is_refused(supervisor, which):
    kept = open_record(supervisor, "陈静", ["13812345678"])
    merged = open_record(supervisor, "陈静", ["13912345678"])
    third = open_record(supervisor, "陈静", ["13712345678"])
    services.merge_customers(by=supervisor, into_id=kept.pk, from_id=merged.pk)
    before = everything()

    into_id, from_id = (third.pk, merged.pk) if which == "from" else (merged.pk, third.pk)

    with pytest.raises(services.CustomerMerged) as refusal:
        services.merge_customers(by=supervisor, into_id=into_id, from_id=from_id)

    assert refusal.value.merged_into == kept.pk
    assert everything() == before


def test_a_merged_record_takes_no_edit_product_or_life_event(supervisor):
    kept = open_record(supervisor, "陈静", ["13812345678"])
    merged = open_record(supervisor, "陈静", ["13912345678"])
    services.merge_customers(by=supervisor, into_id=kept.pk, from_id=merged.pk)
    merged = Customer.objects.get(pk=merged.pk)
    before = everything()

    with pytest.raises(services.CustomerMerged):
        services.update_customer(by=supervisor, customer_id=merged.pk, version=None, changes={"notes": "x"})
    with pytest.raises(services.CustomerMerged):
        services.register_product(
            by=supervisor,
            customer=merged,
            model=ProductModelFactory(),
            purchased_on=datetime.date(2022, 1, 1),
        )
    with pytest.raises(services.CustomerMerged):
        services.record_life_event(
            by=supervisor, customer=merged, occurred_on=datetime.date(2022, 1, 1), description="搬家"
        )

    assert everything()[1:] == before[1:]


# --- Lists and search leave merged records out ----------------------------------------------


def test_lists_and_search_leave_merged_records_out(supervisor):
    kept = open_record(supervisor, "陈静", ["13812345678"])
    merged = open_record(supervisor, "陈静", ["13912345678"])
    services.merge_customers(by=supervisor, into_id=kept.pk, from_id=merged.pk)

    assert [c.pk for c in selectors.customer_list(user=supervisor).items] == [kept.pk]
    assert [c.pk for c in selectors.find_customers("陈静", user=supervisor).page.items] == [kept.pk]
    assert [c.pk for c in selectors.find_customers("13912345678", user=supervisor).page.items] == [kept.pk]


def test_the_list_costs_the_same_queries_with_merged_records(supervisor, django_assert_num_queries):
    kept = open_record(supervisor, "陈静", ["13812345678"], products=0, life_events=0)
    for index in range(3):
        other = open_record(supervisor, "陈静", [f"1391234567{index}"], products=0, life_events=0)
        services.merge_customers(by=supervisor, into_id=kept.pk, from_id=other.pk)

    assert supervisor.has_perm("customers.view_customer")  # the permission cache is per request
    with django_assert_num_queries(1):  # the page's summary rows, in one statement
        page = selectors.customer_list(user=supervisor)
    with django_assert_num_queries(1):
        found = selectors.find_customers("陈静", user=supervisor).page

    assert [c.pk for c in page.items] == [c.pk for c in found.items] == [kept.pk]


def test_merge_candidates_are_the_records_sharing_a_number(supervisor, django_assert_num_queries):
    kept = open_record(supervisor, "陈静", ["13812345678", "027-8765 4321"])
    shares = open_record(supervisor, "陈静", ["027 8765 4321"])
    open_record(supervisor, "王芳", ["13912345678"])

    assert supervisor.has_perm("customers.view_customer")  # the permission cache is per request
    with django_assert_num_queries(1):
        candidates = selectors.merge_candidates(kept, user=supervisor)

    assert [(c.pk, c.product_count) for c in candidates] == [(shares.pk, 1)]


# --- The API --------------------------------------------------------------------------------


def test_the_api_merges_and_the_merged_records_get_says_where_it_went(supervisor, client):
    kept = open_record(supervisor, "陈静", ["13812345678"])
    merged = open_record(supervisor, "陈静", ["13912345678"])
    client.force_login(supervisor)

    response = send(client, f"/api/v1/customers/{kept.pk}/merge", {"from": merged.pk})

    assert response.status_code == 200, response.content
    assert response.json()["id"] == kept.pk
    assert len(response.json()["phones"]) == 2
    assert client.get(f"/api/v1/customers/{merged.pk}").json()["merged_into"] == kept.pk
    listed = client.get("/api/v1/customers").json()["items"]
    assert [item["id"] for item in listed] == [kept.pk]
    found = client.get("/api/v1/customers", {"q": "陈"}).json()["items"]
    assert [item["id"] for item in found] == [kept.pk]


@pytest.mark.parametrize(
    ("target", "status", "code"),
    [("itself", 422, "invalid"), ("missing", 422, "invalid"), ("merged", 409, "customer_merged")],
)
def test_the_api_refuses_a_merge_it_cannot_make_and_writes_nothing(supervisor, client, target, status, code):
    kept = open_record(supervisor, "陈静", ["13812345678"])
    merged = open_record(supervisor, "陈静", ["13912345678"])
    third = open_record(supervisor, "陈静", ["13712345678"])
    services.merge_customers(by=supervisor, into_id=third.pk, from_id=merged.pk)
    source = {"itself": kept.pk, "missing": third.pk + 1000, "merged": merged.pk}[target]
    client.force_login(supervisor)
    before = everything()

    response = send(client, f"/api/v1/customers/{kept.pk}/merge", {"from": source})

    assert response.status_code == status, response.content
    assert response.json()["code"] == code
    if status == 422:
        assert response.json()["fields"]["from"]
    else:
        assert response.json()["merged_into"] == third.pk
    assert everything() == before


def test_a_retried_merge_with_its_key_answers_as_the_first_did(supervisor, client):
    kept = open_record(supervisor, "陈静", ["13812345678"])
    merged = open_record(supervisor, "陈静", ["13912345678"])
    client.force_login(supervisor)
    path = f"/api/v1/customers/{kept.pk}/merge"

    def merge():
        return client.post(
            path,
            json.dumps({"from": merged.pk}),
            content_type="application/json",
            headers={"Idempotency-Key": "m-1"},
        )

    first, retry = merge(), merge()

    assert first.status_code == retry.status_code == 200
    assert retry["Idempotent-Replayed"] == "true"
    assert retry.json()["id"] == first.json()["id"] == kept.pk
    assert AuditEvent.objects.filter(changes__has_key="merged_from").count() == 1
    assert send(client, path, {"from": merged.pk}).status_code == 409  # without the key: merged already


def test_an_agent_may_not_merge(agent, client):
    kept = open_record(agent, "陈静", ["13812345678"])
    merged = open_record(agent, "陈静", ["13912345678"])
    client.force_login(agent)
    before = everything()

    response = send(client, f"/api/v1/customers/{kept.pk}/merge", {"from": merged.pk})

    assert response.status_code == 403
    assert everything() == before


@pytest.mark.parametrize("role", ["supervisor", "manager", "admin"])
def test_supervisors_managers_and_administrators_may_merge(role):
    from tests.factories import make_user

    assert make_user(role).has_perm("customers.merge_customer")


@pytest.mark.parametrize("role", ["agent", "technician", "sales", "centre"])
def test_other_roles_may_not_merge(role):
    from tests.factories import make_user

    assert not make_user(role).has_perm("customers.merge_customer")


def test_the_api_refuses_changes_to_a_merged_record_with_409(supervisor, client):
    kept = open_record(supervisor, "陈静", ["13812345678"])
    merged = open_record(supervisor, "陈静", ["13912345678"])
    services.merge_customers(by=supervisor, into_id=kept.pk, from_id=merged.pk)
    client.force_login(supervisor)
    before = everything()

    patch = client.patch(
        f"/api/v1/customers/{merged.pk}",
        json.dumps({"version": Customer.objects.get(pk=merged.pk).version, "notes": "x"}),
        content_type="application/json",
    )
    product = send(
        client,
        f"/api/v1/customers/{merged.pk}/products",
        {"model": ProductModelFactory().pk, "purchase_date": "2022-01-01"},
    )
    event = send(
        client, f"/api/v1/customers/{merged.pk}/life-events", {"date": "2022-01-01", "description": "搬家"}
    )

    for response in (patch, product, event):
        assert response.status_code == 409, response.content
        assert response.json()["code"] == "customer_merged"
        assert response.json()["merged_into"] == kept.pk
    assert everything()[1:] == before[1:]


# --- The 360° page --------------------------------------------------------------------------


def test_the_360_page_offers_the_merge_only_to_those_allowed(supervisor, agent, client):
    kept = open_record(supervisor, "陈静", ["13812345678"])
    merge_url = reverse("customers:merge", args=[kept.pk])

    client.force_login(supervisor)
    assert merge_url in client.get(reverse("customers:detail", args=[kept.pk])).content.decode()
    client.force_login(agent)
    assert merge_url not in client.get(reverse("customers:detail", args=[kept.pk])).content.decode()
    assert client.get(merge_url).status_code == 403
    assert client.post(merge_url, {"from_id": kept.pk}).status_code == 403


def test_the_merge_page_offers_the_records_sharing_a_number_and_merges_one(supervisor, client):
    kept = open_record(supervisor, "陈静", ["13812345678"])
    twin = open_record(supervisor, "陈静", ["138 1234 5678"])
    client.force_login(supervisor)
    url = reverse("customers:merge", args=[kept.pk])

    page = client.get(url)
    assert [c.pk for c in page.context["candidates"]] == [twin.pk]
    response = client.post(url, {"from_id": twin.pk})

    assert response.status_code == 302
    assert response["Location"] == reverse("customers:detail", args=[kept.pk])
    assert Customer.objects.get(pk=twin.pk).merged_into_id == kept.pk
    merged_page = client.get(reverse("customers:detail", args=[twin.pk])).content.decode()
    assert reverse("customers:detail", args=[kept.pk]) in merged_page  # the link to where it went
    assert reverse("customers:edit", args=[twin.pk]) not in merged_page


def test_the_merge_page_shows_a_refusal_beside_the_field_and_writes_nothing(supervisor, client):
    kept = open_record(supervisor, "陈静", ["13812345678"])
    client.force_login(supervisor)
    before = everything()

    itself = client.post(reverse("customers:merge", args=[kept.pk]), {"from_id": kept.pk})
    missing = client.post(reverse("customers:merge", args=[kept.pk]), {"from_id": 10**12})

    assert itself.status_code == missing.status_code == 200
    assert itself.context["form"].errors["from_id"]
    assert missing.context["form"].errors["from_id"]
    assert everything() == before


def test_the_merge_page_of_a_merged_record_leads_to_the_kept_one(supervisor, client):
    kept = open_record(supervisor, "陈静", ["13812345678"])
    merged = open_record(supervisor, "陈静", ["13912345678"])
    services.merge_customers(by=supervisor, into_id=kept.pk, from_id=merged.pk)
    client.force_login(supervisor)

    response = client.get(reverse("customers:merge", args=[merged.pk]))

    assert response.status_code == 302
    assert response["Location"] == reverse("customers:detail", args=[kept.pk])


def test_only_merged_records_are_indexed_by_merged_into():
    """A full index on merged_into is one run of NULLs as long as the archive. SQLite's planner
    takes it for "merged_into IS NULL" instead of the name index, and a one-character name search
    then reads every customer; so the index holds merged records only."""
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT indexdef FROM pg_indexes WHERE tablename = 'customers_customer'")
        else:
            cursor.execute(
                "SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'customers_customer'"
                " AND sql IS NOT NULL"
            )
        definitions = [row[0] for row in cursor.fetchall() if "merged_into_id" in row[0]]
    assert definitions, "the merged records' index is missing"
    assert all("WHERE" in definition.upper() for definition in definitions)
