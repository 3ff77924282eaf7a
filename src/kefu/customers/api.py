"""REST API of the customer and product archive (API.md "archive (§1)").

Each endpoint parses, checks the caller's permission, calls a service or selector and
renders with customers.schemas. Phones come masked unless the caller's role sees them in
full, and then every answer that shows them is audited.
"""

from functools import partial
from typing import Annotated

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from ninja import Field, Query, Router

from kefu.core.api import answer
from kefu.core.api.errors import api_field_names, errors
from kefu.core.api.helpers import Cursor, Id, IfMatch, Limit, changes_from, expected_version, require
from kefu.core.api.idempotency import IdempotencyKeyHeader, create_once
from kefu.core.api.schema import max_length
from kefu.customers import lookups, privacy, selectors, services, timeline
from kefu.customers.models import Address, Customer, OwnedProduct, ProductCategory, ProductModel, Tier
from kefu.customers.schemas import (
    LIFE_EVENT_FIELD_NAMES,
    PRODUCT_FIELD_NAMES,
    CategoryList,
    CustomerConflictError,
    CustomerIn,
    CustomerList,
    CustomerOut,
    CustomerPatch,
    DuplicatePhoneError,
    LifeEventIn,
    LifeEventList,
    LifeEventOut,
    MergeIn,
    ProductIn,
    ProductList,
    ProductModelIn,
    ProductModelList,
    ProductModelOut,
    ProductOut,
    ProductPatch,
    RevealIn,
    RevealOut,
    TimelineList,
    category_data,
    customer_data,
    customer_list_data,
    life_event_data,
    product_data,
    product_model_data,
    timeline_entry_data,
)

router = Router(tags=["archive"])

# A timeline kind or filter name, as a query value (several may be given, or joined by commas).
KindName = Annotated[str, Field(max_length=200)]
CATEGORY_CODE_MAX = max_length(ProductCategory, "code")
KIND_DESCRIPTION = (
    "Only these kinds of entry (repeat or separate by commas). A group name stands for its kinds: "
    + ", ".join(timeline.FILTERS)
)


def _customer_answer(request: HttpRequest, customer_id: int) -> dict:
    """The whole record, as the caller may see it (showing full numbers leaves an audit row,
    customers.privacy): what every customer write answers with."""
    customer = selectors.customer_record(request.auth, customer_id)
    phones = privacy.shown(request.auth, {customer: [phone.number for phone in customer.phones.all()]})
    return customer_data(customer, phones=phones[customer.pk])


def _model(model_id: int | None) -> ProductModel | None:
    if model_id is None:
        return None
    model = ProductModel.objects.select_related("category").filter(pk=model_id).first()
    if model is None:
        raise ValidationError({"model": [_("There is no product model with id %(id)s.") % {"id": model_id}]})
    return model


def _address(address_id: int | None) -> Address | None:
    if address_id is None:
        return None
    address = Address.objects.filter(pk=address_id).first()
    if address is None:
        raise ValidationError(
            {"install_address": [_("There is no address with id %(id)s.") % {"id": address_id}]}
        )
    return address


def _product(product_id: int | None, customer: Customer) -> OwnedProduct | None:
    if product_id is None:
        return None
    product = OwnedProduct.objects.filter(pk=product_id, customer=customer).first()
    if product is None:
        raise ValidationError({"product": [_("The product must be one of the customer's products.")]})
    return product


# --- Customers -----------------------------------------------------------------------------


@router.get(
    "/customers",
    response={200: CustomerList, **errors(400, 403, 422, 429)},
    operation_id="list_customers",
    summary="List or look up customers",
    description=(
        "With `q`: the hotline lookup by full phone number, its last four digits, its last 5 to 10 "
        "digits, serial number (spaces ignored) or part of the name (`match` says which). Without: "
        "every customer by id. Each row is a summary; GET /customers/{id} gives the whole record. "
        "Each lookup by a whole number is audited; a role that may not see numbers may make only "
        "so many an hour and a day (429 with Retry-After beyond), and its 5 to 10 digits are read "
        "as their last four."
    ),
)
def list_customers(
    request: HttpRequest,
    q: Annotated[
        str, Query(max_length=selectors.SEARCH_MAX, description="Phone, last four digits, serial or name.")
    ] = "",
    tier: Annotated[Tier | None, Query(description="Only customers of this tier.")] = None,
    cursor: Cursor = None,
    limit: Limit = None,
):
    require(request.auth, "customers.view_customer")
    if q.strip():
        lookups.record_phone_lookup(by=request.auth, text=q)
        suffixes = lookups.may_look_up_freely(request.auth)
        result = selectors.find_customers(
            q, user=request.auth, cursor=cursor, limit=limit, tier=tier, suffixes=suffixes, summary=True
        )
        page, match = result.page, result.kind
    else:
        page, match = selectors.customer_list(user=request.auth, tier=tier, cursor=cursor, limit=limit), None
    selectors.attach_phone_numbers(page.items)
    phones = privacy.shown(request.auth, {customer: customer.phone_numbers for customer in page.items})
    # Written as CustomerList would write it, without running the schema for each row.
    body = customer_list_data(page.items, phones=phones, next_cursor=page.next_cursor, match=match)
    return answer(request, body)


@router.post(
    "/customers",
    response={201: CustomerOut, **errors(400, 403, 422), 409: DuplicatePhoneError},
    operation_id="create_customer",
    summary="Open a customer's record",
    description=(
        "A phone number that another record already has is refused with 409 `duplicate_phone`, "
        "whose `customer_ids` names those records, unless `allow_duplicate_phone` is true."
    ),
)
def create_customer(request: HttpRequest, payload: CustomerIn, idempotency_key: IdempotencyKeyHeader = None):
    require(request.auth, "customers.add_customer")

    def create():
        values = payload.model_dump(exclude={"addresses"})
        customer = services.create_customer(
            by=request.auth,
            addresses=[address.model_dump() for address in payload.addresses],
            **values,
        )
        return _customer_answer(request, customer.pk)

    return create_once(
        request, idempotency_key, CustomerOut, create, replay=partial(_customer_answer, request)
    )


@router.get(
    "/customers/{customer_id}",
    response={200: CustomerOut, **errors(403, 404)},
    operation_id="get_customer",
    summary="A customer's record",
)
def get_customer(request: HttpRequest, customer_id: Id):
    return _customer_answer(request, customer_id)


@router.patch(
    "/customers/{customer_id}",
    response={200: CustomerOut, **errors(400, 403, 404, 422), 409: CustomerConflictError},
    operation_id="update_customer",
    summary="Change a customer's record",
    description=(
        "Send only the fields that change, with the version you edited; a stale version is a 409, "
        "and so is a record merged into another (`customer_merged`, with `merged_into`)."
    ),
)
def update_customer(request: HttpRequest, customer_id: Id, payload: CustomerPatch, if_match: IfMatch = None):
    customer = selectors.access_customer(request.auth, customer_id)
    require(request.auth, "customers.change_customer")
    version = expected_version(payload.version, if_match)
    changes = changes_from(payload)
    consent_source = changes.pop("consent_source", "")
    if "addresses" in changes:
        changes["addresses"] = [address.model_dump() for address in payload.addresses or []]
    services.update_customer(
        by=request.auth,
        customer_id=customer.pk,
        version=version,
        changes=changes,
        consent_source=consent_source,
    )
    return _customer_answer(request, customer.pk)


@router.post(
    "/customers/{customer_id}/merge",
    response={200: CustomerOut, **errors(400, 403, 404, 422), 409: CustomerConflictError},
    operation_id="merge_customers",
    summary="Merge another record of the same customer into this one",
    description=(
        "Moves the phones, addresses, products, life events and timeline entries of the record "
        "`from` to this one and marks `from` merged (its GET shows `merged_into`; lists and search "
        "leave it out). Answers with this record. Merging a record into itself or naming no record "
        "is a 422; a record already merged is a 409 `customer_merged`."
    ),
)
def merge_customers(
    request: HttpRequest, customer_id: Id, payload: MergeIn, idempotency_key: IdempotencyKeyHeader = None
):
    customer = selectors.access_customer(request.auth, customer_id)
    require(request.auth, "customers.merge_customer")

    def merge():
        services.merge_customers(by=request.auth, into_id=customer.pk, from_id=payload.from_)
        return _customer_answer(request, customer.pk)

    # A retry after a timeout answers with the first merge's result, not a 409 "already merged".
    return create_once(
        request, idempotency_key, CustomerOut, merge, status=200, replay=partial(_customer_answer, request)
    )


@router.post(
    "/customers/{customer_id}/reveal",
    response={200: RevealOut, **errors(400, 403, 404)},
    operation_id="reveal_customer_phones",
    summary="Show a customer's full phone numbers (audited)",
)
def reveal_customer_phones(request: HttpRequest, customer_id: Id, payload: RevealIn | None = None):
    customer = selectors.access_customer(request.auth, customer_id)
    reason = payload.reason if payload else ""
    phones = privacy.shown_phones(request.auth, customer, reveal=True, reason=reason)
    return {"customer": customer.pk, "phones": phones}


@router.get(
    "/customers/{customer_id}/timeline",
    response={200: TimelineList, **errors(400, 403, 404, 422)},
    operation_id="get_customer_timeline",
    summary="A customer's timeline, newest first",
)
def get_customer_timeline(
    request: HttpRequest,
    customer_id: Id,
    kind: Annotated[list[KindName] | None, Query(max_length=20, description=KIND_DESCRIPTION)] = None,
    cursor: Cursor = None,
    limit: Limit = None,
):
    customer = selectors.access_customer(request.auth, customer_id)
    names = [part.strip() for value in kind or [] for part in value.split(",") if part.strip()]
    page = selectors.customer_timeline(
        customer, user=request.auth, kinds=timeline.kinds_for(names), cursor=cursor, limit=limit
    )
    return {"items": [timeline_entry_data(entry) for entry in page.items], "next_cursor": page.next_cursor}


# --- Products ------------------------------------------------------------------------------


@router.get(
    "/customers/{customer_id}/products",
    response={200: ProductList, **errors(400, 403, 404, 422)},
    operation_id="list_customer_products",
    summary="The products a customer owns, newest first",
)
def list_customer_products(request: HttpRequest, customer_id: Id, cursor: Cursor = None, limit: Limit = None):
    customer = selectors.access_customer(request.auth, customer_id)
    require(request.auth, "customers.view_ownedproduct")
    page = selectors.customer_products(customer, user=request.auth, cursor=cursor, limit=limit)
    return {"items": [product_data(product) for product in page.items], "next_cursor": page.next_cursor}


@router.post(
    "/customers/{customer_id}/products",
    response={201: ProductOut, **errors(400, 403, 404, 422), 409: CustomerConflictError},
    operation_id="create_product",
    summary="Register a product the customer owns",
)
@api_field_names(PRODUCT_FIELD_NAMES)
def create_product(
    request: HttpRequest,
    customer_id: Id,
    payload: ProductIn,
    idempotency_key: IdempotencyKeyHeader = None,
):
    customer = selectors.access_customer(request.auth, customer_id)
    require(request.auth, "customers.add_ownedproduct")

    def create():
        product = services.register_product(
            by=request.auth,
            customer=customer,
            model=_model(payload.model),
            purchased_on=payload.purchase_date,
            serial_number=payload.serial_number,
            purchase_channel=payload.purchase_channel,
            install_address=_address(payload.install_address),
            warranty_ends_on=payload.warranty_end,
            notes=payload.notes,
        )
        return product_data(product)

    return create_once(request, idempotency_key, ProductOut, create)


@router.get(
    "/products/{product_id}",
    response={200: ProductOut, **errors(403, 404)},
    operation_id="get_product",
    summary="An owned product",
)
def get_product(request: HttpRequest, product_id: Id):
    return product_data(selectors.access_product(request.auth, product_id))


@router.patch(
    "/products/{product_id}",
    response={200: ProductOut, **errors(400, 403, 404, 409, 422)},
    operation_id="update_product",
    summary="Change an owned product",
    description="Send only the fields that change, with the version you edited; a stale version is a 409.",
)
@api_field_names(PRODUCT_FIELD_NAMES)
def update_product(request: HttpRequest, product_id: Id, payload: ProductPatch, if_match: IfMatch = None):
    product = selectors.access_product(request.auth, product_id)
    require(request.auth, "customers.change_ownedproduct")
    version = expected_version(payload.version, if_match)
    changes = changes_from(payload, nullable=("install_address",), rename=PRODUCT_FIELD_NAMES)
    if "model" in changes:
        changes["model"] = _model(changes["model"])
    if "install_address" in changes:
        changes["install_address"] = _address(changes["install_address"])
    product = services.update_product(
        by=request.auth, product_id=product.pk, version=version, changes=changes
    )
    return product_data(selectors.access_product(request.auth, product.pk))


# --- Life events ---------------------------------------------------------------------------


@router.get(
    "/customers/{customer_id}/life-events",
    response={200: LifeEventList, **errors(400, 403, 404, 422)},
    operation_id="list_life_events",
    summary="The dated moments of a customer's life, newest first",
)
def list_life_events(request: HttpRequest, customer_id: Id, cursor: Cursor = None, limit: Limit = None):
    customer = selectors.access_customer(request.auth, customer_id)
    require(request.auth, "customers.view_lifeevent")
    page = selectors.customer_life_events(customer, user=request.auth, cursor=cursor, limit=limit)
    return {"items": [life_event_data(event) for event in page.items], "next_cursor": page.next_cursor}


@router.post(
    "/customers/{customer_id}/life-events",
    response={201: LifeEventOut, **errors(400, 403, 404, 422), 409: CustomerConflictError},
    operation_id="create_life_event",
    summary="Remember a date that matters to the customer",
)
@api_field_names(LIFE_EVENT_FIELD_NAMES)
def create_life_event(
    request: HttpRequest,
    customer_id: Id,
    payload: LifeEventIn,
    idempotency_key: IdempotencyKeyHeader = None,
):
    customer = selectors.access_customer(request.auth, customer_id)
    require(request.auth, "customers.add_lifeevent")

    def create():
        event = services.record_life_event(
            by=request.auth,
            customer=customer,
            occurred_on=payload.date,
            description=payload.description,
            kind=payload.kind,
            product=_product(payload.product, customer),
        )
        return life_event_data(event)

    return create_once(request, idempotency_key, LifeEventOut, create)


# --- Catalogue -----------------------------------------------------------------------------


@router.get(
    "/catalogue/categories",
    response={200: CategoryList, **errors(400, 403, 422)},
    operation_id="list_categories",
    summary="Product categories, by stable code",
)
def list_categories(request: HttpRequest, cursor: Cursor = None, limit: Limit = None):
    require(request.auth, "customers.view_productcategory")
    page = selectors.catalogue_categories(cursor=cursor, limit=limit)
    return {"items": [category_data(c) for c in page.items], "next_cursor": page.next_cursor}


@router.get(
    "/catalogue/models",
    response={200: ProductModelList, **errors(400, 403, 422)},
    operation_id="list_product_models",
    summary="Product models on sale, by category",
)
def list_product_models(
    request: HttpRequest,
    category: Annotated[
        str | None, Query(max_length=CATEGORY_CODE_MAX, description="A category code, e.g. air_conditioner.")
    ] = None,
    cursor: Cursor = None,
    limit: Limit = None,
):
    require(request.auth, "customers.view_productmodel")
    page = selectors.catalogue_models(category=category, cursor=cursor, limit=limit)
    return {"items": [product_model_data(m) for m in page.items], "next_cursor": page.next_cursor}


@router.post(
    "/catalogue/models",
    response={201: ProductModelOut, **errors(400, 403, 422)},
    operation_id="create_product_model",
    summary="Add a product model to the catalogue",
)
def create_product_model(
    request: HttpRequest, payload: ProductModelIn, idempotency_key: IdempotencyKeyHeader = None
):
    require(request.auth, "customers.add_productmodel")

    def create():
        model = services.create_product_model(by=request.auth, **payload.model_dump())
        return product_model_data(model)

    return create_once(request, idempotency_key, ProductModelOut, create)
