"""Reading the customer archive's input as people type it: names, phone lists, addresses,
consents and serial numbers. Each cleaner returns the clean value and records what is wrong
in a FieldErrors, so a service can report every bad field at once."""

from collections.abc import Mapping, Sequence

from django.utils.translation import gettext_lazy as _

from kefu.core.validation import FieldErrors
from kefu.customers.models import ConsentPurpose
from kefu.customers.phones import normalise_phone

ADDRESS_PARTS = ("province", "city", "district", "detail")
MAX_PHONES = 5
MAX_ADDRESSES = 5


def clean_name(errors: FieldErrors, name) -> str:
    name = (name or "").strip()
    if not name:
        errors.add("name", _("Enter the customer's name."))
    elif len(name) > 100:
        errors.add("name", _("The name is longer than 100 characters."))
    return name


def clean_phones(errors: FieldErrors, phones: Sequence[str]) -> list[str]:
    numbers: list[str] = []
    for raw in phones:
        number = errors.check("phones", normalise_phone, raw)
        if number and number not in numbers:
            numbers.append(number)
    if not numbers and "phones" not in errors.by_field:
        errors.add("phones", _("Enter at least one phone number."))
    if len(numbers) > MAX_PHONES:
        errors.add("phones", _("A customer has at most %(n)d phone numbers.") % {"n": MAX_PHONES})
    return numbers


def clean_addresses(errors: FieldErrors, addresses: Sequence[Mapping[str, str]]) -> list[dict[str, str]]:
    cleaned = []
    for item in addresses:
        address = {part: (item.get(part) or "").strip() for part in ADDRESS_PARTS}
        for part in ("province", "city", "detail"):
            if not address[part]:
                errors.add("addresses", _("An address needs a province, a city and a street address."))
                break
        cleaned.append(address)
    if len(cleaned) > MAX_ADDRESSES:
        errors.add("addresses", _("A customer has at most %(n)d addresses.") % {"n": MAX_ADDRESSES})
    return cleaned


def clean_consents(errors: FieldErrors, consents: Mapping[str, bool]) -> dict[str, bool]:
    for purpose, granted in consents.items():
        if purpose not in ConsentPurpose.values:
            errors.add("consents", _("“%(value)s” is not a consent purpose.") % {"value": purpose})
        elif not isinstance(granted, bool):
            errors.add("consents", _("A consent is either given or not (true or false)."))
    return dict(consents)


def clean_serial(serial: str) -> str:
    """Serial numbers are compared without spaces and in capitals, as printed on the label."""
    return "".join((serial or "").split()).upper()
