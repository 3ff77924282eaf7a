"""Every write to the customer archive: its happy path, each refusal (which writes nothing)
and the audit and timeline rows it leaves."""

import datetime
import json

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from kefu.core.errors import StaleVersion
from kefu.core.masking import redact_phone
from kefu.core.models import AuditAction, AuditEvent
from kefu.customers import services
from kefu.customers.models import Customer, CustomerEvent, CustomerPhone, OwnedProduct
from tests.factories import AddressFactory, ProductModelFactory, customer_with_phone

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2026, 11, 23)
WUHAN = {"province": "湖北省", "city": "武汉市", "district": "洪山区", "detail": "珞喻路 1 号"}


def nothing_written():
    return not (Customer.objects.exists() or CustomerPhone.objects.exists() or AuditEvent.objects.exists())


def create(by, **fields):
    return services.create_customer(by=by, **{"name": "陈静", "phones": ["13812345678"], **fields})


# --- create_customer -----------------------------------------------------------------------


def test_create_customer_normalises_phones_and_puts_the_primary_first(agent):
    customer = create(agent, phones=["+86 139 8765 4321", "138 1234 5678", "13987654321"])
    phones = list(customer.phones.values_list("number", "last4", "is_primary"))
    assert phones == [("+8613987654321", "4321", True), ("+8613812345678", "5678", False)]


def test_create_customer_makes_the_first_address_the_default(agent):
    other = {**WUHAN, "detail": "光谷大道 9 号"}
    customer = create(agent, addresses=[WUHAN, other], consents={"survey": True})
    assert customer.addresses.get(is_default=True).detail == "珞喻路 1 号"
    assert customer.addresses.count() == 2
    assert customer.consents.get().is_granted is True


def test_create_customer_is_audited_with_its_phones_and_opens_the_timeline(agent):
    customer = create(agent)
    event = AuditEvent.objects.get(action=AuditAction.CREATE)
    assert event.changes["name"] == [None, "陈静"]
    assert event.changes["phones"] == [None, [redact_phone("+8613812345678")]]
    assert event.changes["phones"][1][0].startswith("138****5678 #")
    assert CustomerEvent.objects.get(customer=customer).kind == "customer_created"


@pytest.mark.parametrize(
    ("fields", "bad_field"),
    [
        ({"phones": ["12345"]}, "phones"),
        ({"phones": []}, "phones"),
        ({"name": "   "}, "name"),
        ({"phones": [f"1381234000{n}" for n in range(6)]}, "phones"),
        ({"consents": {"spam": True}}, "consents"),
        ({"tier": "gold"}, "tier"),
        ({"addresses": [{"province": "湖北省"}]}, "addresses"),
    ],
    ids=[
        "invalid phone",
        "no phone",
        "empty name",
        "too many phones",
        "unknown consent",
        "bad tier",
        "address",
    ],
)
def test_each_refusal_of_create_customer_names_the_field_and_writes_nothing(agent, fields, bad_field):
    with pytest.raises(ValidationError) as error:
        create(agent, **fields)
    assert bad_field in error.value.message_dict
    assert nothing_written()


# --- update_customer -----------------------------------------------------------------------


def test_update_customer_with_a_stale_version_is_refused_and_writes_nothing(agent):
    customer = create(agent)
    services.update_customer(by=agent, customer_id=customer.pk, version=1, changes={"notes": "first"})
    count = AuditEvent.objects.count()
    with pytest.raises(StaleVersion) as error:
        services.update_customer(by=agent, customer_id=customer.pk, version=1, changes={"name": "王芳"})
    assert error.value.current_version == 2
    customer.refresh_from_db()
    assert (customer.name, customer.version) == ("陈静", 2)
    assert AuditEvent.objects.count() == count


def test_update_customer_replaces_phones_and_audits_before_and_after(agent):
    customer = create(agent)
    updated = services.update_customer(
        by=agent,
        customer_id=customer.pk,
        version=1,
        changes={"name": "陈晓静", "phones": ["139 8765 4321"]},
    )
    assert updated.version == 2
    assert list(updated.phones.values_list("number", flat=True)) == ["+8613987654321"]
    event = AuditEvent.objects.get(action=AuditAction.UPDATE)
    assert event.changes["name"] == ["陈静", "陈晓静"]
    assert event.changes["phones"] == [[redact_phone("+8613812345678")], [redact_phone("+8613987654321")]]
    assert "13812345678" not in json.dumps(event.changes)
    assert "13987654321" not in json.dumps(event.changes)


def test_two_numbers_that_mask_alike_are_told_apart_in_the_trail(agent):
    customer = create(agent, phones=["13312345518"])
    services.update_customer(
        by=agent, customer_id=customer.pk, version=1, changes={"phones": ["13398765518"]}
    )

    before, after = AuditEvent.objects.get(action=AuditAction.UPDATE).changes["phones"]
    assert before[0].split(" #")[0] == after[0].split(" #")[0] == "133****5518"
    assert before != after


def test_update_customer_with_nothing_changed_writes_nothing(agent):
    customer = create(agent)
    services.update_customer(by=agent, customer_id=customer.pk, version=1, changes={"name": "陈静"})
    customer.refresh_from_db()
    assert customer.version == 1
    assert not AuditEvent.objects.filter(action=AuditAction.UPDATE).exists()


def test_update_customer_refuses_an_unknown_field(agent):
    customer = create(agent)
    with pytest.raises(ValidationError) as error:
        services.update_customer(by=agent, customer_id=customer.pk, version=1, changes={"version": 9})
    assert "version" in error.value.message_dict


def test_an_invalid_phone_in_an_update_keeps_the_old_numbers(agent):
    customer = create(agent)
    with pytest.raises(ValidationError):
        services.update_customer(by=agent, customer_id=customer.pk, version=1, changes={"phones": ["1"]})
    assert list(customer.phones.values_list("number", flat=True)) == ["+8613812345678"]


# --- products ------------------------------------------------------------------------------


@pytest.fixture
def customer(db):
    return customer_with_phone()


@pytest.fixture
def model(db):
    return ProductModelFactory(code="KFR-35GW/BP", warranty_months=36)


def register(by, customer, model, **fields):
    values = {"purchased_on": datetime.date(2024, 1, 31), "serial_number": "BH01234567", "today": TODAY}
    return services.register_product(by=by, customer=customer, model=model, **{**values, **fields})


def test_register_product_takes_the_warranty_from_the_model(agent, customer, model):
    product = register(agent, customer, model)
    assert product.warranty_ends_on == datetime.date(2027, 1, 31)
    assert product.install_address == customer.addresses.get(is_default=True)
    assert AuditEvent.objects.filter(action=AuditAction.CREATE, target_id=str(product.pk)).exists()


def test_register_product_writes_a_timeline_entry_on_the_purchase_date(agent, customer, model):
    product = register(agent, customer, model)
    entry = CustomerEvent.objects.get(subject_type="customers.ownedproduct", subject_id=product.pk)
    assert timezone.localtime(entry.occurred_at).date() == datetime.date(2024, 1, 31)
    assert entry.has_time is False  # a purchase date, not a moment
    assert entry.data["serial_number"] == "BH01234567"


def test_a_future_purchase_date_is_refused(agent, customer, model):
    with pytest.raises(ValidationError) as error:
        register(agent, customer, model, purchased_on=TODAY + datetime.timedelta(days=1))
    assert "purchased_on" in error.value.message_dict
    assert not OwnedProduct.objects.exists()


@pytest.mark.parametrize("serial", ["BH01234567", "bh0123 4567", " BH 0123 4567 "])
def test_the_same_serial_for_the_same_model_is_refused_however_typed(agent, customer, model, serial):
    register(agent, customer, model)
    with pytest.raises(ValidationError) as error:
        register(agent, customer_with_phone(number="+8613900000000"), model, serial_number=serial)
    assert "serial_number" in error.value.message_dict
    assert OwnedProduct.objects.count() == 1


def test_the_same_serial_for_another_model_is_allowed(agent, customer, model):
    register(agent, customer, model)
    register(agent, customer, ProductModelFactory(code="XQG100"))
    assert OwnedProduct.objects.filter(serial_number="BH01234567").count() == 2


def test_an_install_address_of_another_customer_is_refused(agent, customer, model):
    stranger_address = AddressFactory()
    with pytest.raises(ValidationError) as error:
        register(agent, customer, model, install_address=stranger_address)
    assert "install_address" in error.value.message_dict
    assert not OwnedProduct.objects.exists()


def test_update_product_keeps_the_timeline_entry_date_true(agent, customer, model):
    product = register(agent, customer, model)
    services.update_product(
        by=agent,
        product_id=product.pk,
        version=1,
        changes={"purchased_on": datetime.date(2023, 6, 1)},
        today=TODAY,
    )
    entry = CustomerEvent.objects.get(subject_type="customers.ownedproduct", subject_id=product.pk)
    assert timezone.localtime(entry.occurred_at).date() == datetime.date(2023, 6, 1)
    product.refresh_from_db()
    assert product.version == 2


def test_update_product_with_a_stale_version_is_refused(agent, customer, model):
    product = register(agent, customer, model)
    services.update_product(by=agent, product_id=product.pk, version=1, changes={"notes": "a"}, today=TODAY)
    with pytest.raises(StaleVersion):
        services.update_product(
            by=agent, product_id=product.pk, version=1, changes={"notes": "b"}, today=TODAY
        )
    product.refresh_from_db()
    assert product.notes == "a"


def test_next_birthday_of_a_29_february_purchase(agent, customer, model):
    product = register(agent, customer, model, purchased_on=datetime.date(2024, 2, 29))
    assert product.next_birthday(datetime.date(2026, 1, 1)) == (datetime.date(2026, 2, 28), 2)
    assert product.next_birthday(datetime.date(2026, 3, 1)) == (datetime.date(2027, 2, 28), 3)
    assert product.next_birthday(datetime.date(2028, 2, 29)) == (datetime.date(2028, 2, 29), 4)
    assert product.next_birthday(datetime.date(2024, 2, 29)) == (datetime.date(2025, 2, 28), 1)


# --- life events ---------------------------------------------------------------------------


def test_record_life_event_ties_a_date_to_a_product(agent, customer, model):
    product = register(agent, customer, model)
    event = services.record_life_event(
        by=agent,
        customer=customer,
        occurred_on=datetime.date(2024, 1, 31),
        description="女儿出生",
        product=product,
    )
    assert event.product == product
    assert CustomerEvent.objects.filter(subject_type="customers.lifeevent", subject_id=event.pk).exists()


def test_record_life_event_refuses_a_product_of_another_customer(agent, customer, model):
    product = register(agent, customer, model)
    other = customer_with_phone(number="+8613900000000")
    with pytest.raises(ValidationError) as error:
        services.record_life_event(
            by=agent,
            customer=other,
            occurred_on=datetime.date(2024, 1, 31),
            description="搬家",
            product=product,
        )
    assert "product" in error.value.message_dict
    assert not other.life_events.exists()


def test_saying_no_to_purposes_never_asked_about_changes_nothing(agent):
    customer = create(agent)
    answers = {"service": False, "survey": False, "care": False, "marketing": False}

    services.update_customer(by=agent, customer_id=customer.pk, version=1, changes={"consents": answers})

    customer.refresh_from_db()
    assert customer.version == 1
    assert not customer.consents.exists()
    assert not AuditEvent.objects.filter(action=AuditAction.UPDATE).exists()
