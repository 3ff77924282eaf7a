"""The customer archive in the admin.

Every add and change goes through customers.services (ServiceModelAdmin): a customer's page
saves its fields, phones, addresses and consents in one call of create_customer or
update_customer, which checks them, bumps the version once under its lock and audits; products
go through register_product and update_product, catalogue models through create_product_model.
What no service writes is read-only here (product categories, a model once made, life events,
the timeline). Phone numbers follow customers.privacy, as everywhere: masked, in full for whoever
sees them in full (audited), and shown on an explicit reveal for whoever may ask (audited).
Tables that reach a million rows list with select_related, raw-id widgets and no full COUNT.
"""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from kefu.core import errors
from kefu.core.admin import OneFlaggedFormSet, ReadOnlyAdminMixin, ServiceModelAdmin
from kefu.core.dates import add_months
from kefu.core.validation import FieldErrors
from kefu.customers import lookups, privacy, services, timeline, validation
from kefu.customers.models import (
    Address,
    Consent,
    ConsentPurpose,
    Customer,
    CustomerEvent,
    CustomerPhone,
    LifeEvent,
    OwnedProduct,
    ProductCategory,
    ProductModel,
    ProductStatus,
)
from kefu.customers.phones import normalise_phone
from kefu.customers.selectors import SEARCH_MAX, match_customers


def related(name: str, label) -> object:
    """A list column or read-only field showing the related record `name` under a translated
    label (the models' foreign keys to customers, actors and products carry no label of their own)."""

    @admin.display(description=label, ordering=name)
    def show(self, obj):
        return getattr(obj, name)

    return show


def _service_checks(form_errors: FieldErrors, field: str) -> None:
    """Raise the messages a customers.validation cleaner recorded for `field`, for a formset."""
    if field in form_errors.by_field:
        raise ValidationError(form_errors.by_field[field])


# --- Inlines: parts of the customer's record, saved with it by the service ------------------


class CustomerPartInline(admin.TabularInline):
    """Rows that belong to the customer's record: seen with the record's view right, edited
    with the right to add or change the record (the service saves them together)."""

    def has_view_permission(self, request, obj=None):
        return request.user.has_perm("customers.view_customer")

    def _may_edit(self, request, obj) -> bool:
        return request.user.has_perm("customers.change_customer" if obj else "customers.add_customer")

    def has_add_permission(self, request, obj=None):
        return self._may_edit(request, obj)

    def has_change_permission(self, request, obj=None):
        return self._may_edit(request, obj)

    def has_delete_permission(self, request, obj=None):
        return self._may_edit(request, obj)


class PhoneForm(forms.ModelForm):
    """A phone row: the stored number is never put into the form (it is shown masked beside
    it); a number typed here is a new one, or replaces the row's."""

    new_number = forms.CharField(
        label=_("new number"), max_length=validation.MAX_PHONE_LENGTH, required=False
    )

    class Meta:
        model = CustomerPhone
        fields = ("is_primary",)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["new_number"].required = self.instance.pk is None
        self.fields["new_number"].widget.attrs.update({"inputmode": "tel", "autocomplete": "off"})

    def clean_new_number(self):
        raw = self.cleaned_data.get("new_number", "")
        return normalise_phone(raw) if raw.strip() else ""

    def _get_validation_exclusions(self):
        # One primary row is the formset's rule, across its rows; the service writes the rows.
        exclusions = super()._get_validation_exclusions()
        exclusions.add("is_primary")
        return exclusions

    @property
    def number(self) -> str:
        return self.cleaned_data.get("new_number") or self.instance.number


class PhoneFormSet(OneFlaggedFormSet):
    flag = "is_primary"
    flag_message = _("Mark exactly one phone number as primary.")

    def clean(self):
        super().clean()
        if any(self.errors):
            return
        numbers = [form.number for form in self.kept_forms()]
        if len(numbers) != len(set(numbers)):
            raise ValidationError(_("The same phone number is entered twice."))
        problems = FieldErrors()
        validation.clean_phones(problems, numbers)  # the service's own check: at least one, at most five
        _service_checks(problems, "phones")

    def numbers(self) -> list[str]:
        """The numbers to keep, the primary one first, as create_customer and update_customer take them."""
        return [form.number for form in self.flagged_first()]


class PhoneInline(CustomerPartInline):
    model = CustomerPhone
    form = PhoneForm
    formset = PhoneFormSet
    fields = ("masked_number", "label_shown", "new_number", "is_primary")
    readonly_fields = ("masked_number", "label_shown")
    extra = 1
    max_num = validation.MAX_PHONES
    validate_max = True
    verbose_name_plural = _("phone numbers (masked: see above for the full numbers)")

    @admin.display(description=_("number"))
    def masked_number(self, phone: CustomerPhone) -> str:
        return privacy.PHONES.masked(phone.number) if phone.pk else ""

    @admin.display(description=_("label"))
    def label_shown(self, phone: CustomerPhone) -> str:
        return phone.get_label_display() if phone.pk else ""


class AddressForm(forms.ModelForm):
    class Meta:
        model = Address
        fields = ("province", "city", "district", "detail", "is_default")

    def _get_validation_exclusions(self):
        exclusions = super()._get_validation_exclusions()
        exclusions.add("is_default")
        return exclusions


class AddressFormSet(OneFlaggedFormSet):
    flag = "is_default"
    flag_message = _("Mark exactly one address as the default.")

    def clean(self):
        super().clean()
        if any(self.errors):
            return
        problems = FieldErrors()
        validation.clean_addresses(problems, self.addresses())
        _service_checks(problems, "addresses")

    def addresses(self) -> list[dict[str, str]]:
        """The addresses to keep, the default first, as the services take them."""
        return [
            {part: form.cleaned_data.get(part) or "" for part in validation.ADDRESS_PARTS}
            for form in self.flagged_first()
        ]


class AddressInline(CustomerPartInline):
    model = Address
    form = AddressForm
    formset = AddressFormSet
    extra = 0
    max_num = validation.MAX_ADDRESSES
    validate_max = True


class ConsentInline(ReadOnlyAdminMixin, admin.TabularInline):
    """How each consent was given and when; the answers themselves are changed above."""

    model = Consent
    fields = ("purpose", "is_granted", "source", "updated_at")
    readonly_fields = fields
    extra = 0
    verbose_name_plural = _("consents as recorded")

    def has_view_permission(self, request, obj=None):
        return request.user.has_perm("customers.view_customer")


# --- Customers -----------------------------------------------------------------------------


class CustomerForm(forms.ModelForm):
    consents_given = forms.MultipleChoiceField(
        label=_("consents given"),
        choices=ConsentPurpose.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    consent_source = forms.CharField(
        label=_("how the consents were given"),
        max_length=Consent._meta.get_field("source").max_length,
        required=False,
        help_text=_("Recorded with each answer that changes, for example: phone call."),
    )

    class Meta:
        model = Customer
        fields = (*services.CUSTOMER_FIELDS, "version")
        widgets = {"version": forms.HiddenInput}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk is not None:
            self.initial["consents_given"] = [
                purpose
                for purpose, granted in self.instance.consents.values_list("purpose", "is_granted")
                if granted
            ]

    def clean_name(self):
        problems = FieldErrors()
        name = validation.clean_name(problems, self.cleaned_data.get("name"))
        _service_checks(problems, "name")
        return name

    def consent_answers(self) -> dict[str, bool]:
        given = set(self.cleaned_data.get("consents_given") or [])
        return {purpose: purpose in given for purpose in ConsentPurpose.values}


CONSENT_FIELDS = ["consents_given", "consent_source"]


@admin.register(Customer)
class CustomerAdmin(ServiceModelAdmin):
    form = CustomerForm
    list_display = ("name", "tier", "preferred_channel", "created_at")
    list_filter = ("tier",)
    search_fields = ("name",)
    search_help_text = _("The start of a name, a phone number, its last four digits or a serial number.")
    show_full_result_count = False
    ordering = ("-id",)
    change_form_template = "admin/customers/customer/change_form.html"

    def get_fieldsets(self, request, obj=None):
        if obj is None:
            return [(None, {"fields": services.CUSTOMER_FIELDS}), (_("Consents"), {"fields": CONSENT_FIELDS})]
        if not self.has_change_permission(request, obj):
            return [
                (None, {"fields": services.CUSTOMER_FIELDS}),
                (_("Consents"), {"fields": ["consents_given"]}),
            ]
        fields = [*services.CUSTOMER_FIELDS, "version"]
        return [(None, {"fields": fields}), (_("Consents"), {"fields": CONSENT_FIELDS})]

    @admin.display(description=_("consents given"))
    def consents_given(self, customer: Customer) -> str:
        granted = customer.consents.filter(is_granted=True).values_list("purpose", flat=True)
        return ", ".join(str(ConsentPurpose(purpose).label) for purpose in granted)

    def get_inlines(self, request, obj):
        return (
            [PhoneInline, AddressInline, ConsentInline] if obj is not None else [PhoneInline, AddressInline]
        )

    def get_search_results(self, request, queryset, search_term):
        term = search_term.strip()[:SEARCH_MAX]
        if not term:
            return queryset, False
        try:
            lookups.record_phone_lookup(by=request.user, text=term)
        except lookups.TooManyLookups as refusal:
            self.message_user(request, refusal.message, messages.ERROR)
            return queryset.none(), False
        return match_customers(queryset, term, suffixes=lookups.may_look_up_freely(request.user)), False

    # --- Phones as customers.privacy lets this user see them ---

    def get_urls(self):
        reveal = self.admin_site.admin_view(require_POST(self.reveal_phones_view))
        name = f"{self.opts.app_label}_{self.opts.model_name}_reveal_phones"
        return [path("<path:object_id>/reveal-phones/", reveal, name=name), *super().get_urls()]

    def _phone_rows(self, customer: Customer, texts: list[str]) -> list[dict]:
        return [
            {"text": text, "label": phone.get_label_display(), "is_primary": phone.is_primary}
            for text, phone in zip(texts, customer.phones.all(), strict=True)
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        customer = self.get_object(request, unquote(object_id))
        if (
            request.method == "GET"
            and customer is not None
            and self.has_view_or_change_permission(request, customer)
        ):
            full = privacy.sees_in_full(request.user)
            extra_context = {
                **(extra_context or {}),
                # In full (and audited) only for whoever sees numbers in full; the inline shows them masked.
                "full_phones": self._phone_rows(customer, privacy.shown_phones(request.user, customer))
                if full
                else [],
                "can_reveal_phones": not full
                and privacy.may_reveal(request.user)
                and customer.phones.exists(),
            }
        return super().change_view(request, object_id, form_url, extra_context)

    def reveal_phones_view(self, request, object_id):
        """The customer's numbers in full, on an explicit request (a POST), audited once."""
        customer = self.get_object(request, unquote(object_id))
        if customer is None or not self.has_view_or_change_permission(request, customer):
            raise PermissionDenied
        try:
            texts = privacy.shown_phones(request.user, customer, reveal=True, reason="admin")
        except errors.PermissionDenied:
            raise PermissionDenied from None
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "original": customer,
            "title": _("Phone numbers of %(name)s") % {"name": customer.name},
            "phones": self._phone_rows(customer, texts),
            "change_url": reverse(
                f"admin:{self.opts.app_label}_{self.opts.model_name}_change", args=[customer.pk]
            ),
        }
        return TemplateResponse(request, "admin/customers/customer/phones_revealed.html", context)

    # --- Saving: one call of the service ---

    def save_through_service(self, request, form, formsets, change):
        data = form.cleaned_data
        phones = next(f for f in formsets if isinstance(f, PhoneFormSet))
        addresses = next(f for f in formsets if isinstance(f, AddressFormSet))
        if not change:
            return services.create_customer(
                by=request.user,
                **{field: data[field] for field in services.CUSTOMER_FIELDS},
                phones=phones.numbers(),
                addresses=addresses.addresses(),
                consents=form.consent_answers(),
                consent_source=data.get("consent_source", ""),
            )
        changes = {field: data[field] for field in services.CUSTOMER_FIELDS if field in form.changed_data}
        if phones.has_changed():
            changes["phones"] = phones.numbers()
        if addresses.has_changed():
            changes["addresses"] = addresses.addresses()
        if "consents_given" in form.changed_data:
            changes["consents"] = form.consent_answers()
        return services.update_customer(
            by=request.user,
            customer_id=form.instance.pk,
            version=data["version"],
            changes=changes,
            consent_source=data.get("consent_source", ""),
        )


# --- Catalogue -----------------------------------------------------------------------------


@admin.register(ProductCategory)
class ProductCategoryAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Categories ship with the system (rules such as care visits refer to their codes); no
    service adds or changes one yet, so here they are only shown."""

    list_display = ("code", "label", "care_interval_years", "sort_order")
    search_fields = ("code", "name")

    @admin.display(description=_("name"))
    def label(self, category: ProductCategory) -> str:
        return category.label


class ProductModelForm(forms.ModelForm):
    class Meta:
        model = ProductModel
        fields = ("category", "code", "name", "brand", "warranty_months")


@admin.register(ProductModel)
class ProductModelAdmin(ServiceModelAdmin):
    """Models are added through create_product_model; a model once made is only shown here
    (owned products, rules and API clients refer to it)."""

    form = ProductModelForm
    list_display = ("code", "name", "brand", "category", "warranty_months", "is_active")
    list_filter = ("category", "is_active")
    search_fields = ("code", "name")
    list_select_related = ("category",)

    def has_change_permission(self, request, obj=None):
        return False

    def save_through_service(self, request, form, formsets, change):
        data = form.cleaned_data
        return services.create_product_model(
            by=request.user,
            category=data["category"].code,
            code=data["code"],
            name=data["name"],
            brand=data.get("brand", ""),
            warranty_months=data["warranty_months"],
        )


# --- Owned products ------------------------------------------------------------------------


class OwnedProductForm(forms.ModelForm):
    class Meta:
        model = OwnedProduct
        fields = (
            "customer",
            "model",
            "serial_number",
            "purchased_on",
            "purchase_channel",
            "install_address",
            "warranty_ends_on",
            "status",
            "notes",
            "version",
        )
        widgets = {"version": forms.HiddenInput}
        labels = {"customer": _("customer")}
        help_texts = {"warranty_ends_on": _("Leave empty for the model's warranty period.")}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "warranty_ends_on" in self.fields:
            self.fields["warranty_ends_on"].required = False

    def clean_serial_number(self):
        return validation.clean_serial(self.cleaned_data.get("serial_number", ""))

    def clean(self):
        cleaned = super().clean()
        purchased_on, model = cleaned.get("purchased_on"), cleaned.get("model")
        customer = cleaned.get("customer") or getattr(self.instance, "customer", None)
        if customer is not None and model is not None and purchased_on is not None:
            # The service's own checks, shown beside the fields before anything is saved.
            problems = services.product_errors(
                customer=customer,
                model=model,
                serial_number=cleaned.get("serial_number", ""),
                purchased_on=purchased_on,
                purchase_channel=cleaned.get("purchase_channel", ""),
                install_address=cleaned.get("install_address"),
                warranty_ends_on=cleaned.get("warranty_ends_on"),
                status=cleaned.get("status") or ProductStatus.IN_USE,
                exclude_pk=self.instance.pk,
                today=timezone.localdate(),
            )
            for field, messages_ in problems.by_field.items():
                if field not in self.errors:
                    self.add_error(field if field in self.fields else None, messages_)
        if not cleaned.get("warranty_ends_on") and purchased_on and model:
            cleaned["warranty_ends_on"] = add_months(purchased_on, model.warranty_months)
        return cleaned

    def validate_unique(self):
        """The serial number's uniqueness is among the service's checks above (and a constraint)."""


@admin.register(OwnedProduct)
class OwnedProductAdmin(ServiceModelAdmin):
    form = OwnedProductForm
    list_display = ("serial_number", "model", "customer_shown", "purchased_on", "warranty_ends_on", "status")
    list_filter = ("status", "purchase_channel")
    list_select_related = ("model", "customer")
    raw_id_fields = ("customer", "model", "install_address")
    search_fields = ("serial_number",)
    search_help_text = _("The whole serial number.")
    show_full_result_count = False
    ordering = ("-id",)

    customer_shown = related("customer", _("customer"))

    def get_fields(self, request, obj=None):
        fields = list(self.form.Meta.fields)
        if obj is None:
            fields.remove("status")  # a registered product is in use
            fields.remove("version")
        else:
            fields[fields.index("customer")] = "customer_shown"
        return fields

    def get_readonly_fields(self, request, obj=None):
        # A product changes hands by a transfer, not by an edit of its owner.
        return ("customer_shown",) if obj is not None else ()

    def get_search_results(self, request, queryset, search_term):
        serial = validation.clean_serial(search_term)
        if not serial:
            return queryset, False
        return queryset.filter(serial_number=serial), False

    def save_through_service(self, request, form, formsets, change):
        data = form.cleaned_data
        if change:
            changes = {field: data[field] for field in services.PRODUCT_FIELDS if field in form.changed_data}
            return services.update_product(
                by=request.user, product_id=form.instance.pk, version=data["version"], changes=changes
            )
        return services.register_product(
            by=request.user,
            customer=data["customer"],
            model=data["model"],
            purchased_on=data["purchased_on"],
            serial_number=data.get("serial_number", ""),
            purchase_channel=data["purchase_channel"],
            install_address=data.get("install_address"),
            warranty_ends_on=data.get("warranty_ends_on"),
            notes=data.get("notes", ""),
        )


# --- Written by services only --------------------------------------------------------------


@admin.register(LifeEvent)
class LifeEventAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("occurred_on", "kind", "description", "customer_shown", "product_shown")
    fields = list_display
    readonly_fields = fields
    customer_shown = related("customer", _("customer"))
    product_shown = related("product", _("product"))
    list_filter = ("kind",)
    list_select_related = ("customer", "product__model")
    show_full_result_count = False
    ordering = ("-id",)


@admin.register(CustomerEvent)
class CustomerEventAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """The timeline, in the reader's words (timeline.describe), never by its kind's code."""

    list_display = ("occurred_at", "description", "customer_shown", "actor_shown")
    list_select_related = ("customer", "actor")
    show_full_result_count = False
    ordering = ("-id",)
    fields = ("occurred_at", "description", "customer_shown", "actor_shown", "product_shown")
    readonly_fields = fields
    customer_shown = related("customer", _("customer"))
    actor_shown = related("actor", _("actor"))
    product_shown = related("product", _("product"))

    @admin.display(description=_("description"))
    def description(self, entry: CustomerEvent) -> str:
        return timeline.describe(entry)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        entry = self.get_object(request, unquote(object_id))
        if entry is not None:
            title = f"{timezone.localtime(entry.occurred_at):%Y-%m-%d} {timeline.describe(entry)}"
            extra_context = {"object_title": title, "subtitle": title, **(extra_context or {})}
        return super().change_view(request, object_id, form_url, extra_context)
