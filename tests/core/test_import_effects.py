"""Importing a module changes nothing outside it: no lookup registered on every CharField of the
project, no table of field names shared by every API operation."""

import json

import pytest
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import IntegrityError, models
from django.test import RequestFactory

from kefu.core.api.errors import api_field_names, handle_validation_error
from kefu.customers.models import CustomerPhone
from tests.factories import CustomerFactory


def test_no_app_registers_a_lookup_on_every_char_field():
    # Every app is loaded (pytest-django set Django up): none added `__length` to CharField.
    assert "length" not in models.CharField.get_lookups()


@pytest.mark.django_db
@pytest.mark.parametrize("last4", ["123", ""])  # longer: the column itself refuses it (PostgreSQL)
def test_the_last_four_digits_are_still_four_characters_in_the_database(last4):
    customer = CustomerFactory()

    CustomerPhone.objects.create(customer=customer, number="+8613812345678", last4="5678", is_primary=False)

    with pytest.raises(IntegrityError):
        CustomerPhone.objects.create(
            customer=customer, number="+8613912345678", last4=last4, is_primary=False
        )


def answer(error: ValidationError) -> dict:
    return json.loads(handle_validation_error(RequestFactory().post("/api/v1/x"), error).content)


def test_an_error_keeps_the_service_field_names_unless_its_endpoint_renames_them():
    refusal = ValidationError({"purchased_on": ["Not in the future."]})

    assert answer(refusal)["fields"] == {"purchased_on": ["Not in the future."]}

    @api_field_names({"purchase_date": "purchased_on", "date": "occurred_on"})
    def endpoint(request, payload):
        """An endpoint."""
        raise ValidationError(
            {"purchased_on": ["Not in the future."], "notes": ["Too long."], NON_FIELD_ERRORS: ["Also this."]}
        )

    with pytest.raises(ValidationError) as renamed:
        endpoint(None, payload={})

    assert renamed.value.message_dict == {
        "purchase_date": ["Not in the future."],
        "notes": ["Too long."],
        NON_FIELD_ERRORS: ["Also this."],
    }
    assert endpoint.__name__ == "endpoint"
    assert endpoint.__doc__ == "An endpoint."
