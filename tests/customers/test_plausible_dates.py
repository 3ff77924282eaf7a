"""Implausible dates are refused with a clear message and nothing written (issue 11): a purchase
before 1980 or in the future, a life event more than a year ahead. In the service, the API and
the forms alike."""

import datetime
import json

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from kefu.core.models import AuditEvent
from kefu.customers import services
from kefu.customers.models import CustomerEvent, LifeEvent, OwnedProduct
from kefu.customers.validation import latest_life_event
from tests.factories import ProductModelFactory

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2026, 11, 23)


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def customer(agent):
    return services.create_customer(
        by=agent,
        name="陈静",
        phones=["13812345678"],
        addresses=[{"province": "湖北省", "city": "武汉市", "district": "洪山区", "detail": "珞喻路 1 号"}],
    )


def written() -> tuple[int, ...]:
    return (
        OwnedProduct.objects.count(),
        LifeEvent.objects.count(),
        CustomerEvent.objects.count(),
        AuditEvent.objects.count(),
    )


def register(agent, customer, purchased_on, **fields):
    return services.register_product(
        by=agent,
        customer=customer,
        model=ProductModelFactory(),
        purchased_on=purchased_on,
        today=TODAY,
        **fields,
    )


# --- Service --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "purchased_on",
    [datetime.date(1979, 12, 31), datetime.date(1900, 1, 1), TODAY + datetime.timedelta(days=1)],
    ids=["the day before 1980", "1900", "tomorrow"],
)
def test_an_implausible_purchase_date_is_refused_and_nothing_is_written(agent, customer, purchased_on):
    before = written()

    with pytest.raises(ValidationError) as refusal:
        register(agent, customer, purchased_on)

    assert list(refusal.value.message_dict) == ["purchased_on"]
    assert written() == before


@pytest.mark.parametrize("purchased_on", [datetime.date(1980, 1, 1), TODAY], ids=["1 January 1980", "today"])
def test_the_first_and_last_plausible_purchase_dates_are_accepted(agent, customer, purchased_on):
    assert register(agent, customer, purchased_on).purchased_on == purchased_on


def test_a_product_cannot_be_changed_to_an_implausible_purchase_date(agent, customer):
    product = register(agent, customer, datetime.date(2020, 5, 1))
    before = written()

    with pytest.raises(ValidationError) as refusal:
        services.update_product(
            by=agent,
            product_id=product.pk,
            version=product.version,
            changes={"purchased_on": datetime.date(1975, 5, 1)},
            today=TODAY,
        )

    assert "1980-01-01" in refusal.value.message_dict["purchased_on"][0]
    assert OwnedProduct.objects.get(pk=product.pk).purchased_on == datetime.date(2020, 5, 1)
    assert written() == before


def test_a_life_event_more_than_a_year_ahead_is_refused_and_nothing_is_written(agent, customer):
    before = written()

    with pytest.raises(ValidationError) as refusal:
        services.record_life_event(
            by=agent,
            customer=customer,
            occurred_on=datetime.date(2027, 11, 24),
            description="婚礼",
            today=TODAY,
        )

    assert list(refusal.value.message_dict) == ["occurred_on"]
    assert "2027-11-23" in refusal.value.message_dict["occurred_on"][0]
    assert written() == before


@pytest.mark.parametrize(
    "occurred_on",
    [datetime.date(2027, 11, 23), TODAY, datetime.date(1950, 6, 1)],
    ids=["a year ahead", "today", "long ago"],
)
def test_a_life_event_up_to_a_year_ahead_is_accepted(agent, customer, occurred_on):
    event = services.record_life_event(
        by=agent, customer=customer, occurred_on=occurred_on, description="婚礼", today=TODAY
    )

    assert event.occurred_on == occurred_on


def test_a_year_ahead_of_29_february_is_28_february():
    assert latest_life_event(datetime.date(2028, 2, 29)) == datetime.date(2029, 2, 28)


# --- API ------------------------------------------------------------------------------------


def post(client, path, data):
    return client.post(path, json.dumps(data), content_type="application/json")


# Inside the schema's range of dates (1900–2199), so the service's rule answers, with a 422.
@pytest.mark.parametrize("purchase_date", ["1979-12-31", "2100-01-01"])
def test_the_api_refuses_an_implausible_purchase_date_with_422(agent, client, customer, purchase_date):
    client.force_login(agent)
    before = written()

    response = post(
        client,
        f"/api/v1/customers/{customer.pk}/products",
        {"model": ProductModelFactory().pk, "purchase_date": purchase_date},
    )

    assert response.status_code == 422, response.content
    assert response.json()["fields"]["purchase_date"]
    assert "purchase_date" in response.json()["message"]
    assert written() == before


def test_the_api_refuses_a_life_event_more_than_a_year_ahead_with_422(agent, client, customer):
    client.force_login(agent)
    too_late = latest_life_event(timezone.localdate()) + datetime.timedelta(days=1)
    before = written()

    response = post(
        client,
        f"/api/v1/customers/{customer.pk}/life-events",
        {"date": too_late.isoformat(), "description": "婚礼"},
    )

    assert response.status_code == 422, response.content
    assert response.json()["fields"]["date"]
    assert written() == before


# --- Forms ----------------------------------------------------------------------------------


def test_the_product_form_shows_an_implausible_date_beside_the_field(agent, client, customer):
    model = ProductModelFactory()
    client.force_login(agent)
    before = written()

    response = client.post(
        reverse("customers:product_create", args=[customer.pk]),
        {
            "category": model.category.code,
            "model": model.pk,
            "purchased_on": "1979-06-01",
            "purchase_channel": "store",
        },
    )

    assert response.status_code == 200
    assert response.context["form"].errors["purchased_on"]
    assert written() == before


def test_the_product_form_offers_only_plausible_dates(agent, client, customer):
    client.force_login(agent)

    form = client.get(reverse("customers:product_create", args=[customer.pk])).context["form"]

    attrs = form.fields["purchased_on"].widget.attrs
    assert attrs["min"] == "1980-01-01"
    assert attrs["max"] == timezone.localdate().isoformat()


def test_the_life_event_form_shows_a_date_too_far_ahead_beside_the_field(agent, client, customer):
    client.force_login(agent)
    too_late = latest_life_event(timezone.localdate()) + datetime.timedelta(days=1)
    before = written()

    response = client.post(
        reverse("customers:life_event_create", args=[customer.pk]),
        {"occurred_on": too_late.isoformat(), "kind": "wedding", "description": "婚礼"},
    )

    assert response.status_code == 200
    assert response.context["form"].errors["occurred_on"]
    assert written() == before
