"""The customer archive through /api/v1/: each endpoint's answer, each refusal, and what it writes.

Every refusal is checked for the error shape, the field it names and the rows it did not write.
"""

import datetime
import json

import pytest
from django.contrib.auth.models import Permission
from django.utils import timezone

from kefu.core.masking import mask_phone
from kefu.core.models import AuditAction, AuditEvent, IdempotencyKey
from kefu.customers import services
from kefu.customers.models import (
    Customer,
    CustomerEvent,
    CustomerPhone,
    LifeEvent,
    OwnedProduct,
    ProductCategory,
    ProductModel,
    Tier,
)
from tests.factories import (
    AddressFactory,
    CustomerFactory,
    OwnedProductFactory,
    PhoneFactory,
    ProductModelFactory,
)
from tests.refusals import assert_refused

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """Users are made per test; the production hasher's slowness buys nothing here."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


FULL = "13812345678"
MASKED = "138****5678"
EN = {"Accept-Language": "en"}


def send(client, method, path, data=None, **headers):
    body = data if isinstance(data, str) else json.dumps(data if data is not None else {})
    return getattr(client, method)(path, body, content_type="application/json", headers=headers)


def counts() -> tuple[int, ...]:
    return tuple(
        model.objects.count()
        for model in (Customer, CustomerPhone, OwnedProduct, LifeEvent, ProductModel, CustomerEvent)
    )


def grant(user, codename: str):
    user.user_permissions.add(Permission.objects.get(codename=codename))
    return user


@pytest.fixture
def customer(agent):
    """李女士, a VIP with one phone, one address and consent to care visits."""
    return services.create_customer(
        by=agent,
        name="李女士",
        phones=["138 1234 5678"],
        tier=Tier.VIP,
        addresses=[{"province": "湖北省", "city": "武汉市", "district": "洪山区", "detail": "珞喻路 1 号"}],
        consents={"care": True},
    )


@pytest.fixture
def washer():
    return ProductModelFactory(
        category=ProductCategory.objects.get(code="washing_machine"),
        code="XQG100-TEST",
        name="滚筒洗衣机",
        warranty_months=36,
    )


@pytest.fixture
def product(agent, customer, washer):
    return services.register_product(
        by=agent,
        customer=customer,
        model=washer,
        purchased_on=datetime.date(2021, 3, 9),
        serial_number="XQG2021030900042",
    )


@pytest.fixture
def full_phone_client(client, db):
    """A supervisor whose role was given the right to see numbers in full."""
    from tests.factories import make_user

    client.force_login(grant(make_user("supervisor", username="reader"), "view_full_phone"))
    return client


@pytest.fixture
def technician_client(client, technician):
    client.force_login(technician)
    return client


@pytest.fixture
def outsider_client(client, outsider):
    client.force_login(outsider)
    return client


@pytest.fixture
def manager_client(client, manager):
    client.force_login(manager)
    return client


def many_customers(n: int, *, last4: str = "5678") -> list[Customer]:
    customers = []
    for index in range(n):
        customer = CustomerFactory()
        PhoneFactory(customer=customer, number=f"+86139{index:04d}{last4}", last4=last4)
        AddressFactory(customer=customer)
        customers.append(customer)
    return customers


# --- List and lookup -------------------------------------------------------------------------


def test_an_agent_lists_customers_as_summaries_with_masked_phones_and_leaves_no_reveal(
    agent_client, customer, product
):
    PhoneFactory(customer=customer, number="+862787654321", last4="4321", is_primary=False)
    newest = customer.events.order_by("-occurred_at", "-id").first()

    response = agent_client.get("/api/v1/customers", headers=EN)

    assert response.status_code == 200
    body = response.json()
    assert body["next_cursor"] is None
    assert body["match"] is None
    [item] = body["items"]
    assert item == {
        "id": customer.pk,
        "name": "李女士",
        "phones": [MASKED, mask_phone("+862787654321")],
        "city": "武汉市",
        "tier": "vip",
        "tier_label": "VIP",
        "product_count": 1,
        "last_contact_at": timezone.localtime(newest.occurred_at).replace(microsecond=0).isoformat(),
    }
    assert item["last_contact_at"].endswith("+08:00")
    assert not AuditEvent.objects.filter(action=AuditAction.REVEAL).exists()


@pytest.mark.parametrize(
    "params", [{}, {"q": "5678"}, {"q": "13912345678"}, {"limit": 2}, {"tier": "regular", "q": "5678"}]
)
def test_the_list_writes_what_its_schema_would(agent_client, customer, product, params):
    """The list builds its answer itself (schemas.customer_list_data), not through CustomerList:
    it must be byte for byte what the schema writes, in either language."""
    from kefu.customers.schemas import CustomerList

    many_customers(3)
    CustomerFactory(name="王先生")  # no phone, no address
    PhoneFactory(customer=customer, number="+8613912345678", last4="5678", is_primary=False)

    for language in ("en", "zh-hans"):
        response = agent_client.get("/api/v1/customers", params, headers={"Accept-Language": language})

        assert response.status_code == 200
        assert response["Content-Type"] == "application/json; charset=utf-8"
        written = CustomerList.model_validate(response.json()).model_dump(mode="json")
        assert response.content == json.dumps(written).encode()
        assert response.json()["items"]


def test_the_whole_record_is_one_get_away_from_a_list_row(agent_client, customer):
    [row] = agent_client.get("/api/v1/customers", {"q": "5678"}).json()["items"]

    record = agent_client.get(f"/api/v1/customers/{row['id']}", headers=EN).json()

    assert record["addresses"] == [
        {"province": "湖北省", "city": "武汉市", "district": "洪山区", "detail": "珞喻路 1 号"}
    ]
    assert record["consents"] == {"service": False, "survey": False, "care": True, "marketing": False}
    assert record["version"] == 1
    assert record["phones"] == row["phones"]


def test_a_list_row_without_timeline_or_address_shows_the_last_change_and_no_city(agent_client):
    customer = CustomerFactory(name="赵先生")
    PhoneFactory(customer=customer, number="+8613700001111", last4="1111")

    [item] = agent_client.get("/api/v1/customers", {"q": "1111"}).json()["items"]

    assert item["city"] == ""
    assert item["product_count"] == 0
    changed = timezone.localtime(customer.updated_at).replace(microsecond=0)
    assert item["last_contact_at"] == changed.isoformat()


def test_a_user_who_sees_full_phones_gets_them_and_each_view_is_audited(full_phone_client, customer):
    body = full_phone_client.get("/api/v1/customers").json()

    assert body["items"][0]["phones"] == [FULL]
    event = AuditEvent.objects.get(action=AuditAction.REVEAL)
    assert event.target_id == str(customer.pk)
    assert event.actor.username == "reader"


@pytest.mark.parametrize(
    ("q", "match"),
    [("5678", "last4"), ("138 1234 5678", "phone"), ("+86 138-1234-5678", "phone"), ("李", "name")],
)
def test_the_lookup_finds_a_customer_by_phone_last_four_or_name(agent_client, customer, q, match):
    CustomerFactory(name="张先生")

    body = agent_client.get("/api/v1/customers", {"q": q}).json()

    assert [item["id"] for item in body["items"]] == [customer.pk]
    assert body["match"] == match


def test_the_lookup_finds_a_customer_by_serial_number(agent_client, customer, product):
    body = agent_client.get("/api/v1/customers", {"q": "xqg2021030900042"}).json()

    assert [item["id"] for item in body["items"]] == [customer.pk]
    assert body["match"] == "serial"


@pytest.mark.parametrize(
    ("q", "match"),
    [("女士", "name"), ("李女士", "name"), ("12345678", "suffix"), ("1234-5678", "suffix")],
)
def test_the_lookup_finds_part_of_a_name_and_the_end_of_a_number(agent_client, customer, q, match):
    CustomerFactory(name="张先生")

    body = agent_client.get("/api/v1/customers", {"q": q}).json()

    assert [item["id"] for item in body["items"]] == [customer.pk]
    assert body["match"] == match


def test_the_lookup_finds_a_serial_typed_with_spaces(agent_client, customer, product):
    body = agent_client.get("/api/v1/customers", {"q": "XQG 2021 0309 00042"}).json()

    assert [item["id"] for item in body["items"]] == [customer.pk]
    assert body["match"] == "serial"


def test_a_technician_looking_up_eight_digits_gets_the_four_digit_lookup(technician_client, customer):
    other = CustomerFactory(name="张先生")
    PhoneFactory(customer=other, number="+8613900005678", last4="5678")

    body = technician_client.get("/api/v1/customers", {"q": "12345678"}).json()

    assert body["match"] == "last4"
    assert sorted(item["id"] for item in body["items"]) == sorted([customer.pk, other.pk])
    assert not AuditEvent.objects.filter(action=AuditAction.LOOKUP).exists()


def test_the_list_filters_by_tier_with_and_without_a_search(agent_client, customer):
    other = CustomerFactory(name="李先生")
    PhoneFactory(customer=other, number="+8613912345678", last4="5678")

    regular = agent_client.get("/api/v1/customers", {"tier": "regular"}).json()["items"]
    vip_by_phone = agent_client.get("/api/v1/customers", {"tier": "vip", "q": "5678"}).json()["items"]

    assert [item["id"] for item in regular] == [other.pk]
    assert [item["id"] for item in vip_by_phone] == [customer.pk]


def test_an_unknown_tier_is_400_naming_tier(agent_client):
    assert_refused(agent_client.get("/api/v1/customers", {"tier": "gold"}), 400, "tier")


def test_the_list_pages_by_cursor(agent_client):
    many_customers(5)

    first = agent_client.get("/api/v1/customers", {"limit": 3}).json()
    second = agent_client.get("/api/v1/customers", {"limit": 3, "cursor": first["next_cursor"]}).json()

    assert len(first["items"]) == 3
    assert len(second["items"]) == 2
    assert second["next_cursor"] is None
    ids = [item["id"] for item in first["items"] + second["items"]]
    assert ids == sorted(ids)


def test_the_list_costs_the_same_queries_for_one_and_thirty_customers(
    agent_client, django_assert_num_queries
):
    many_customers(1)
    agent_client.get("/api/v1/customers")
    # session, user, the permissions (one statement), the page (its card data), its phones
    with django_assert_num_queries(5):
        assert len(agent_client.get("/api/v1/customers").json()["items"]) == 1
    many_customers(29)
    with django_assert_num_queries(5):
        assert len(agent_client.get("/api/v1/customers").json()["items"]) == 30


def test_the_lookup_costs_a_fixed_number_of_queries(agent_client, django_assert_num_queries):
    many_customers(1, last4="4321")
    agent_client.get("/api/v1/customers?q=4321")
    # session, user, the permissions (one statement), the page (its card data), its phones
    with django_assert_num_queries(5):
        assert len(agent_client.get("/api/v1/customers?q=4321").json()["items"]) == 1
    many_customers(29, last4="4321")
    with django_assert_num_queries(5):
        assert len(agent_client.get("/api/v1/customers?q=4321").json()["items"]) == 30


def test_full_phones_cost_the_same_queries_for_one_and_thirty_customers(
    full_phone_client, django_assert_num_queries
):
    many_customers(1)
    full_phone_client.get("/api/v1/customers")
    with django_assert_num_queries(8) as one:  # the list's 6, and the audit rows in a savepoint
        full_phone_client.get("/api/v1/customers")
    many_customers(29)
    with django_assert_num_queries(len(one.captured_queries)):
        full_phone_client.get("/api/v1/customers")
    assert AuditEvent.objects.filter(action=AuditAction.REVEAL).count() == 1 + 1 + 30


def test_an_outsider_may_not_list_customers(outsider_client, customer):
    assert_refused(outsider_client.get("/api/v1/customers"), 403, code="forbidden")


# --- Create ----------------------------------------------------------------------------------

NEW = {
    "name": "王女士",
    "phones": ["139 0000 1234", "027-8765 4321"],
    "tier": "regular",
    "email": "wang@example.com",
    "preferred_channel": "wechat",
    "preferred_time": "工作日晚上",
    "addresses": [{"province": "湖北省", "city": "武汉市", "district": "江汉区", "detail": "解放大道 2 号"}],
    "consents": {"care": True, "marketing": False},
}


def test_an_agent_opens_a_customer_record(agent_client, agent):
    response = send(agent_client, "post", "/api/v1/customers", NEW, **EN)

    assert response.status_code == 201, response.content
    body = response.json()
    customer = Customer.objects.get(pk=body["id"])
    assert customer.name == "王女士"
    assert body["phones"] == ["139****1234", "027****4321"]
    assert body["preferred_channel"] == "wechat"
    assert body["preferred_channel_label"] == "WeChat"
    assert body["consents"]["care"] is True
    assert list(customer.phones.values_list("number", flat=True)) == ["+8613900001234", "+862787654321"]
    assert AuditEvent.objects.filter(
        action=AuditAction.CREATE, actor=agent, target_id=str(customer.pk)
    ).exists()
    assert CustomerEvent.objects.filter(customer=customer, kind="customer_created").exists()


def test_an_invalid_phone_is_refused_naming_phones_and_writes_nothing(agent_client):
    before = counts()

    response = send(agent_client, "post", "/api/v1/customers", {**NEW, "phones": ["12345"]}, **EN)

    body = assert_refused(response, 422, "phones")
    assert body["fields"]["phones"] == ["“12345” is not a valid phone number."]
    assert counts() == before


def test_no_phone_at_all_is_refused(agent_client):
    before = counts()

    assert_refused(send(agent_client, "post", "/api/v1/customers", {"name": "王女士"}), 400, "phones")
    assert counts() == before


def test_a_missing_name_is_refused_naming_name_and_writes_nothing(agent_client):
    before = counts()
    without_name = {key: value for key, value in NEW.items() if key != "name"}

    body = assert_refused(send(agent_client, "post", "/api/v1/customers", without_name, **EN), 400, "name")

    assert body["fields"]["name"] == ["This field is required."]
    assert counts() == before


def test_a_blank_name_is_refused_by_the_service(agent_client):
    before = counts()

    body = assert_refused(
        send(agent_client, "post", "/api/v1/customers", {**NEW, "name": "  "}, **EN), 422, "name"
    )

    assert body["fields"]["name"] == ["Enter the customer's name."]
    assert counts() == before


def test_several_bad_fields_are_named_together(agent_client):
    response = send(agent_client, "post", "/api/v1/customers", {**NEW, "name": "  ", "phones": ["1"]}, **EN)

    body = assert_refused(response, 422)
    assert set(body["fields"]) == {"name", "phones"}
    assert "name" in body["message"]
    assert "phones" in body["message"]


def test_an_empty_name_or_phone_list_is_refused_by_the_schema(agent_client):
    response = send(agent_client, "post", "/api/v1/customers", {**NEW, "name": "", "phones": []}, **EN)

    body = assert_refused(response, 400)
    assert body["fields"] == {
        "name": ["This field cannot be empty."],
        "phones": ["This field cannot be empty."],
    }


def test_an_unknown_consent_purpose_is_refused(agent_client):
    before = counts()

    assert_refused(
        send(agent_client, "post", "/api/v1/customers", {**NEW, "consents": {"spam": True}}), 400, "consents"
    )
    assert counts() == before


def test_a_technician_may_not_open_a_customer_record(technician_client):
    before = counts()

    assert_refused(send(technician_client, "post", "/api/v1/customers", NEW), 403, code="forbidden")
    assert counts() == before


def test_a_retry_with_the_same_idempotency_key_returns_the_first_customer(agent_client):
    first = send(agent_client, "post", "/api/v1/customers", NEW, **{"Idempotency-Key": "call-0001"})
    retry = send(agent_client, "post", "/api/v1/customers", NEW, **{"Idempotency-Key": "call-0001"})

    assert first.status_code == retry.status_code == 201
    assert retry.json() == first.json()
    assert retry["Idempotent-Replayed"] == "true"
    assert Customer.objects.count() == 1
    assert IdempotencyKey.objects.count() == 1


def test_a_replayed_answer_with_full_numbers_is_audited_and_keeps_nothing_personal(full_phone_client):
    key = {"Idempotency-Key": "call-0003"}
    first = send(full_phone_client, "post", "/api/v1/customers", NEW, **key)
    shown = AuditEvent.objects.filter(action=AuditAction.REVEAL).count()

    retry = send(full_phone_client, "post", "/api/v1/customers", NEW, **key)

    assert retry.status_code == 201
    assert retry["Idempotent-Replayed"] == "true"
    assert retry.json() == first.json()
    assert all("*" not in phone for phone in retry.json()["phones"])
    assert AuditEvent.objects.filter(action=AuditAction.REVEAL).count() == shown + 1
    stored = json.dumps(IdempotencyKey.objects.get().response)
    assert all(phone not in stored for phone in first.json()["phones"])


def test_a_replay_shows_the_numbers_as_the_caller_may_see_them_now(client, db):
    from tests.factories import make_user

    reader = grant(make_user("supervisor", username="reader"), "view_full_phone")
    client.force_login(reader)
    key = {"Idempotency-Key": "call-0004"}
    full = send(client, "post", "/api/v1/customers", NEW, **key).json()["phones"]
    reader.user_permissions.clear()
    client.force_login(type(reader).objects.get(pk=reader.pk))

    retry = send(client, "post", "/api/v1/customers", NEW, **key)

    assert retry.json()["phones"] == [mask_phone("+86" + number) for number in full]


def test_answers_with_personal_data_are_never_cached(agent_client, customer):
    api = agent_client.get(f"/api/v1/customers/{customer.pk}")
    page = agent_client.get(f"/customers/{customer.pk}/")

    assert "no-store" in api["Cache-Control"]
    assert "no-store" in page["Cache-Control"]


def test_the_same_key_with_another_body_is_422_and_writes_nothing(agent_client):
    send(agent_client, "post", "/api/v1/customers", NEW, **{"Idempotency-Key": "call-0002"})

    response = send(
        agent_client,
        "post",
        "/api/v1/customers",
        {**NEW, "name": "赵先生"},
        **{"Idempotency-Key": "call-0002"},
    )

    assert_refused(response, 422, code="idempotency_key_reused")
    assert Customer.objects.count() == 1


# The same numbers again, on purpose: the duplicate-number check is not what these tests are about.
AGAIN = {**NEW, "allow_duplicate_phone": True}


def test_a_key_is_the_callers_own(client, agent, supervisor):
    client.force_login(agent)
    send(client, "post", "/api/v1/customers", AGAIN, **{"Idempotency-Key": "shared"})
    client.force_login(supervisor)
    send(client, "post", "/api/v1/customers", AGAIN, **{"Idempotency-Key": "shared"})

    assert Customer.objects.count() == 2


def test_a_refused_create_does_not_use_up_its_key(agent_client):
    bad = send(
        agent_client, "post", "/api/v1/customers", {**NEW, "phones": ["1"]}, **{"Idempotency-Key": "k"}
    )
    assert bad.status_code == 422

    good = send(
        agent_client, "post", "/api/v1/customers", {**NEW, "phones": ["1"]}, **{"Idempotency-Key": "k"}
    )

    assert good.status_code == 422
    assert not IdempotencyKey.objects.exists()


def test_a_key_older_than_a_day_no_longer_counts(agent_client):
    send(agent_client, "post", "/api/v1/customers", AGAIN, **{"Idempotency-Key": "old"})
    IdempotencyKey.objects.update(created_at=timezone.now() - datetime.timedelta(days=2))

    send(agent_client, "post", "/api/v1/customers", AGAIN, **{"Idempotency-Key": "old"})

    assert Customer.objects.count() == 2


def test_without_a_key_each_create_writes(agent_client):
    send(agent_client, "post", "/api/v1/customers", AGAIN)
    send(agent_client, "post", "/api/v1/customers", AGAIN)

    assert Customer.objects.count() == 2


def test_a_key_longer_than_255_characters_is_400(agent_client):
    response = send(agent_client, "post", "/api/v1/customers", NEW, **{"Idempotency-Key": "k" * 256})

    assert_refused(response, 400, "Idempotency-Key")
    assert not Customer.objects.exists()


# --- Read and update -------------------------------------------------------------------------


def test_a_customer_is_read_by_id(agent_client, customer):
    body = agent_client.get(f"/api/v1/customers/{customer.pk}").json()

    assert body["id"] == customer.pk
    assert body["phones"] == [MASKED]


def test_an_unknown_customer_is_404(agent_client):
    assert_refused(agent_client.get("/api/v1/customers/999999"), 404, code="not_found")


def test_an_outsider_may_not_read_a_customer(outsider_client, customer):
    assert outsider_client.get(f"/api/v1/customers/{customer.pk}").status_code in (403, 404)


def test_reading_full_phones_is_audited(full_phone_client, customer):
    body = full_phone_client.get(f"/api/v1/customers/{customer.pk}").json()

    assert body["phones"] == [FULL]
    assert AuditEvent.objects.filter(action=AuditAction.REVEAL, target_id=str(customer.pk)).count() == 1


def test_a_patch_with_the_current_version_changes_the_record(agent_client, customer):
    response = send(
        agent_client,
        "patch",
        f"/api/v1/customers/{customer.pk}",
        {"version": 1, "preferred_time": "周末上午", "phones": ["13812345678", "13987654321"]},
    )

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["version"] == 2
    assert body["preferred_time"] == "周末上午"
    assert body["phones"] == [MASKED, "139****4321"]
    assert body["name"] == "李女士"
    assert AuditEvent.objects.filter(action=AuditAction.UPDATE, target_id=str(customer.pk)).exists()


def test_a_patch_may_name_its_version_in_if_match(agent_client, customer):
    response = send(
        agent_client, "patch", f"/api/v1/customers/{customer.pk}", {"notes": "怕吵"}, **{"If-Match": '"1"'}
    )

    assert response.status_code == 200, response.content
    assert response.json()["version"] == 2


def test_a_stale_version_is_409_with_the_current_version_and_changes_nothing(agent_client, agent, customer):
    services.update_customer(by=agent, customer_id=customer.pk, version=1, changes={"notes": "先到的修改"})

    response = send(
        agent_client, "patch", f"/api/v1/customers/{customer.pk}", {"version": 1, "notes": "后到的修改"}
    )

    body = assert_refused(response, 409, code="stale_version")
    assert body["current_version"] == 2
    customer.refresh_from_db()
    assert customer.notes == "先到的修改"


def test_a_patch_without_a_version_is_400_naming_version(agent_client, customer):
    assert_refused(
        send(agent_client, "patch", f"/api/v1/customers/{customer.pk}", {"notes": "x"}), 400, "version"
    )


def test_a_patch_with_an_invalid_phone_changes_nothing(agent_client, customer):
    response = send(
        agent_client, "patch", f"/api/v1/customers/{customer.pk}", {"version": 1, "phones": ["abc"]}
    )

    assert_refused(response, 422, "phones")
    customer.refresh_from_db()
    assert customer.version == 1
    assert list(customer.phones.values_list("number", flat=True)) == ["+8613812345678"]


def test_a_patch_may_not_null_the_name(agent_client, customer):
    response = send(agent_client, "patch", f"/api/v1/customers/{customer.pk}", {"version": 1, "name": None})

    assert_refused(response, 400, "name")
    customer.refresh_from_db()
    assert customer.name == "李女士"


def test_a_technician_may_not_change_a_customer(technician_client, customer):
    response = send(
        technician_client, "patch", f"/api/v1/customers/{customer.pk}", {"version": 1, "notes": "x"}
    )

    assert_refused(response, 403, code="forbidden")
    customer.refresh_from_db()
    assert customer.notes == ""


# --- Reveal ----------------------------------------------------------------------------------


def test_an_agent_reveals_the_full_numbers_and_it_is_audited(agent_client, agent, customer):
    response = send(agent_client, "post", f"/api/v1/customers/{customer.pk}/reveal", {"reason": "回拨"})

    assert response.status_code == 200, response.content
    assert response.json() == {"customer": customer.pk, "phones": [FULL]}
    event = AuditEvent.objects.get(action=AuditAction.REVEAL)
    assert event.actor == agent
    assert event.reason == "回拨"


def test_a_reveal_needs_no_body(agent_client, customer):
    response = agent_client.post(f"/api/v1/customers/{customer.pk}/reveal", content_type="application/json")

    assert response.status_code == 200, response.content


def test_a_technician_may_not_reveal_and_nothing_is_audited(technician_client, customer):
    response = send(technician_client, "post", f"/api/v1/customers/{customer.pk}/reveal")

    assert_refused(response, 403, code="forbidden")
    assert not AuditEvent.objects.filter(action=AuditAction.REVEAL).exists()


def test_revealing_an_unknown_customer_is_404(agent_client):
    assert_refused(send(agent_client, "post", "/api/v1/customers/999999/reveal"), 404, code="not_found")


# --- Timeline --------------------------------------------------------------------------------


def test_the_timeline_lists_entries_newest_first_in_the_callers_language(agent_client, customer, product):
    body = agent_client.get(f"/api/v1/customers/{customer.pk}/timeline", headers=EN).json()

    kinds = [item["kind"] for item in body["items"]]
    assert kinds == ["customer_created", "product_purchased"]
    assert body["items"][1]["text"].startswith("Bought")
    assert body["items"][1]["product"] == product.pk


def test_the_timeline_filters_by_kind(agent_client, customer, product):
    path = f"/api/v1/customers/{customer.pk}/timeline"

    by_group = agent_client.get(path, {"kind": "products"}).json()["items"]
    by_kind = agent_client.get(path, {"kind": "customer_created,life_event"}).json()["items"]

    assert [item["kind"] for item in by_group] == ["product_purchased"]
    assert [item["kind"] for item in by_kind] == ["customer_created"]


def test_the_timeline_costs_the_same_queries_for_one_and_thirty_entries(
    agent_client, agent, customer, django_assert_num_queries
):
    path = f"/api/v1/customers/{customer.pk}/timeline"
    agent_client.get(path)
    # session, user, permissions, the customer, the archive's own entries, the tickets' events
    with django_assert_num_queries(6) as one:
        assert len(agent_client.get(path).json()["items"]) == 1
    for day in range(29):
        services.record_life_event(
            by=agent,
            customer=customer,
            occurred_on=datetime.date(2020, 1, day + 1),
            description=f"第 {day} 天",
        )
    with django_assert_num_queries(len(one.captured_queries)):
        assert len(agent_client.get(path).json()["items"]) == 30


# --- Products --------------------------------------------------------------------------------


def product_body(washer, **changes):
    return {"model": washer.pk, "serial_number": "XQG-NEW-0001", "purchase_date": "2024-05-01", **changes}


def test_an_agent_registers_a_product_with_its_warranty_from_the_model(agent_client, customer, washer):
    response = send(
        agent_client, "post", f"/api/v1/customers/{customer.pk}/products", product_body(washer), **EN
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["customer"] == customer.pk
    assert body["model"] == washer.pk
    assert body["category"] == "washing_machine"
    assert body["category_label"] == "Washing machine"
    assert body["serial_number"] == "XQG-NEW-0001"
    assert body["purchase_date"] == "2024-05-01"
    assert body["warranty_end"] == "2027-05-01"
    assert body["status"] == "in_use"
    assert body["status_label"] == "In use"
    assert body["install_address"] == customer.addresses.get().pk
    assert body["next_birthday"]["years"] >= 1
    assert body["version"] == 1


def test_a_purchase_date_in_the_future_is_refused_naming_purchase_date(agent_client, customer, washer):
    before = counts()
    tomorrow = (timezone.localdate() + datetime.timedelta(days=1)).isoformat()

    response = send(
        agent_client,
        "post",
        f"/api/v1/customers/{customer.pk}/products",
        product_body(washer, purchase_date=tomorrow),
        **EN,
    )

    body = assert_refused(response, 422, "purchase_date")
    assert body["fields"]["purchase_date"] == ["The purchase date cannot be in the future."]
    assert "purchased_on" not in body["fields"]
    assert counts() == before


def test_a_malformed_purchase_date_is_400(agent_client, customer, washer):
    response = send(
        agent_client,
        "post",
        f"/api/v1/customers/{customer.pk}/products",
        product_body(washer, purchase_date="9 May"),
    )

    assert_refused(response, 400, "purchase_date")
    assert not OwnedProduct.objects.exists()


def test_a_serial_already_registered_for_the_model_is_refused(agent_client, customer, washer, product):
    before = counts()

    response = send(
        agent_client,
        "post",
        f"/api/v1/customers/{customer.pk}/products",
        product_body(washer, serial_number="xqg 2021030900042"),
    )

    assert_refused(response, 422, "serial_number")
    assert counts() == before


def test_the_same_serial_for_another_model_is_fine(agent_client, customer, product):
    other = ProductModelFactory(code="OTHER-1")

    response = send(
        agent_client,
        "post",
        f"/api/v1/customers/{customer.pk}/products",
        product_body(other, serial_number="XQG2021030900042"),
    )

    assert response.status_code == 201, response.content


def test_an_unknown_model_is_refused_naming_model(agent_client, customer):
    before = counts()

    response = send(
        agent_client,
        "post",
        f"/api/v1/customers/{customer.pk}/products",
        {"model": 999999, "purchase_date": "2024-05-01"},
    )

    assert_refused(response, 422, "model")
    assert counts() == before


def test_a_warranty_ending_before_the_purchase_is_refused_naming_warranty_end(agent_client, customer, washer):
    response = send(
        agent_client,
        "post",
        f"/api/v1/customers/{customer.pk}/products",
        product_body(washer, warranty_end="2020-01-01"),
    )

    assert_refused(response, 422, "warranty_end")
    assert not OwnedProduct.objects.exists()


def test_another_customers_address_is_refused(agent_client, customer, washer):
    stranger = AddressFactory()

    response = send(
        agent_client,
        "post",
        f"/api/v1/customers/{customer.pk}/products",
        product_body(washer, install_address=stranger.pk),
    )

    assert_refused(response, 422, "install_address")


def test_a_technician_may_not_register_a_product(technician_client, customer, washer):
    response = send(
        technician_client, "post", f"/api/v1/customers/{customer.pk}/products", product_body(washer)
    )

    assert_refused(response, 403, code="forbidden")
    assert not OwnedProduct.objects.exists()


def test_a_product_registration_is_idempotent_by_key(agent_client, customer, washer):
    path = f"/api/v1/customers/{customer.pk}/products"
    first = send(agent_client, "post", path, product_body(washer), **{"Idempotency-Key": "p-1"})
    retry = send(agent_client, "post", path, product_body(washer), **{"Idempotency-Key": "p-1"})

    assert retry.status_code == 201
    assert retry.json()["id"] == first.json()["id"]
    assert OwnedProduct.objects.count() == 1


def test_a_customers_products_are_listed(agent_client, customer, product):
    body = agent_client.get(f"/api/v1/customers/{customer.pk}/products").json()

    assert [item["id"] for item in body["items"]] == [product.pk]


def test_the_products_list_costs_the_same_queries_for_one_and_thirty(
    agent_client, customer, product, django_assert_num_queries
):
    path = f"/api/v1/customers/{customer.pk}/products"
    agent_client.get(path)
    with django_assert_num_queries(5) as one:
        assert len(agent_client.get(path).json()["items"]) == 1
    OwnedProductFactory.create_batch(29, customer=customer)
    with django_assert_num_queries(len(one.captured_queries)):
        assert len(agent_client.get(path).json()["items"]) == 30


def test_a_product_is_read_by_id(agent_client, product):
    body = agent_client.get(f"/api/v1/products/{product.pk}").json()

    assert body["serial_number"] == "XQG2021030900042"
    assert body["warranty_end"] == "2024-03-09"


def test_an_unknown_product_is_404(agent_client):
    assert_refused(agent_client.get("/api/v1/products/999999"), 404, code="not_found")


def test_a_product_patch_changes_it_and_keeps_the_timeline_true(agent_client, customer, product):
    response = send(
        agent_client,
        "patch",
        f"/api/v1/products/{product.pk}",
        {"version": 1, "purchase_date": "2021-03-10", "status": "disposed", "notes": "已报废"},
    )

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["version"] == 2
    assert body["purchase_date"] == "2021-03-10"
    assert body["status"] == "disposed"
    entry = CustomerEvent.objects.get(kind="product_purchased")
    assert timezone.localtime(entry.occurred_at).date() == datetime.date(2021, 3, 10)


def test_a_stale_product_version_is_409(agent_client, product):
    response = send(agent_client, "patch", f"/api/v1/products/{product.pk}", {"version": 7, "notes": "x"})

    assert assert_refused(response, 409, code="stale_version")["current_version"] == 1


def test_a_product_patch_with_a_future_purchase_date_names_purchase_date(agent_client, product):
    future = (timezone.localdate() + datetime.timedelta(days=3)).isoformat()

    response = send(
        agent_client, "patch", f"/api/v1/products/{product.pk}", {"version": 1, "purchase_date": future}
    )

    assert_refused(response, 422, "purchase_date")
    product.refresh_from_db()
    assert product.version == 1


def test_a_technician_reads_a_product_and_may_not_change_it(technician_client, product):
    warranty_end = product.warranty_ends_on
    assert technician_client.get(f"/api/v1/products/{product.pk}").status_code == 200

    response = send(
        technician_client,
        "patch",
        f"/api/v1/products/{product.pk}",
        {"version": 1, "warranty_end": "2045-12-31", "notes": "外机有锈"},
    )

    assert_refused(response, 403, code="forbidden")
    product.refresh_from_db()
    assert product.warranty_ends_on == warranty_end
    assert product.version == 1


# --- Life events -----------------------------------------------------------------------------


def test_an_agent_records_a_life_event_tied_to_a_product(agent_client, customer, product):
    response = send(
        agent_client,
        "post",
        f"/api/v1/customers/{customer.pk}/life-events",
        {"date": "2021-03-09", "kind": "birth", "description": "女儿出生", "product": product.pk},
        **EN,
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["date"] == "2021-03-09"
    assert body["kind_label"] == "A child was born"
    assert body["product"] == product.pk
    assert LifeEvent.objects.get().description == "女儿出生"


def test_a_life_event_without_a_description_is_refused(agent_client, customer):
    response = send(
        agent_client, "post", f"/api/v1/customers/{customer.pk}/life-events", {"date": "2021-03-09"}
    )

    assert_refused(response, 400, "description")
    assert not LifeEvent.objects.exists()


def test_a_life_event_with_another_customers_product_is_refused(agent_client, customer):
    strangers = OwnedProductFactory()

    response = send(
        agent_client,
        "post",
        f"/api/v1/customers/{customer.pk}/life-events",
        {"date": "2021-03-09", "description": "搬家", "product": strangers.pk},
    )

    assert_refused(response, 422, "product")
    assert not LifeEvent.objects.exists()


def test_a_technician_may_not_record_a_life_event(technician_client, customer):
    response = send(
        technician_client,
        "post",
        f"/api/v1/customers/{customer.pk}/life-events",
        {"date": "2021-03-09", "description": "x"},
    )

    assert_refused(response, 403, code="forbidden")


def test_life_events_are_listed_newest_first(agent_client, agent, customer):
    for day in (1, 3, 2):
        services.record_life_event(
            by=agent, customer=customer, occurred_on=datetime.date(2022, 1, day), description=f"{day}"
        )

    body = agent_client.get(f"/api/v1/customers/{customer.pk}/life-events").json()

    assert [item["date"] for item in body["items"]] == ["2022-01-03", "2022-01-02", "2022-01-01"]


def test_the_life_events_list_costs_the_same_queries_for_one_and_thirty(
    agent_client, agent, customer, django_assert_num_queries
):
    path = f"/api/v1/customers/{customer.pk}/life-events"

    def add(n):
        for _index in range(n):
            services.record_life_event(
                by=agent, customer=customer, occurred_on=datetime.date(2022, 1, 1), description="x"
            )

    add(1)
    agent_client.get(path)
    with django_assert_num_queries(5) as one:
        assert len(agent_client.get(path).json()["items"]) == 1
    add(29)
    with django_assert_num_queries(len(one.captured_queries)):
        assert len(agent_client.get(path).json()["items"]) == 30


# --- Catalogue -------------------------------------------------------------------------------


def test_categories_are_listed_by_code(agent_client):
    body = agent_client.get("/api/v1/catalogue/categories", headers=EN).json()

    codes = [item["code"] for item in body["items"]]
    assert {"air_conditioner", "washing_machine", "network_equipment"} <= set(codes)
    assert (
        next(item for item in body["items"] if item["code"] == "air_conditioner")["name"] == "Air conditioner"
    )


def test_models_are_filtered_by_category(agent_client, washer):
    ProductModelFactory(code="KFR-35GW/LIST")

    items = agent_client.get("/api/v1/catalogue/models", {"category": "washing_machine"}).json()["items"]

    assert [item["code"] for item in items] == ["XQG100-TEST"]
    assert items[0]["category"] == "washing_machine"


def test_a_manager_adds_a_model_to_the_catalogue(manager_client, manager):
    body = {
        "category": "refrigerator",
        "code": "BCD-520W",
        "name": "对开门冰箱",
        "brand": "海尔",
        "warranty_months": 36,
    }

    response = send(manager_client, "post", "/api/v1/catalogue/models", body)

    assert response.status_code == 201, response.content
    model = ProductModel.objects.get(code="BCD-520W")
    assert model.category.code == "refrigerator"
    assert response.json()["id"] == model.pk
    assert AuditEvent.objects.filter(
        action=AuditAction.CREATE, actor=manager, target_id=str(model.pk)
    ).exists()


def test_an_unknown_category_is_refused_naming_category(manager_client):
    before = counts()

    response = send(
        manager_client,
        "post",
        "/api/v1/catalogue/models",
        {"category": "spaceship", "code": "X-1", "name": "x"},
    )

    assert_refused(response, 422, "category")
    assert counts() == before


def test_a_model_number_already_in_the_catalogue_is_refused(manager_client, washer):
    response = send(
        manager_client,
        "post",
        "/api/v1/catalogue/models",
        {"category": "washing_machine", "code": "XQG100-TEST", "name": "x"},
    )

    assert_refused(response, 422, "code")


def test_an_agent_may_not_add_a_model(agent_client):
    response = send(
        agent_client,
        "post",
        "/api/v1/catalogue/models",
        {"category": "refrigerator", "code": "X-2", "name": "x"},
    )

    assert_refused(response, 403, code="forbidden")
    assert not ProductModel.objects.filter(code="X-2").exists()


def test_a_model_create_is_idempotent_by_key(manager_client):
    body = {"category": "refrigerator", "code": "BCD-1", "name": "冰箱"}
    first = send(manager_client, "post", "/api/v1/catalogue/models", body, **{"Idempotency-Key": "m-1"})
    retry = send(manager_client, "post", "/api/v1/catalogue/models", body, **{"Idempotency-Key": "m-1"})

    assert first.status_code == retry.status_code == 201
    assert retry.json() == first.json()
    assert ProductModel.objects.filter(code="BCD-1").count() == 1


# --- By token --------------------------------------------------------------------------------


def test_the_archive_answers_a_bearer_token_as_it_answers_a_session(client, agent, customer):
    from kefu.accounts.services import issue_token

    _token, raw = issue_token(user=agent)

    response = client.get(f"/api/v1/customers/{customer.pk}", headers={"Authorization": f"Bearer {raw}"})

    assert response.status_code == 200
    assert response.json()["phones"] == [MASKED]


# --- Odd input never makes a 500 -------------------------------------------------------------

ODD_INPUT = [
    ("post", "/api/v1/customers", "[]"),
    ("post", "/api/v1/customers", "null"),
    ("post", "/api/v1/customers", json.dumps({"name": "x", "phones": "13812345678"})),
    ("post", "/api/v1/customers", json.dumps({"name": "x", "phones": [None]})),
    (
        "post",
        "/api/v1/customers",
        json.dumps({"name": "x", "phones": [FULL], "addresses": [{"province": 1}]}),
    ),
    ("post", "/api/v1/customers", json.dumps({"name": "x" * 500, "phones": [FULL], "email": "a" * 300})),
    ("post", "/api/v1/customers", json.dumps({"name": "x", "phones": [FULL], "preferred_time": "x" * 100})),
    ("get", "/api/v1/customers?limit=99999999999999999999999", None),
    ("get", "/api/v1/customers?cursor=WyJ4Il0", None),
    ("get", "/api/v1/customers/99999999999999999999999999", None),
    ("patch", "/api/v1/customers/{c}", json.dumps({"version": "abc"})),
    ("patch", "/api/v1/customers/{c}", json.dumps({"version": 1, "tier": None})),
    ("patch", "/api/v1/customers/{c}", json.dumps({"version": 1, "phones": []})),
    ("patch", "/api/v1/customers/{c}", json.dumps({"notes": "x"}), {"If-Match": "abc"}),
    ("post", "/api/v1/customers/{c}/products", json.dumps({"model": 10**20, "purchase_date": "2020-01-01"})),
    ("post", "/api/v1/customers/{c}/products", json.dumps({"model": 1, "purchase_date": "2020-02-30"})),
    (
        "post",
        "/api/v1/customers/{c}/products",
        json.dumps({"model": 1, "purchase_date": "2020-01-01", "serial_number": "x" * 100}),
    ),
    ("patch", "/api/v1/products/{p}", json.dumps({"version": 1, "model": None})),
    ("patch", "/api/v1/products/{p}", json.dumps({"version": 1, "warranty_end": "0001-01-01"})),
    (
        "post",
        "/api/v1/customers/{c}/life-events",
        json.dumps({"date": "2020-01-01", "description": "x" * 300}),
    ),
    (
        "post",
        "/api/v1/customers/{c}/life-events",
        json.dumps({"date": "2020-01-01", "description": "x", "product": 10**20}),
    ),
    (
        "post",
        "/api/v1/catalogue/models",
        json.dumps({"category": "tv", "code": "A", "name": "b", "warranty_months": 10**8}),
    ),
    ("post", "/api/v1/customers/{c}/reveal", json.dumps({"reason": "x" * 300})),
]


@pytest.mark.parametrize(("method", "path", "body", "headers"), [(*case, {})[:4] for case in ODD_INPUT])
def test_odd_input_is_a_4xx_in_the_error_shape(client, administrator, product, method, path, body, headers):
    client.force_login(administrator)
    path = path.format(c=product.customer_id, p=product.pk)
    before = counts()

    if body is None:
        response = getattr(client, method)(path)
    else:
        response = getattr(client, method)(path, body, content_type="application/json", headers=headers)

    assert 400 <= response.status_code < 500, response.content
    assert {"code", "message", "fields"} <= set(response.json())
    assert counts() == before
