"""What the customer archive's API reads and writes (API.md "Core fields"), and how a record
becomes its answer. Names are the API's: purchase_date, warranty_end, date."""

import datetime
from collections.abc import Mapping, Sequence
from typing import Annotated

from django.utils import timezone
from ninja import Field, Schema
from pydantic import BaseModel

from kefu.core.api.errors import ConflictError
from kefu.core.api.helpers import LocalDateTime, local_time_text
from kefu.core.api.schema import TEXT_MAX, InputDate, Page, RecordId, StrictSchema, Version, max_length
from kefu.customers import timeline
from kefu.customers.models import (
    Address,
    Consent,
    ConsentPurpose,
    ContactChannel,
    Customer,
    LifeEvent,
    LifeEventKind,
    OwnedProduct,
    ProductCategory,
    ProductModel,
    ProductStatus,
    PurchaseChannel,
    Tier,
)
from kefu.customers.selectors import CustomerSummary
from kefu.customers.validation import MAX_ADDRESSES, MAX_PHONE_LENGTH, MAX_PHONES, MAX_WARRANTY_MONTHS

# A phone number as people type it ("+86 138-1234-5678"), before it is read.
PhoneText = Annotated[str, Field(min_length=1, max_length=MAX_PHONE_LENGTH)]

# --- Customers -----------------------------------------------------------------------------


class AddressIn(StrictSchema):
    province: str = Field(min_length=1, max_length=max_length(Address, "province"))
    city: str = Field(min_length=1, max_length=max_length(Address, "city"))
    district: str = Field("", max_length=max_length(Address, "district"))
    detail: str = Field(min_length=1, max_length=max_length(Address, "detail"))


class AddressOut(Schema):
    province: str
    city: str
    district: str
    detail: str


CONSENTS_DESCRIPTION = f"Purpose → given. Purposes: {', '.join(ConsentPurpose.values)}."


class CustomerIn(StrictSchema):
    name: str = Field(min_length=1, max_length=max_length(Customer, "name"))
    phones: list[PhoneText] = Field(
        min_length=1,
        max_length=MAX_PHONES,
        description="Numbers as people type them; the first is the primary one.",
    )
    tier: Tier = Tier.REGULAR
    email: str = Field("", max_length=max_length(Customer, "email"))
    preferred_channel: ContactChannel = ContactChannel.PHONE
    preferred_time: str = Field("", max_length=max_length(Customer, "preferred_time"))
    notes: str = Field("", max_length=TEXT_MAX)
    addresses: list[AddressIn] = Field(
        default_factory=list, max_length=MAX_ADDRESSES, description="The first is the default one."
    )
    consents: dict[ConsentPurpose, bool] = Field(
        default_factory=dict, max_length=len(ConsentPurpose), description=CONSENTS_DESCRIPTION
    )
    consent_source: str = Field(
        "",
        max_length=max_length(Consent, "source"),
        description="How the consents were given, e.g. “phone call”.",
    )
    allow_duplicate_phone: bool = Field(
        False,
        description=(
            "A number that another record already has is a 409 `duplicate_phone` naming those "
            "records; send true to open a new record anyway (a household sharing a landline)."
        ),
    )


class CustomerPatch(StrictSchema):
    """The fields to change, each optional; none may be null (leave a field out to keep it)."""

    version: Version = Field(None, description="The version you edited (or send If-Match).")
    name: str = Field(None, min_length=1, max_length=max_length(Customer, "name"))
    phones: list[PhoneText] = Field(
        None, min_length=1, max_length=MAX_PHONES, description="Replaces the numbers."
    )
    tier: Tier = None
    email: str = Field(None, max_length=max_length(Customer, "email"))
    preferred_channel: ContactChannel = None
    preferred_time: str = Field(None, max_length=max_length(Customer, "preferred_time"))
    notes: str = Field(None, max_length=TEXT_MAX)
    addresses: list[AddressIn] = Field(None, max_length=MAX_ADDRESSES, description="Replaces the addresses.")
    consents: dict[ConsentPurpose, bool] = Field(
        None, max_length=len(ConsentPurpose), description="Changes the purposes named only."
    )
    consent_source: str = Field(None, max_length=max_length(Consent, "source"))


class CustomerOut(Schema):
    id: int
    name: str
    phones: list[str] = Field(description="Masked (138****1234) unless the caller's role sees them in full.")
    tier: Tier
    tier_label: str
    addresses: list[AddressOut]
    consents: dict[str, bool] = Field(description="Every purpose; false where not given.")
    email: str
    preferred_channel: ContactChannel
    preferred_channel_label: str
    preferred_time: str
    notes: str
    merged_into: int | None = Field(
        description="The record this one was merged into (it takes no more changes), or null."
    )
    version: int
    created_at: LocalDateTime
    updated_at: LocalDateTime


# The list endpoint writes its answer with customer_list_data, as this schema and CustomerList
# would (test_api holds them together): they document the answer and are not run for each of
# fifty rows. (Their docstrings are the OpenAPI document's descriptions.)
class CustomerSummaryOut(BaseModel):
    """A row of the customer list: what tells callers apart at a glance. The whole record
    (addresses, consents …) is one GET /customers/{id} away.

    A plain pydantic model, as is CustomerList: the rows are dicts already, and ninja's Schema
    would read each field of each of fifty rows through its Django attribute getter (a tenth of
    the hotline's page, decision 0015).
    """

    id: int
    name: str
    phones: list[str] = Field(
        description="Primary first; masked (138****1234) unless the caller's role sees them in full."
    )
    city: str = Field(description="The default address's city; empty without an address.")
    tier: Tier
    tier_label: str
    product_count: int
    last_contact_at: LocalDateTime = Field(
        description="The newest entry on the customer's timeline, or when the record last changed."
    )


class CustomerList(BaseModel):
    """A page of list rows: the shape of core.api.schema.Page, as a plain pydantic model."""

    items: list[CustomerSummaryOut]
    next_cursor: str | None
    match: str | None = Field(
        None,
        description=(
            "How `q` was read: phone (a whole number), last4, suffix (the end of a number, 5 to 10 "
            "digits), serial or name (null without q)."
        ),
    )


class MergeIn(StrictSchema):
    from_: RecordId = Field(alias="from", description="The id of the record to merge into this one.")


class DuplicatePhoneError(ConflictError):
    """The 409 of a new record whose phone number other records have."""

    customer_ids: list[int] = Field(default_factory=list, description="The records that have the number.")


class CustomerConflictError(ConflictError):
    """A 409 about a customer's record: a stale version, or a record merged into another."""

    merged_into: int | None = Field(None, description="Set when the record was merged into another.")


class RevealIn(StrictSchema):
    reason: str = Field("", max_length=200, description="Why the full numbers are needed (audited).")


class RevealOut(Schema):
    customer: int
    phones: list[str]


def customer_data(customer: Customer, *, phones: Sequence[str]) -> dict:
    """The API's view of a customer whose addresses and consents are prefetched; `phones` as the
    caller may see them (customers.privacy)."""
    consents = dict.fromkeys(ConsentPurpose.values, False)
    consents.update({consent.purpose: consent.is_granted for consent in customer.consents.all()})
    return {
        "id": customer.pk,
        "name": customer.name,
        "phones": list(phones),
        "tier": customer.tier,
        "tier_label": customer.get_tier_display(),
        "addresses": [
            {"province": a.province, "city": a.city, "district": a.district, "detail": a.detail}
            for a in customer.addresses.all()
        ],
        "consents": consents,
        "email": customer.email,
        "preferred_channel": customer.preferred_channel,
        "preferred_channel_label": customer.get_preferred_channel_display(),
        "preferred_time": customer.preferred_time,
        "notes": customer.notes,
        "merged_into": customer.merged_into_id,
        "version": customer.version,
        "created_at": customer.created_at,
        "updated_at": customer.updated_at,
    }


def customer_list_data(
    customers: Sequence[CustomerSummary], *, phones: Mapping[int, Sequence[str]], next_cursor, match
) -> dict:
    """A page of list rows (selectors.CustomerSummary) as CustomerList puts it in the answer,
    built directly: the same keys in the same order, tiers as their values and times as
    LocalDateTime writes them, so the answer is what validating and dumping through the schema
    would give (a test holds them together) without the cost for each row. `phones`: customer
    id → numbers as the caller may see them (customers.privacy)."""
    zone = timezone.get_current_timezone()
    labels: dict[str, str] = {}  # each tier's label, translated once per answer
    items = []
    for customer in customers:
        label = labels.get(customer.tier)
        if label is None:
            label = labels[customer.tier] = str(Tier(customer.tier).label)
        items.append(
            {
                "id": customer.pk,
                "name": customer.name,
                "phones": list(phones[customer.pk]),
                "city": customer.city or "",
                "tier": customer.tier,
                "tier_label": label,
                "product_count": customer.product_count,
                "last_contact_at": local_time_text(customer.last_contact_at, zone),
            }
        )
    return {"items": items, "next_cursor": next_cursor, "match": match}


# --- Timeline ------------------------------------------------------------------------------


class TimelineEntryOut(Schema):
    id: int
    occurred_at: LocalDateTime
    has_time: bool = Field(
        description="False for a fact known by its date only (a purchase date): occurred_at is then "
        "noon of that day, for the order, and only its date means anything."
    )
    kind: str
    text: str = Field(description="The entry in the caller's language.")
    actor: int | None
    product: int | None
    data: dict


class TimelineList(Page[TimelineEntryOut]):
    pass


def timeline_entry_data(entry: timeline.Entry) -> dict:
    return {
        "id": entry.pk,
        "occurred_at": entry.occurred_at,
        "has_time": entry.has_time,
        "kind": entry.kind,
        "text": timeline.describe(entry),
        "actor": entry.actor_id,
        "product": entry.product_id,
        "data": entry.data,
    }


# --- Products ------------------------------------------------------------------------------


SERIAL_MAX = max_length(OwnedProduct, "serial_number")


class ProductIn(StrictSchema):
    model: RecordId = Field(description="The catalogue model's id.")
    serial_number: str = Field("", max_length=SERIAL_MAX)
    purchase_date: InputDate
    purchase_channel: PurchaseChannel = PurchaseChannel.STORE
    install_address: RecordId | None = Field(None, description="Not given: the customer's default address.")
    warranty_end: InputDate | None = Field(None, description="Not given: from the model's warranty.")
    notes: str = Field("", max_length=TEXT_MAX)


class ProductPatch(StrictSchema):
    """The fields to change, each optional; only `install_address` may be null (no address)."""

    version: Version = Field(None, description="The version you edited (or send If-Match).")
    model: RecordId = None
    serial_number: str = Field(None, max_length=SERIAL_MAX)
    purchase_date: InputDate = None
    purchase_channel: PurchaseChannel = None
    install_address: RecordId | None = Field(None, description="Null: no install address.")
    warranty_end: InputDate = None
    status: ProductStatus = None
    notes: str = Field(None, max_length=TEXT_MAX)


# API name → the service's (model's) name, for the input and for the errors (api_field_names).
PRODUCT_FIELD_NAMES = {"purchase_date": "purchased_on", "warranty_end": "warranty_ends_on"}
LIFE_EVENT_FIELD_NAMES = {"date": "occurred_on"}


class BirthdayOut(Schema):
    date: datetime.date
    years: int


class ProductOut(Schema):
    id: int
    customer: int
    model: int
    model_code: str
    model_name: str
    category: str
    category_label: str
    serial_number: str
    purchase_date: datetime.date
    purchase_channel: PurchaseChannel
    purchase_channel_label: str
    install_address: int | None
    warranty_end: datetime.date
    is_under_warranty: bool
    status: ProductStatus
    status_label: str
    notes: str
    next_birthday: BirthdayOut = Field(description="The next anniversary of purchase and which one it is.")
    version: int
    created_at: LocalDateTime
    updated_at: LocalDateTime


class ProductList(Page[ProductOut]):
    pass


def product_data(product: OwnedProduct, today: datetime.date | None = None) -> dict:
    """The API's view of an owned product whose model and category are selected."""
    today = today or timezone.localdate()
    birthday, years = product.next_birthday(today)
    return {
        "id": product.pk,
        "customer": product.customer_id,
        "model": product.model_id,
        "model_code": product.model.code,
        "model_name": product.model.name,
        "category": product.model.category.code,
        "category_label": product.model.category.label,
        "serial_number": product.serial_number,
        "purchase_date": product.purchased_on,
        "purchase_channel": product.purchase_channel,
        "purchase_channel_label": product.get_purchase_channel_display(),
        "install_address": product.install_address_id,
        "warranty_end": product.warranty_ends_on,
        "is_under_warranty": product.is_under_warranty(today),
        "status": product.status,
        "status_label": product.get_status_display(),
        "notes": product.notes,
        "next_birthday": {"date": birthday, "years": years},
        "version": product.version,
        "created_at": product.created_at,
        "updated_at": product.updated_at,
    }


# --- Life events ---------------------------------------------------------------------------


class LifeEventIn(StrictSchema):
    date: InputDate
    kind: LifeEventKind = LifeEventKind.OTHER
    description: str = Field(min_length=1, max_length=max_length(LifeEvent, "description"))
    product: RecordId | None = Field(None, description="The owned product it is tied to, if any.")


class LifeEventOut(Schema):
    id: int
    customer: int
    date: datetime.date
    kind: LifeEventKind
    kind_label: str
    description: str
    product: int | None
    created_at: LocalDateTime


class LifeEventList(Page[LifeEventOut]):
    pass


def life_event_data(event: LifeEvent) -> dict:
    return {
        "id": event.pk,
        "customer": event.customer_id,
        "date": event.occurred_on,
        "kind": event.kind,
        "kind_label": event.get_kind_display(),
        "description": event.description,
        "product": event.product_id,
        "created_at": event.created_at,
    }


# --- Catalogue -----------------------------------------------------------------------------


class CategoryOut(Schema):
    id: int
    code: str
    name: str = Field(description="In the caller's language for the shipped categories.")
    care_interval_years: int


class CategoryList(Page[CategoryOut]):
    pass


def category_data(category: ProductCategory) -> dict:
    return {
        "id": category.pk,
        "code": category.code,
        "name": category.label,
        "care_interval_years": category.care_interval_years,
    }


class ProductModelIn(StrictSchema):
    category: str = Field(
        max_length=max_length(ProductCategory, "code"),
        description="The category's code, e.g. air_conditioner.",
    )
    code: str = Field(
        min_length=1,
        max_length=max_length(ProductModel, "code"),
        description="The model number, unique in the catalogue.",
    )
    name: str = Field(min_length=1, max_length=max_length(ProductModel, "name"))
    brand: str = Field("", max_length=max_length(ProductModel, "brand"))
    warranty_months: int = Field(12, ge=0, le=MAX_WARRANTY_MONTHS)


class ProductModelOut(Schema):
    id: int
    category: str
    category_label: str
    code: str
    name: str
    brand: str
    warranty_months: int
    is_active: bool


class ProductModelList(Page[ProductModelOut]):
    pass


def product_model_data(model: ProductModel) -> dict:
    return {
        "id": model.pk,
        "category": model.category.code,
        "category_label": model.category.label,
        "code": model.code,
        "name": model.name,
        "brand": model.brand,
        "warranty_months": model.warranty_months,
        "is_active": model.is_active,
    }
