"""Every write to the customer archive. UI views, the API, admin actions and commands call these.

Each function runs in one transaction, checks its input and raises Django's ValidationError
(a dict of field → messages) before it writes anything, records the change in the audit
trail, and keeps the customer's timeline true.
"""

import datetime
from collections.abc import Mapping, Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kefu.core import audit
from kefu.core.concurrency import bump_version, lock_for_update
from kefu.core.dates import add_months
from kefu.core.errors import Conflict, NotFound
from kefu.core.masking import national_digits, redact_phone
from kefu.core.validation import TEXT_MAX, FieldErrors
from kefu.customers import extensions, selectors, timeline
from kefu.customers.models import (
    Address,
    Consent,
    ConsentPurpose,
    ContactChannel,
    Customer,
    CustomerPhone,
    LifeEvent,
    LifeEventKind,
    OwnedProduct,
    ProductCategory,
    ProductModel,
    ProductStatus,
    PurchaseChannel,
    Tier,
)
from kefu.customers.phones import guess_label
from kefu.customers.validation import (
    ADDRESS_PARTS,
    MAX_WARRANTY_MONTHS,
    check_life_event_date,
    clean_addresses,
    clean_consents,
    clean_name,
    clean_phones,
    clean_serial,
    product_errors,
)

CUSTOMER_FIELDS = ("name", "tier", "email", "preferred_channel", "preferred_time", "notes")
PRODUCT_FIELDS = (
    "model",
    "serial_number",
    "purchased_on",
    "purchase_channel",
    "install_address",
    "warranty_ends_on",
    "status",
    "notes",
)
PRODUCT_MODEL_FIELDS = ("category", "code", "name", "brand", "warranty_months")


class DuplicatePhone(Conflict):
    """A new record would share a phone number with records already in the archive.

    `customer_ids` names them; the caller opens one of them, or asks again with
    `allow_duplicate_phone` (a household that shares one landline is two customers)."""

    code = "duplicate_phone"

    def __init__(self, customer_ids: list[int]):
        message = _(
            "Another customer record already has this phone number. "
            "Open it, or confirm that this is a different customer."
        )
        super().__init__(message, customer_ids=customer_ids)
        self.customer_ids = customer_ids
        self.fields = {"phones": [str(message)]}


class CustomerMerged(Conflict):
    """The record was merged into another (decision 0014): it takes no more changes."""

    code = "customer_merged"

    def __init__(self, customer: Customer):
        super().__init__(
            _("The record of %(name)s (#%(id)s) was merged into record #%(into)s and takes no more changes.")
            % {"name": customer.name, "id": customer.pk, "into": customer.merged_into_id},
            merged_into=customer.merged_into_id,
        )
        self.merged_into = customer.merged_into_id


def refuse_if_merged(customer: Customer) -> None:
    if customer.merged_into_id is not None:
        raise CustomerMerged(customer)


def _replace_phones(customer: Customer, numbers: list[str]) -> None:
    customer.phones.all().delete()
    CustomerPhone.objects.bulk_create(
        CustomerPhone(
            customer=customer,
            number=number,
            last4=national_digits(number)[-4:],
            label=guess_label(number),
            is_primary=index == 0,
        )
        for index, number in enumerate(numbers)
    )


def _replace_addresses(customer: Customer, addresses: list[dict[str, str]]) -> None:
    """Keep the rows of addresses that stay (products point at them) and replace the rest."""
    existing = {tuple(getattr(row, part) for part in ADDRESS_PARTS): row for row in customer.addresses.all()}
    wanted = [tuple(address[part] for part in ADDRESS_PARTS) for address in addresses]
    customer.addresses.exclude(pk__in=[existing[key].pk for key in wanted if key in existing]).delete()
    customer.addresses.update(is_default=False)
    for index, key in enumerate(wanted):
        row = existing.get(key) or Address(customer=customer, **dict(zip(ADDRESS_PARTS, key, strict=True)))
        row.is_default = index == 0
        row.save()


def _save_consents(customer: Customer, consents: dict[str, bool], source: str, *, new: bool = False) -> None:
    """Record the answers given when the record is opened (`new`), and later the answers that
    change something: a purpose never asked about counts as not granted, so a form that sends
    "no" for it changes nothing, and an unchanged answer keeps the source it was given through."""
    current = {} if new else dict(customer.consents.values_list("purpose", "is_granted"))
    for purpose, granted in consents.items():
        if new or current.get(purpose, False) != granted:
            Consent.objects.update_or_create(
                customer=customer, purpose=purpose, defaults={"is_granted": granted, "source": source}
            )


def _personal_state(customer: Customer) -> dict[str, Any]:
    """Phones (redacted: masked, with a keyed tag), addresses and consents, as the audit trail
    compares them."""
    return {
        "phones": [redact_phone(number) for number in customer.phones.values_list("number", flat=True)],
        "addresses": [str(address) for address in customer.addresses.all()],
        "consents": {
            **dict.fromkeys(ConsentPurpose.values, False),
            **dict(customer.consents.values_list("purpose", "is_granted")),
        },
    }


@transaction.atomic
def create_customer(
    *,
    by,
    name: str,
    phones: Sequence[str],
    tier: str = Tier.REGULAR,
    email: str = "",
    preferred_channel: str = ContactChannel.PHONE,
    preferred_time: str = "",
    notes: str = "",
    addresses: Sequence[Mapping[str, str]] = (),
    consents: Mapping[str, bool] | None = None,
    consent_source: str = "",
    allow_duplicate_phone: bool = False,
) -> Customer:
    """Open a customer's record. The first phone and the first address are the primary ones.

    A number that another (not merged) record already has is refused with DuplicatePhone,
    which names those records, unless `allow_duplicate_phone` says the caller checked them.
    """
    errors = FieldErrors()
    name = clean_name(errors, name)
    numbers = clean_phones(errors, phones)
    cleaned_addresses = clean_addresses(errors, addresses)
    cleaned_consents, consent_source = clean_consents(errors, consents or {}, consent_source)
    errors.length("notes", (notes or "").strip(), TEXT_MAX)
    errors.choice("tier", tier, Tier)
    errors.choice("preferred_channel", preferred_channel, ContactChannel)
    errors.raise_if_any()
    if not allow_duplicate_phone:
        owners = selectors.customers_with_phones(numbers)
        if owners:
            raise DuplicatePhone(owners)

    customer = Customer(
        name=name,
        tier=tier,
        email=email.strip(),
        preferred_channel=preferred_channel,
        preferred_time=preferred_time.strip(),
        notes=notes.strip(),
    )
    try:
        customer.full_clean(exclude=["version"])
    except ValidationError as error:
        raise ValidationError(error.message_dict) from None
    customer.save()
    _replace_phones(customer, numbers)
    _replace_addresses(customer, cleaned_addresses)
    _save_consents(customer, cleaned_consents, consent_source, new=True)
    audit.record_create(actor=by, obj=customer, fields=CUSTOMER_FIELDS, extra=_personal_state(customer))
    timeline.add(customer=customer, kind=timeline.CUSTOMER_CREATED, by=by)
    return customer


@transaction.atomic
def update_customer(
    *,
    by,
    customer_id: int,
    version: int | None,
    changes: Mapping[str, Any],
    consent_source: str = "",
) -> Customer:
    """Apply the given fields (any of CUSTOMER_FIELDS, `phones`, `addresses`, `consents`).

    `phones` and `addresses` replace the lists; `consents` changes only the purposes named.
    A stale `version` raises StaleVersion (HTTP 409) and changes nothing.
    """
    unknown = set(changes) - {*CUSTOMER_FIELDS, "phones", "addresses", "consents"}
    if unknown:
        raise ValidationError({field: [_("This field cannot be changed.")] for field in sorted(unknown)})
    customer = lock_for_update(Customer.objects, customer_id, version)
    refuse_if_merged(customer)

    errors = FieldErrors()
    values = {field: changes[field] for field in CUSTOMER_FIELDS if field in changes}
    if "name" in values:
        values["name"] = clean_name(errors, values["name"])
    if "tier" in values:
        errors.choice("tier", values["tier"], Tier)
    if "preferred_channel" in values:
        errors.choice("preferred_channel", values["preferred_channel"], ContactChannel)
    numbers = clean_phones(errors, changes["phones"]) if "phones" in changes else None
    new_addresses = clean_addresses(errors, changes["addresses"]) if "addresses" in changes else None
    new_consents = None
    if "consents" in changes:
        new_consents, consent_source = clean_consents(errors, changes["consents"], consent_source)
    if isinstance(values.get("notes"), str):
        errors.length("notes", values["notes"].strip(), TEXT_MAX)
    errors.raise_if_any()

    before = audit.snapshot(customer, CUSTOMER_FIELDS)
    personal_before = _personal_state(customer)
    for field, value in values.items():
        setattr(customer, field, value.strip() if isinstance(value, str) else value)
    try:
        customer.full_clean(exclude=["version"])
    except ValidationError as error:
        raise ValidationError(error.message_dict) from None
    if numbers is not None:
        _replace_phones(customer, numbers)
    if new_addresses is not None:
        _replace_addresses(customer, new_addresses)
    if new_consents is not None:
        _save_consents(customer, new_consents, consent_source)

    personal_changes = audit.diff(personal_before, _personal_state(customer))
    changed = audit.diff(before, audit.snapshot(customer, CUSTOMER_FIELDS))
    if changed or personal_changes:
        bump_version(customer)
        customer.save()
        audit.record_update(actor=by, obj=customer, before=before, extra=personal_changes)
        extensions.customer_changed(customer, changed)  # other apps' part (promises: the tier)
    return customer


# --- Merging duplicates ----------------------------------------------------------------------


def _lock_pair(into_id: int, from_id: int) -> tuple[Customer, Customer]:
    """Both records, locked in id order (two merges of the same pair never deadlock)."""
    locked: dict[int, Customer] = {}
    for pk in sorted((into_id, from_id)):
        try:
            locked[pk] = lock_for_update(Customer.objects, pk, None)
        except Customer.DoesNotExist:
            if pk == into_id:
                raise NotFound() from None
            raise ValidationError(
                {"from": [_("There is no customer with id %(id)s.") % {"id": from_id}]}
            ) from None
    return locked[into_id], locked[from_id]


def _move_phones(kept: Customer, merged: Customer) -> dict[str, Any]:
    """Move the numbers the kept record lacks; drop the merged record's copies of the others."""
    kept_numbers = set(kept.phones.values_list("number", flat=True))
    rows = list(merged.phones.values_list("id", "number"))
    dropped = [(pk, number) for pk, number in rows if number in kept_numbers]
    moved = [(pk, number) for pk, number in rows if number not in kept_numbers]
    CustomerPhone.objects.filter(pk__in=[pk for pk, _number in dropped]).delete()
    primary = {"is_primary": False} if kept.phones.filter(is_primary=True).exists() else {}
    merged.phones.update(customer=kept, **primary)
    return {
        "count": len(moved),
        "ids": [pk for pk, _number in moved],
        "numbers": [redact_phone(number) for _pk, number in moved],
        "dropped": [redact_phone(number) for _pk, number in dropped],
    }


def _move(rows, kept: Customer, **also) -> dict[str, Any]:
    """Move every row of `rows` (the merged record's) to the kept record, set-based."""
    ids = list(rows.order_by("pk").values_list("pk", flat=True))
    count = rows.update(customer=kept, **also)
    return {"count": count, "ids": ids}


@transaction.atomic
def merge_customers(*, by, into_id: int, from_id: int) -> Customer:
    """Merge the record `from_id` into `into_id`, the one kept (decision 0014).

    Its phones, addresses, products, life events and timeline entries move to the kept record;
    a number the kept record already has is not doubled (the dropped copy is named, redacted,
    in the audit row). Consents move for the purposes the kept record has no answer for. The
    merged record's row stays, with `merged_into` set, and takes no more changes. Both versions
    go up by one; each record gets a timeline entry and an audit row; the kept record's says
    what moved. Refused, with nothing written: a record merged into itself, a missing one, one
    already merged.
    """
    if into_id == from_id:
        raise ValidationError({"from": [_("A record cannot be merged into itself.")]})
    kept, merged = _lock_pair(into_id, from_id)
    refuse_if_merged(kept)
    refuse_if_merged(merged)

    kept_purposes = kept.consents.values("purpose")
    moved = {
        "phones": _move_phones(kept, merged),
        "addresses": _move(
            merged.addresses.all(),
            kept,
            **({"is_default": False} if kept.addresses.filter(is_default=True).exists() else {}),
        ),
        "consents": _move(merged.consents.exclude(purpose__in=kept_purposes), kept),
        "products": _move(merged.products.all(), kept),
        "life_events": _move(merged.life_events.all(), kept),
        "timeline": _move(merged.events.all(), kept),
    }
    # Records merged earlier into the merged one now point at the kept one: no chains.
    earlier = list(Customer.objects.filter(merged_into=merged).values_list("pk", flat=True))
    Customer.objects.filter(merged_into=merged).update(merged_into=kept)

    before = audit.snapshot(merged, ["merged_into"])
    merged.merged_into = kept
    for customer in (kept, merged):
        bump_version(customer)
        customer.save(update_fields=["merged_into", "version", "updated_at"])
    audit.record_update(
        actor=by,
        obj=kept,
        before={},
        extra={"merged_from": [None, merged.pk], "moved": moved, "earlier_merged": earlier},
    )
    audit.record_update(actor=by, obj=merged, before=before)
    counts = {name: part["count"] for name, part in moved.items()}
    timeline.add(
        customer=kept,
        kind=timeline.CUSTOMER_MERGED,
        by=by,
        data={"customer": merged.pk, "name": merged.name, "moved": counts},
    )
    timeline.add(
        customer=merged,
        kind=timeline.MERGED_INTO,
        by=by,
        data={"customer": kept.pk, "name": kept.name},
    )
    return kept


# --- Products ------------------------------------------------------------------------------


def _save_product(product: OwnedProduct) -> None:
    """Save, turning a lost race on the unique serial number into the same field error."""
    try:
        with transaction.atomic():
            product.save()
    except IntegrityError as error:
        if "serial" in str(error).lower():
            raise ValidationError(
                {"serial_number": [_("This serial number is already registered for this model.")]}
            ) from None
        raise


@transaction.atomic
def register_product(
    *,
    by,
    customer: Customer,
    model: ProductModel | None,
    purchased_on: datetime.date | None,
    serial_number: str = "",
    purchase_channel: str = PurchaseChannel.STORE,
    install_address: Address | None = None,
    warranty_ends_on: datetime.date | None = None,
    notes: str = "",
    today: datetime.date | None = None,
) -> OwnedProduct:
    """Record a unit the customer owns. The warranty ends after the model's warranty period
    unless a date is given (an extended or a shortened one).

    The customer's row is locked first, as update_customer locks it, so that the addresses the
    product may point at cannot be replaced until it is saved, nor the record merged away.
    """
    refuse_if_merged(lock_for_update(Customer.objects, customer.pk, None))
    today = today or timezone.localdate()
    serial_number = clean_serial(serial_number)
    errors = product_errors(
        customer=customer,
        model=model,
        serial_number=serial_number,
        purchased_on=purchased_on,
        purchase_channel=purchase_channel,
        install_address=install_address,
        warranty_ends_on=warranty_ends_on,
        status=ProductStatus.IN_USE,
        exclude_pk=None,
        today=today,
        notes=notes,
    )
    errors.raise_if_any()
    assert model is not None
    assert purchased_on is not None
    product = OwnedProduct(
        customer=customer,
        model=model,
        serial_number=serial_number,
        purchased_on=purchased_on,
        purchase_channel=purchase_channel,
        install_address=install_address or customer.addresses.filter(is_default=True).first(),
        warranty_ends_on=warranty_ends_on or add_months(purchased_on, model.warranty_months),
        notes=notes.strip(),
    )
    _save_product(product)
    audit.record_create(actor=by, obj=product, fields=PRODUCT_FIELDS)
    timeline.add(
        customer=customer,
        kind=timeline.PRODUCT_PURCHASED,
        by=by,
        product=product,
        on=purchased_on,
        subject=product,
        data=timeline.purchase_entry_data(product),
    )
    return product


@transaction.atomic
def update_product(
    *, by, product_id: int, version: int | None, changes: Mapping[str, Any], today=None
) -> OwnedProduct:
    """Change an owned product's fields (PRODUCT_FIELDS); a stale version raises StaleVersion.

    Locks the customer's row, then the product's: the order update_customer takes them in.
    """
    unknown = set(changes) - set(PRODUCT_FIELDS)
    if unknown:
        raise ValidationError({field: [_("This field cannot be changed.")] for field in sorted(unknown)})
    customer_id = OwnedProduct.objects.filter(pk=product_id).values_list("customer_id", flat=True).first()
    if customer_id is not None:
        lock_for_update(Customer.objects, customer_id, None)
    product = lock_for_update(OwnedProduct.objects.select_related("customer", "model"), product_id, version)
    before = audit.snapshot(product, PRODUCT_FIELDS)
    values = dict(changes)
    if "serial_number" in values:
        values["serial_number"] = clean_serial(values["serial_number"])
    merged = {field: values.get(field, getattr(product, field)) for field in PRODUCT_FIELDS}
    errors = product_errors(
        customer=product.customer,
        exclude_pk=product.pk,
        today=today or timezone.localdate(),
        **merged,
    )
    errors.raise_if_any()
    for field, value in values.items():
        setattr(product, field, value.strip() if isinstance(value, str) else value)
    if audit.diff(before, audit.snapshot(product, PRODUCT_FIELDS)):
        bump_version(product)
        _save_product(product)
        audit.record_update(actor=by, obj=product, before=before)
        timeline.update_subject(
            subject=product, on=product.purchased_on, data=timeline.purchase_entry_data(product)
        )
    return product


# --- Life events ---------------------------------------------------------------------------


@transaction.atomic
def record_life_event(
    *,
    by,
    customer: Customer,
    occurred_on: datetime.date | None,
    description: str,
    kind: str = LifeEventKind.OTHER,
    product: OwnedProduct | None = None,
    today: datetime.date | None = None,
) -> LifeEvent:
    """Remember a date that matters to the customer, for care visits to mention.

    The customer's row is locked first, so that the record cannot be merged away meanwhile."""
    refuse_if_merged(lock_for_update(Customer.objects, customer.pk, None))
    errors = FieldErrors()
    description = (description or "").strip()
    if occurred_on is None:
        errors.add("occurred_on", _("Enter the date."))
    else:
        check_life_event_date(errors, occurred_on, today or timezone.localdate())
    if not description:
        errors.add("description", _("Say what happened."))
    elif len(description) > 200:
        errors.add("description", _("The description is longer than 200 characters."))
    errors.choice("kind", kind, LifeEventKind)
    if product is not None and product.customer_id != customer.pk:
        errors.add("product", _("The product must be one of the customer's products."))
    errors.raise_if_any()
    assert occurred_on is not None
    event = LifeEvent.objects.create(
        customer=customer,
        occurred_on=occurred_on,
        description=description,
        kind=kind,
        product=product,
    )
    audit.record_create(actor=by, obj=event, fields=("occurred_on", "kind", "description", "product"))
    timeline.add(
        customer=customer,
        kind=timeline.LIFE_EVENT,
        by=by,
        product=product,
        on=occurred_on,
        subject=event,
        data={"description": description, "kind": kind},
    )
    return event


# --- Catalogue -----------------------------------------------------------------------------


@transaction.atomic
def create_product_model(
    *,
    by,
    category: str,
    code: str,
    name: str,
    brand: str = "",
    warranty_months: int = 12,
) -> ProductModel:
    """Add a model to the catalogue; `category` is the category's stable code (air_conditioner)."""
    errors = FieldErrors()
    code, name, brand = (code or "").strip(), (name or "").strip(), (brand or "").strip()
    found = ProductCategory.objects.filter(code=category).first()
    if found is None:
        errors.add("category", _("“%(value)s” is not a product category.") % {"value": category})
    if not code:
        errors.add("code", _("Enter the model number."))
    elif len(code) > 50:
        errors.add("code", _("The model number is longer than 50 characters."))
    elif ProductModel.objects.filter(code=code).exists():
        errors.add("code", _("The model number %(code)s is already in the catalogue.") % {"code": code})
    if not name:
        errors.add("name", _("Enter the model's name."))
    elif len(name) > 100:
        errors.add("name", _("The name is longer than 100 characters."))
    if len(brand) > 50:
        errors.add("brand", _("The brand is longer than 50 characters."))
    if not 0 <= warranty_months <= MAX_WARRANTY_MONTHS:
        errors.add(
            "warranty_months",
            _("The warranty lasts 0 to %(max)d months.") % {"max": MAX_WARRANTY_MONTHS},
        )
    errors.raise_if_any()
    model = ProductModel(category=found, code=code, name=name, brand=brand, warranty_months=warranty_months)
    try:
        with transaction.atomic():
            model.save()
    except IntegrityError:
        raise ValidationError(
            {"code": [_("The model number %(code)s is already in the catalogue.") % {"code": code}]}
        ) from None
    audit.record_create(actor=by, obj=model, fields=PRODUCT_MODEL_FIELDS)
    return model
