"""Reading the customer archive's input as people type it: names, phone lists, addresses,
consents, serial numbers and a product's values. Each cleaner returns the clean value and
records what is wrong in a FieldErrors, so a service can report every bad field at once."""

import datetime
from collections.abc import Mapping, Sequence

from django.utils.translation import gettext_lazy as _

from kefu.core.dates import add_months
from kefu.core.validation import TEXT_MAX, FieldErrors
from kefu.customers.models import (
    Address,
    Consent,
    ConsentPurpose,
    Customer,
    OwnedProduct,
    ProductModel,
    ProductStatus,
    PurchaseChannel,
)
from kefu.customers.phones import normalise_phone

ADDRESS_PARTS = ("province", "city", "district", "detail")
MAX_PHONES = 5
MAX_ADDRESSES = 5
# Longer than any real number typed with spaces, dashes and a country code.
MAX_PHONE_LENGTH = 40
MAX_WARRANTY_MONTHS = 240
# Dates outside these bounds are typing slips (19 for 2019, a wrong year picked): no appliance
# in the archive was bought before 1980, and a life event is planned at most a year ahead.
EARLIEST_PURCHASE = datetime.date(1980, 1, 1)
LIFE_EVENT_MONTHS_AHEAD = 12


def clean_name(errors: FieldErrors, name) -> str:
    name = (name or "").strip()
    if not name:
        errors.add("name", _("Enter the customer's name."))
    elif len(name) > 100:
        errors.add("name", _("The name is longer than 100 characters."))
    return name


def clean_phones(errors: FieldErrors, phones: Sequence[str]) -> list[str]:
    """The numbers in E.164, first one first, each once. More than MAX_PHONES is refused before
    any is read, so a long list costs nothing."""
    if len(phones) > MAX_PHONES:
        errors.add("phones", _("A customer has at most %(n)d phone numbers.") % {"n": MAX_PHONES})
        return []
    numbers: dict[str, None] = {}  # ordered, and a repeated number is kept once
    for raw in phones:
        if len(raw or "") > MAX_PHONE_LENGTH:
            errors.length("phones", raw, MAX_PHONE_LENGTH)
            continue
        number = errors.check("phones", normalise_phone, raw)
        if number:
            numbers[number] = None
    if not numbers and "phones" not in errors.by_field:
        errors.add("phones", _("Enter at least one phone number."))
    return list(numbers)


def clean_addresses(errors: FieldErrors, addresses: Sequence[Mapping[str, str]]) -> list[dict[str, str]]:
    if len(addresses) > MAX_ADDRESSES:
        errors.add("addresses", _("A customer has at most %(n)d addresses.") % {"n": MAX_ADDRESSES})
        return []
    cleaned = []
    for item in addresses:
        address = {part: (item.get(part) or "").strip() for part in ADDRESS_PARTS}
        for part in ("province", "city", "detail"):
            if not address[part]:
                errors.add("addresses", _("An address needs a province, a city and a street address."))
                break
        for part in ADDRESS_PARTS:
            limit = Address._meta.get_field(part).max_length
            if len(address[part]) > limit:
                errors.add(
                    "addresses",
                    _("%(part)s: enter at most %(limit)d characters.")
                    % {"part": Address._meta.get_field(part).verbose_name, "limit": limit},
                )
        cleaned.append(address)
    return cleaned


def clean_consents(
    errors: FieldErrors, consents: Mapping[str, bool], source: str
) -> tuple[dict[str, bool], str]:
    """The consents given (purpose → bool) and how they were given."""
    for purpose, granted in consents.items():
        if purpose not in ConsentPurpose.values:
            errors.add("consents", _("“%(value)s” is not a consent purpose.") % {"value": purpose})
        elif not isinstance(granted, bool):
            errors.add("consents", _("A consent is either given or not (true or false)."))
    source = (source or "").strip()
    errors.length("consent_source", source, Consent._meta.get_field("source").max_length)
    return {str(purpose): granted for purpose, granted in consents.items()}, source


def check_purchase_date(errors: FieldErrors, purchased_on: datetime.date, today: datetime.date) -> None:
    """A purchase happened between EARLIEST_PURCHASE and today."""
    if purchased_on < EARLIEST_PURCHASE:
        errors.add(
            "purchased_on",
            _("The purchase date cannot be before %(earliest)s.")
            % {"earliest": EARLIEST_PURCHASE.isoformat()},
        )
    elif purchased_on > today:
        errors.add("purchased_on", _("The purchase date cannot be in the future."))


def latest_life_event(today: datetime.date) -> datetime.date:
    """The last date a life event may have: a year from today (28 February for 29 February)."""
    return add_months(today, LIFE_EVENT_MONTHS_AHEAD)


def check_life_event_date(errors: FieldErrors, occurred_on: datetime.date, today: datetime.date) -> None:
    """A life event may be a planned one (a wedding next spring), but not more than a year ahead."""
    if occurred_on > latest_life_event(today):
        errors.add(
            "occurred_on",
            _("The date cannot be more than a year ahead (after %(latest)s).")
            % {"latest": latest_life_event(today).isoformat()},
        )


def clean_serial(serial: str) -> str:
    """Serial numbers are compared without spaces and in capitals, as printed on the label."""
    return "".join((serial or "").split()).upper()


def product_errors(
    *,
    customer: Customer,
    model: ProductModel | None,
    serial_number: str,
    purchased_on: datetime.date | None,
    purchase_channel: str,
    install_address: Address | None,
    warranty_ends_on: datetime.date | None,
    status: str,
    exclude_pk: int | None,
    today: datetime.date,
    notes: str = "",
) -> FieldErrors:
    """Every problem of a product's values, as register_product and update_product check them
    (and a form that shows them before it saves). The serial number is expected clean
    (clean_serial); the duplicate check asks the database, excluding `exclude_pk`."""
    errors = FieldErrors()
    if model is None:
        errors.add("model", _("Choose the product model."))
    if purchased_on is None:
        errors.add("purchased_on", _("Enter the purchase date."))
    else:
        check_purchase_date(errors, purchased_on, today)
    if warranty_ends_on and purchased_on and warranty_ends_on < purchased_on:
        errors.add("warranty_ends_on", _("The warranty cannot end before the purchase date."))
    errors.choice("purchase_channel", purchase_channel, PurchaseChannel)
    errors.choice("status", status, ProductStatus)
    # Asked of the database: an address read earlier may have been removed since.
    if install_address is not None and not customer.addresses.filter(pk=install_address.pk).exists():
        errors.add("install_address", _("The install address must be one of the customer's addresses."))
    if len(serial_number) > 64:
        errors.add("serial_number", _("The serial number is longer than 64 characters."))
    errors.length("notes", (notes or "").strip(), TEXT_MAX)
    if model is not None and serial_number:
        duplicate = OwnedProduct.objects.filter(model=model, serial_number=serial_number)
        if exclude_pk:
            duplicate = duplicate.exclude(pk=exclude_pk)
        if duplicate.exists():
            errors.add(
                "serial_number",
                _("A %(model)s with serial number %(serial)s is already registered.")
                % {"model": model.code, "serial": serial_number},
            )
    return errors
