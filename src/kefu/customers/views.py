"""The customer screens: search, the 360° page, and the forms that write through services.

Views stay thin: parse the form, fetch with access_customer, call a service or a selector,
render. Every page works without JavaScript; htmx requests get the partial they target.
"""

from functools import partial
from urllib.parse import quote, urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from kefu.core import errors
from kefu.core.forms import show_service_errors
from kefu.core.web import domain_errors, is_htmx, require_perm
from kefu.customers import extensions, lookups, privacy, selectors, services, timeline
from kefu.customers.forms import (
    CustomerForm,
    LifeEventForm,
    MergeForm,
    ProductForm,
    address_formset,
    grouped_models,
)
from kefu.customers.models import ConsentPurpose, Customer, ProductModel

SEARCH_PAGE_SIZE = 20
TIMELINE_PAGE_SIZE = 30
PRODUCTS_SHOWN = 10


# --- Phones ----------------------------------------------------------------------------------


def phones_context(request, customer: Customer, *, reveal: bool = False) -> dict:
    """The customer's phones as this user may see them (customers.privacy); `reveal`: the user
    asked to see them in full."""
    texts = privacy.shown_phones(request.user, customer, reveal=reveal)
    full = reveal or privacy.sees_in_full(request.user)
    return {
        "customer": customer,
        "phones": [
            {"text": text, "label": phone.get_label_display(), "is_primary": phone.is_primary}
            for text, phone in zip(texts, customer.phones.all(), strict=True)
        ],
        "phones_full": full,
        "can_reveal": not full and privacy.may_reveal(request.user),
    }


# --- Search ----------------------------------------------------------------------------------


@require_GET
@login_required
def search(request):
    """The hotline's lookup: one row per match; a single match opens its 360° page."""
    require_perm(request.user, "customers.view_customer")
    text = request.GET.get("q", "").strip()[: selectors.SEARCH_MAX]
    cursor = request.GET.get("cursor") or None
    # Another app's record named outright (a ticket number) opens that record.
    target = extensions.jump_for(request.user, text)
    if target:
        return redirect(target)
    try:
        lookups.record_phone_lookup(by=request.user, text=text)
    except lookups.TooManyLookups as refusal:
        context = {"search_text": text, "throttled": True, "retry_minutes": -(-refusal.retry_after // 60)}
        response = render(request, "customers/search.html", context, status=429)
        response["Retry-After"] = str(refusal.retry_after)
        return response
    find = partial(
        selectors.find_customers,
        text,
        user=request.user,
        limit=SEARCH_PAGE_SIZE,
        suffixes=lookups.may_look_up_freely(request.user),
        count=True,
    )
    try:
        result = find(cursor=cursor)
    except errors.InvalidRequest:
        messages.warning(request, _("That page link has expired; here is the first page."))
        cursor = None
        result = find()
    rows = result.page.items
    if len(rows) == 1 and cursor is None and result.page.next_cursor is None:
        return redirect("customers:detail", pk=rows[0].pk)
    shown = privacy.shown(request.user, {c: [c.primary_phone] if c.primary_phone else [] for c in rows})
    for customer in rows:
        customer.shown_phone = next(iter(shown[customer.pk]), "")
        customer.more_phones = max(customer.phone_count - 1, 0)
    return render(
        request,
        "customers/search.html",
        {
            "search_text": text,
            "kind": result.kind,
            "customers": rows,
            "result_count": result.count,
            "next_cursor": result.page.next_cursor,
            "is_next_page": cursor is not None,
            "new_customer_query": _new_customer_query(result.kind, text),
        },
    )


def _new_customer_query(kind: str, text: str) -> str:
    """What the "new customer" link carries into the form from a search: the whole number, or
    the name that was looked for."""
    if kind == "phone":
        return "?" + urlencode({"phone": text}, quote_via=quote)
    if kind == "name":
        return "?" + urlencode({"name": text}, quote_via=quote)
    return ""


# --- The 360° page ---------------------------------------------------------------------------


def timeline_context(request, customer: Customer) -> dict:
    show = request.GET.get("show", "")
    kinds = timeline.kinds_for([show]) if show in timeline.FILTERS else None
    cursor = request.GET.get("cursor") or None
    try:
        page = selectors.customer_timeline(
            customer, user=request.user, kinds=kinds, cursor=cursor, limit=TIMELINE_PAGE_SIZE
        )
    except errors.InvalidRequest:
        cursor = None
        page = selectors.customer_timeline(customer, user=request.user, kinds=kinds, limit=TIMELINE_PAGE_SIZE)
    return {
        "timeline_entries": [{"entry": entry, "text": timeline.describe(entry)} for entry in page.items],
        "timeline_next": page.next_cursor,
        "timeline_is_later_page": cursor is not None,
        "timeline_show": show if show in timeline.FILTERS else "",
        "timeline_filters": [(code, label) for code, (label, _kinds) in timeline.FILTERS.items()],
    }


def render_detail(request, pk: int, *, reveal: bool = False) -> HttpResponse:
    # A household has a handful of products, a business hundreds: show the newest, offer the rest.
    show_all = request.GET.get("products") == "all"
    customer = selectors.customer_360(request.user, pk, products_limit=None if show_all else PRODUCTS_SHOWN)
    if is_htmx(request, "timeline"):
        return render(
            request, "customers/timeline.html", {"customer": customer, **timeline_context(request, customer)}
        )
    today = timezone.localdate()
    products = customer.shown_products
    for product in products:
        product.birthday, product.birthday_years = product.next_birthday(today)
        product.in_warranty = product.is_under_warranty(today)
    addresses = list(customer.addresses.all())
    default_address = next((a for a in addresses if a.is_default), addresses[0] if addresses else None)
    granted = {consent.purpose: consent.is_granted for consent in customer.consents.all()}
    context = {
        "customer": customer,
        "products": products,
        "product_count": customer.product_count,
        "hidden_product_count": customer.product_count - len(products),
        "address": default_address,
        "addresses": addresses,
        "consents": [(purpose.label, granted.get(purpose.value)) for purpose in ConsentPurpose],
        "unattached_life_events": customer.unattached_life_events,
        # What other apps add to the page (a new-ticket button, the open tickets).
        "parts": extensions.parts_for(request, customer),
        **phones_context(request, customer, reveal=reveal),
        **timeline_context(request, customer),
    }
    return render(request, "customers/detail.html", context)


@require_GET
@login_required
@domain_errors
def detail(request, pk: int):
    return render_detail(request, pk)


@require_http_methods(["GET", "POST"])
@login_required
@domain_errors
def reveal(request, pk: int):
    """Show the full numbers to a role that may ask; every reveal is in the audit trail."""
    if request.method != "POST":
        return redirect("customers:detail", pk=pk)
    customer = selectors.access_customer(request.user, pk)
    if is_htmx(request):
        customer = Customer.objects.prefetch_related("phones").get(pk=customer.pk)
        return render(request, "customers/phones.html", phones_context(request, customer, reveal=True))
    return render_detail(request, pk, reveal=True)


# --- Customer forms --------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@login_required
def create(request):
    require_perm(request.user, "customers.add_customer")
    duplicates: list[Customer] = []
    if request.method == "POST":
        form = CustomerForm(request.POST)
        addresses = address_formset(request.POST)
        if all([form.is_valid(), addresses.is_valid()]):
            try:
                customer = services.create_customer(
                    by=request.user,
                    addresses=addresses.addresses(),
                    consent_source="ui",
                    allow_duplicate_phone=form.cleaned_data["allow_duplicate_phone"],
                    **form.service_values(),
                )
            except services.DuplicatePhone as duplicate:
                # Not an error in what was typed: the agent opens the record, or goes on anyway.
                duplicates = selectors.customers_by_ids(duplicate.customer_ids, user=request.user)
            except ValidationError as error:
                show_service_errors(error, form, {"addresses": addresses.add_service_errors})
            else:
                messages.success(request, _("Customer record opened."))
                return redirect("customers:detail", pk=customer.pk)
    else:
        form = CustomerForm(
            initial={
                "phones": request.GET.get("phone", "").strip()[:40],
                "name": request.GET.get("name", "").strip()[: Customer._meta.get_field("name").max_length],
            }
        )
        addresses = address_formset()
    return render(
        request,
        "customers/customer_form.html",
        {"form": form, "addresses": addresses, "duplicates": duplicates},
    )


@require_http_methods(["GET", "POST"])
@login_required
@domain_errors
def edit(request, pk: int):
    require_perm(request.user, "customers.change_customer")
    customer = selectors.access_customer(request.user, pk)
    numbers = list(customer.phones.values_list("number", flat=True))
    known: dict[str, list[str]] = {}
    if not privacy.sees_in_full(request.user):
        # The agent keeps a number by keeping its masked line; the stored number is used.
        for number in numbers:
            known.setdefault(privacy.PHONES.masked(number), []).append(number)
    if request.method == "POST":
        form = CustomerForm(request.POST, known_phones=known, editing=True)
        addresses = address_formset(request.POST, customer=customer)
        if all([form.is_valid(), addresses.is_valid()]):
            try:
                services.update_customer(
                    by=request.user,
                    customer_id=customer.pk,
                    version=form.cleaned_data["version"],
                    changes={**form.service_values(), "addresses": addresses.addresses()},
                    consent_source="ui",
                )
            except errors.Conflict as error:  # a stale version, or a record merged meanwhile
                form.add_error(None, str(error.message))
            except ValidationError as error:
                show_service_errors(error, form, {"addresses": addresses.add_service_errors})
            else:
                messages.success(request, _("Changes saved."))
                return redirect("customers:detail", pk=customer.pk)
    else:
        # The numbers on the form as this user may see them: shown in full, the read is audited.
        shown = privacy.shown(request.user, {customer: numbers})[customer.pk]
        form = CustomerForm(
            initial=CustomerForm.initial_for(customer, shown), known_phones=known, editing=True
        )
        addresses = address_formset(customer=customer)
    return render(
        request,
        "customers/customer_form.html",
        {"form": form, "addresses": addresses, "customer": customer, "phones_masked": bool(known)},
    )


# --- Products and life events ----------------------------------------------------------------


@require_GET
@login_required
def model_options(request):
    """The model <option>s of one category, for the product form's category select (htmx)."""
    require_perm(request.user, "customers.view_customer")
    models = ProductModel.objects.filter(is_active=True).select_related("category")
    groups = grouped_models(models, request.GET.get("category") or None)[1:]
    return render(request, "customers/model_options.html", {"groups": groups})


@require_http_methods(["GET", "POST"])
@login_required
@domain_errors
def product_create(request, pk: int):
    require_perm(request.user, "customers.add_ownedproduct")
    customer = selectors.access_customer(request.user, pk)
    if request.method == "POST":
        form = ProductForm(request.POST, customer=customer)
        if form.is_valid():
            try:
                services.register_product(by=request.user, customer=customer, **form.product_values())
            except errors.Conflict as error:  # the record was merged into another
                form.add_error(None, str(error.message))
            except ValidationError as error:
                show_service_errors(error, form)
            else:
                messages.success(request, _("Product added."))
                return redirect("customers:detail", pk=customer.pk)
    else:
        form = ProductForm(customer=customer, initial={"category": request.GET.get("category", "")})
    return render(request, "customers/product_form.html", {"form": form, "customer": customer})


@require_http_methods(["GET", "POST"])
@login_required
@domain_errors
def product_edit(request, pk: int):
    require_perm(request.user, "customers.change_ownedproduct")
    product = selectors.access_product(request.user, pk)
    customer = selectors.access_customer(request.user, product.customer_id)
    if request.method == "POST":
        form = ProductForm(request.POST, customer=customer, product=product)
        if form.is_valid():
            try:
                services.update_product(
                    by=request.user,
                    product_id=product.pk,
                    version=form.cleaned_data["version"],
                    changes=form.product_values(),
                )
            except errors.StaleVersion as error:
                form.add_error(None, str(error.message))
            except ValidationError as error:
                show_service_errors(error, form)
            else:
                messages.success(request, _("Changes saved."))
                return redirect(reverse("customers:detail", args=[customer.pk]) + f"#product-{product.pk}")
    else:
        form = ProductForm(customer=customer, product=product, initial=ProductForm.initial_for(product))
    return render(
        request, "customers/product_form.html", {"form": form, "customer": customer, "product": product}
    )


@require_http_methods(["GET", "POST"])
@login_required
@domain_errors
def life_event_create(request, pk: int):
    require_perm(request.user, "customers.add_lifeevent")
    customer = selectors.access_customer(request.user, pk)
    if request.method == "POST":
        form = LifeEventForm(request.POST, customer=customer)
        if form.is_valid():
            try:
                services.record_life_event(by=request.user, customer=customer, **form.cleaned_data)
            except errors.Conflict as error:  # the record was merged into another
                form.add_error(None, str(error.message))
            except ValidationError as error:
                show_service_errors(error, form)
            else:
                messages.success(request, _("Life event recorded."))
                return redirect("customers:detail", pk=customer.pk)
    else:
        form = LifeEventForm(customer=customer, initial={"product": request.GET.get("product") or None})
    return render(request, "customers/life_event_form.html", {"form": form, "customer": customer})


# --- Merging duplicates ----------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@login_required
@domain_errors
def merge(request, pk: int):
    """Merge a duplicate record into this one (decision 0014); the records that share a phone
    number with it are offered first."""
    customer = selectors.access_customer(request.user, pk)
    require_perm(request.user, "customers.merge_customer")
    if customer.merged_into_id is not None:
        messages.warning(request, _("This record was merged into another; merge into that one."))
        return redirect("customers:detail", pk=customer.merged_into_id)
    form = MergeForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        from_id = form.cleaned_data["from_id"]
        try:
            services.merge_customers(by=request.user, into_id=customer.pk, from_id=from_id)
        except errors.Conflict as error:
            form.add_error(None, str(error.message))
        except ValidationError as error:
            show_service_errors(error, form, {"from": lambda found: form.add_error("from_id", found)})
        else:
            messages.success(request, _("Record #%(id)s was merged into this one.") % {"id": from_id})
            return redirect("customers:detail", pk=customer.pk)
    context = {
        "customer": customer,
        "form": form,
        "candidates": selectors.merge_candidates(customer, user=request.user),
    }
    return render(request, "customers/merge.html", context)
