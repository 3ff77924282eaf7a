"""The customer archive's admin: every change through the services, phones by customers.privacy."""

import json

import pytest
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse

from kefu.core.masking import redact_phone
from kefu.core.models import AuditAction, AuditEvent
from kefu.customers import services
from kefu.customers.models import (
    Customer,
    CustomerEvent,
    CustomerPhone,
    OwnedProduct,
    ProductCategory,
    ProductModel,
)
from tests.admin_pages import admin_url, form_data
from tests.factories import OwnedProductFactory, customer_with_phone

MOBILE = "+8613812345678"


@pytest.fixture
def admin_client(client, administrator):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    client.force_login(administrator)
    return client


@pytest.fixture
def staff_client(client):
    """A client for a user of some role, made staff so that the admin lets them in."""

    def login(user):
        user.is_staff = True
        user.save()
        client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
        client.force_login(user)
        return client

    return login


@pytest.fixture
def customer(db):
    return customer_with_phone(MOBILE, name="陈静")


def reveal_rows(**filters) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=AuditAction.REVEAL, **filters))


def new_customer_post(**phones) -> dict:
    data = {
        "name": "王芳",
        "tier": "regular",
        "preferred_channel": "phone",
        "consents_given": ["service"],
        "consent_source": "热线电话",
        "phones-TOTAL_FORMS": "1",
        "phones-INITIAL_FORMS": "0",
        "addresses-TOTAL_FORMS": "1",
        "addresses-INITIAL_FORMS": "0",
        "addresses-0-province": "湖北省",
        "addresses-0-city": "武汉市",
        "addresses-0-detail": "珞喻路 1 号",
        "addresses-0-is_default": "on",
    }
    data.update(phones)
    return data


def errors_of(response) -> str:
    return " ".join(str(error) for error in response.context["errors"]) if response.context else ""


# --- Adding -----------------------------------------------------------------------------------


def test_an_admin_create_without_a_phone_is_refused_and_nothing_is_written(admin_client):
    response = admin_client.post(admin_url(Customer, "add"), new_customer_post())

    assert response.status_code == 200
    assert "Enter at least one phone number." in errors_of(response)
    assert not Customer.objects.exists()
    assert not AuditEvent.objects.exists()
    assert not CustomerEvent.objects.exists()


def test_an_admin_create_goes_through_create_customer(admin_client, administrator, monkeypatch):
    calls = []
    create = services.create_customer
    monkeypatch.setattr(services, "create_customer", lambda **kw: calls.append(kw) or create(**kw))

    response = admin_client.post(
        admin_url(Customer, "add"), new_customer_post(**{"phones-0-new_number": "138 0000 1234"})
    )

    assert response.status_code == 302, errors_of(response)
    customer = Customer.objects.get(name="王芳")
    assert [call["phones"] for call in calls] == [["+8613800001234"]]
    assert list(customer.phones.values_list("number", "last4", "is_primary")) == [
        ("+8613800001234", "1234", True)
    ]
    assert customer.addresses.get().is_default
    assert dict(customer.consents.values_list("purpose", "is_granted"))["service"] is True
    assert customer.consents.get(purpose="service").source == "热线电话"
    created = AuditEvent.objects.get(action=AuditAction.CREATE, target_id=str(customer.pk))
    assert created.actor == administrator
    assert created.changes["phones"] == [None, [redact_phone("+8613800001234")]]
    assert CustomerEvent.objects.filter(customer=customer, kind="customer_created").count() == 1


# --- Changing ---------------------------------------------------------------------------------


def test_inline_phone_edits_go_through_the_service_under_its_lock_and_bump_the_version_once(
    admin_client, customer, monkeypatch
):
    locked = []
    lock = services.lock_for_update
    monkeypatch.setattr(
        services,
        "lock_for_update",
        lambda qs, pk, version: locked.append((qs.model, pk, version)) or lock(qs, pk, version),
    )
    url = admin_url(Customer, "change", customer.pk)
    data = form_data(admin_client.get(url))
    # A new number, typed as people type it, becomes the primary one; the name changes too.
    data["phones-1-new_number"] = "+86 139-8765-4321"
    data["phones-1-is_primary"] = "on"
    data.pop("phones-0-is_primary")
    data["name"] = "陈晓静"

    response = admin_client.post(url, data)

    assert response.status_code == 302, errors_of(response)
    assert locked == [(Customer, customer.pk, 1)]
    customer.refresh_from_db()
    assert (customer.name, customer.version) == ("陈晓静", 2)
    assert list(customer.phones.values_list("number", "is_primary")) == [
        ("+8613987654321", True),
        (MOBILE, False),
    ]
    (event,) = AuditEvent.objects.filter(action=AuditAction.UPDATE)
    assert event.target_id == str(customer.pk)
    assert event.changes["name"] == ["陈静", "陈晓静"]
    assert event.changes["phones"] == [
        [redact_phone(MOBILE)],
        [redact_phone("+8613987654321"), redact_phone(MOBILE)],
    ]
    # The service audits the record; the admin writes no row of its own for the phone rows.
    assert not AuditEvent.objects.filter(
        target_type=ContentType.objects.get_for_model(CustomerPhone)
    ).exists()
    trail = json.dumps(list(AuditEvent.objects.values_list("changes", flat=True)))
    assert "13987654321" not in trail


def test_a_stale_version_is_refused_and_nothing_is_written(admin_client, customer, administrator):
    url = admin_url(Customer, "change", customer.pk)
    data = form_data(admin_client.get(url))
    services.update_customer(by=administrator, customer_id=customer.pk, version=1, changes={"notes": "x"})
    data["name"] = "陈晓静"
    data["phones-1-new_number"] = "13987654321"

    response = admin_client.post(url, data, follow=True)

    assert "Someone else changed this record" in response.content.decode()
    customer.refresh_from_db()
    assert (customer.name, customer.version) == ("陈静", 2)
    assert list(customer.phones.values_list("number", flat=True)) == [MOBILE]
    assert AuditEvent.objects.filter(action=AuditAction.UPDATE).count() == 1  # the other change


def test_an_unchanged_save_writes_nothing(admin_client, customer):
    url = admin_url(Customer, "change", customer.pk)
    response = admin_client.post(url, form_data(admin_client.get(url)))

    assert response.status_code == 302, errors_of(response)
    customer.refresh_from_db()
    assert customer.version == 1
    assert not AuditEvent.objects.filter(action=AuditAction.UPDATE).exists()


def test_addresses_and_consents_are_saved_by_the_service_in_the_same_version(admin_client, customer):
    url = admin_url(Customer, "change", customer.pk)
    data = form_data(admin_client.get(url))
    data["addresses-0-detail"] = "珞喻路 99 号"
    data["consents_given"] = ["care"]
    data["consent_source"] = "上门时口头同意"

    response = admin_client.post(url, data)

    assert response.status_code == 302, errors_of(response)
    customer.refresh_from_db()
    assert customer.version == 2
    assert customer.addresses.get().detail == "珞喻路 99 号"
    assert customer.consents.get(purpose="care").source == "上门时口头同意"
    (event,) = AuditEvent.objects.filter(action=AuditAction.UPDATE)
    assert set(event.changes) == {"addresses", "consents"}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"phones-1-new_number": "13987654321", "phones-1-is_primary": "on"}, "exactly one phone number"),
        ({"phones-1-new_number": "12345"}, "is not a valid phone number"),
        ({"phones-1-new_number": "138 1234 5678"}, "entered twice"),
        ({"phones-0-DELETE": "on"}, "Enter at least one phone number."),
    ],
)
def test_a_refused_phone_edit_writes_nothing(admin_client, customer, change, message):
    url = admin_url(Customer, "change", customer.pk)
    data = {**form_data(admin_client.get(url)), **change}

    response = admin_client.post(url, data)

    assert response.status_code == 200
    assert message in response.content.decode()
    customer.refresh_from_db()
    assert customer.version == 1
    assert list(customer.phones.values_list("number", flat=True)) == [MOBILE]
    assert not AuditEvent.objects.filter(action=AuditAction.UPDATE).exists()


def test_an_agent_who_sees_numbers_masked_removes_one_without_seeing_it(staff_client, agent, customer):
    services.update_customer(
        by=agent, customer_id=customer.pk, version=1, changes={"phones": [MOBILE, "+8613987654321"]}
    )
    client = staff_client(agent)
    url = admin_url(Customer, "change", customer.pk)
    page = client.get(url)
    assert "12345678" not in page.content.decode()
    assert "87654321" not in page.content.decode()
    data = form_data(page)
    data["phones-1-DELETE"] = "on"

    response = client.post(url, data)

    assert response.status_code == 302, errors_of(response)
    assert list(customer.phones.values_list("number", flat=True)) == [MOBILE]
    assert not reveal_rows()


def test_customers_are_not_deleted_in_the_admin(admin_client, customer):
    response = admin_client.post(admin_url(Customer, "delete", customer.pk), {"post": "yes"})

    assert response.status_code == 403
    assert Customer.objects.filter(pk=customer.pk).exists()


# --- Phones shown by customers.privacy ---------------------------------------------------------


def test_a_supervisors_visit_of_a_customer_page_writes_no_reveal_row(staff_client, supervisor, customer):
    response = staff_client(supervisor).get(admin_url(Customer, "change", customer.pk))

    assert response.status_code == 200
    page = response.content.decode()
    assert "13812345678" not in page
    assert "138****5678" in page
    assert "Show numbers" in page  # a supervisor may ask
    assert not reveal_rows()


def test_a_role_that_may_not_reveal_is_offered_no_reveal_and_is_refused_one(
    staff_client, technician, customer
):
    client = staff_client(technician)
    page = client.get(admin_url(Customer, "change", customer.pk)).content.decode()
    assert "Show numbers" not in page

    response = client.post(reverse("admin:customers_customer_reveal_phones", args=[customer.pk]))

    assert response.status_code == 403
    assert not reveal_rows()


def test_an_explicit_reveal_in_the_admin_writes_exactly_one_row(staff_client, supervisor, customer):
    client = staff_client(supervisor)
    url = reverse("admin:customers_customer_reveal_phones", args=[customer.pk])

    assert client.get(url).status_code == 405  # only on an explicit request, a POST
    assert not reveal_rows()
    response = client.post(url)

    assert response.status_code == 200
    assert "13812345678" in response.content.decode()
    (row,) = reveal_rows()
    assert (row.actor, row.target_id, row.changes) == (supervisor, str(customer.pk), {"fields": ["phones"]})


def test_the_reveal_needs_the_csrf_token(client, supervisor, customer):
    supervisor.is_staff = True
    supervisor.save()
    client = type(client)(enforce_csrf_checks=True)
    client.force_login(supervisor)

    response = client.post(reverse("admin:customers_customer_reveal_phones", args=[customer.pk]))

    assert response.status_code == 403
    assert not reveal_rows()


def test_whoever_sees_numbers_in_full_sees_them_on_the_page_with_one_row(admin_client, customer):
    response = admin_client.get(admin_url(Customer, "change", customer.pk))

    assert "13812345678" in response.content.decode()
    (row,) = reveal_rows()
    assert row.reason == "view"


def test_the_customer_list_shows_no_numbers(staff_client, supervisor, customer):
    response = staff_client(supervisor).get(admin_url(Customer, "changelist"))

    assert response.status_code == 200
    assert "5678" not in response.content.decode()
    assert not reveal_rows()


# --- Products and the catalogue ----------------------------------------------------------------


def test_a_product_model_is_added_through_the_service_and_then_only_shown(admin_client, administrator):
    category = ProductCategory.objects.order_by("pk").first()
    response = admin_client.post(
        admin_url(ProductModel, "add"),
        {"category": category.pk, "code": " KFR-99 ", "name": "测试空调", "warranty_months": "36"},
    )

    assert response.status_code == 302, errors_of(response)
    model = ProductModel.objects.get(code="KFR-99")
    assert AuditEvent.objects.filter(
        action=AuditAction.CREATE, target_id=str(model.pk), actor=administrator
    ).exists()
    changed = admin_client.post(admin_url(ProductModel, "change", model.pk), {"name": "改名", "code": "X"})
    assert changed.status_code == 403
    model.refresh_from_db()
    assert model.name == "测试空调"


def test_product_categories_are_only_shown(admin_client, db):
    category = ProductCategory.objects.order_by("pk").first()

    assert admin_client.get(admin_url(ProductCategory, "add")).status_code == 403
    response = admin_client.post(admin_url(ProductCategory, "change", category.pk), {"name": "x"})
    assert response.status_code == 403


def test_a_product_change_with_a_stale_version_is_refused(admin_client, administrator, customer):
    product = OwnedProductFactory(customer=customer)
    url = admin_url(OwnedProduct, "change", product.pk)
    data = form_data(admin_client.get(url))
    services.update_product(by=administrator, product_id=product.pk, version=1, changes={"notes": "x"})
    data["serial_number"] = "SN-NEW"

    response = admin_client.post(url, data, follow=True)

    assert "Someone else changed this record" in response.content.decode()
    product.refresh_from_db()
    assert (product.version, product.notes) == (2, "x")
