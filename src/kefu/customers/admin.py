"""The customer archive in the admin.

Customer and product edits go through customers.services (update_customer, register_product,
update_product), which check the business rules, bump the version and audit. Phones,
addresses and consents are edited inline and audited row by row by AuditedModelAdmin. Tables
that reach a million rows list with select_related, raw-id widgets and no full COUNT.
"""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import F
from django.http import HttpResponseRedirect
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kefu.core.admin import AuditedModelAdmin, OneFlaggedFormSet, ReadOnlyAdminMixin
from kefu.core.dates import add_months
from kefu.core.errors import StaleVersion
from kefu.core.masking import mask_phone, national_digits
from kefu.customers import lookups, services, timeline, validation
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

STALE_MESSAGE = StaleVersion.default_message


def _check_version(form: forms.ModelForm) -> None:
    """Refuse a form whose record changed in the database since the form was opened."""
    instance = form.instance
    version = form.cleaned_data.get("version")
    if instance.pk is None or version is None:
        return
    current = type(instance)._default_manager.filter(pk=instance.pk).values_list("version", flat=True).first()
    if current is not None and current != version:
        raise ValidationError(STALE_MESSAGE, code="stale_version")


def _can_see_full_phones(user) -> bool:
    return user.has_perm("customers.reveal_phone") or services.can_see_full_phones(user)


# --- Inlines -------------------------------------------------------------------------------


class PhoneForm(forms.ModelForm):
    """Numbers are stored in E.164 with their last four digits beside them for the lookup."""

    class Meta:
        model = CustomerPhone
        fields = ("number", "label", "is_primary")

    def clean_number(self):
        return normalise_phone(self.cleaned_data.get("number", ""))

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("number"):
            self.instance.last4 = national_digits(cleaned["number"])[-4:]
        return cleaned

    def _get_validation_exclusions(self):
        # The one-primary rule is checked by the formset, across its rows (OneFlaggedFormSet).
        exclusions = super()._get_validation_exclusions()
        exclusions.add("is_primary")
        return exclusions


class PhoneFormSet(OneFlaggedFormSet):
    flag = "is_primary"
    flag_message = _("Mark exactly one phone number as primary.")

    def clean(self):
        super().clean()
        numbers = [form.cleaned_data.get("number") for form in self._kept_forms()]
        if len(numbers) != len(set(numbers)):
            raise ValidationError(_("The same phone number is entered twice."))


class PhoneInline(admin.TabularInline):
    model = CustomerPhone
    form = PhoneForm
    formset = PhoneFormSet
    extra = 1
    max_num = validation.MAX_PHONES
    validate_max = True


class MaskedPhoneInline(ReadOnlyAdminMixin, admin.TabularInline):
    """For staff who may not see full numbers: the numbers as the hotline screen shows them."""

    model = CustomerPhone
    fields = ("masked_number", "label", "is_primary")
    readonly_fields = fields
    extra = 0

    @admin.display(description=_("number"))
    def masked_number(self, phone: CustomerPhone) -> str:
        return mask_phone(phone.number)


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


class AddressInline(admin.TabularInline):
    model = Address
    form = AddressForm
    formset = AddressFormSet
    extra = 0
    max_num = validation.MAX_ADDRESSES
    validate_max = True


class ConsentInline(admin.TabularInline):
    model = Consent
    fields = ("purpose", "is_granted", "source")
    extra = 0
    max_num = len(ConsentPurpose.values)


# --- Customers -----------------------------------------------------------------------------


class CustomerForm(forms.ModelForm):
    class Meta:
        model = Customer
        fields = (*services.CUSTOMER_FIELDS, "version")
        widgets = {"version": forms.HiddenInput}

    def clean(self):
        cleaned = super().clean()
        _check_version(self)
        return cleaned


@admin.register(Customer)
class CustomerAdmin(AuditedModelAdmin):
    form = CustomerForm
    list_display = ("name", "tier", "preferred_channel", "created_at")
    list_filter = ("tier",)
    search_fields = ("name",)
    search_help_text = _("The start of a name, a phone number, its last four digits or a serial number.")
    show_full_result_count = False
    ordering = ("-id",)
    fields = (*services.CUSTOMER_FIELDS, "version")

    def get_inlines(self, request, obj):
        phones = PhoneInline if _can_see_full_phones(request.user) else MaskedPhoneInline
        return [phones, AddressInline, ConsentInline]

    def get_search_results(self, request, queryset, search_term):
        term = search_term.strip()[:SEARCH_MAX]
        if not term:
            return queryset, False
        try:
            lookups.record_phone_lookup(by=request.user, text=term)
        except lookups.TooManyLookups as refusal:
            self.message_user(request, refusal.message, messages.ERROR)
            return queryset.none(), False
        return match_customers(queryset, term), False

    def change_view(self, request, object_id, form_url="", extra_context=None):
        if request.method == "GET" and _can_see_full_phones(request.user):
            customer = self.get_object(request, object_id)
            phones = PhoneInline(self.model, self.admin_site)
            if (
                customer is not None
                and self.has_view_or_change_permission(request, customer)
                and phones.has_view_or_change_permission(request, customer)
            ):
                # The page shows the full numbers: that read is in the audit trail. (Without the
                # right to see phone rows the inline is not on the page, and nothing was shown.)
                services.record_full_phone_views(by=request.user, customers=[customer])
        try:
            return super().change_view(request, object_id, form_url, extra_context)
        except StaleVersion as error:
            self.message_user(request, error.message, messages.ERROR)
            return HttpResponseRedirect(request.path)

    def save_model(self, request, obj, form, change):
        if not change:
            super().save_model(request, obj, form, change)
            timeline.add(customer=obj, kind=timeline.CUSTOMER_CREATED, by=request.user)
            return
        changes = {
            field: form.cleaned_data[field]
            for field in services.CUSTOMER_FIELDS
            if field in form.changed_data
        }
        if changes:
            services.update_customer(
                by=request.user, customer_id=obj.pk, version=form.cleaned_data["version"], changes=changes
            )
        request._kefu_audit_before = self.AUDITED_BY_SERVICE

    def save_formset(self, request, form, formset, change):
        super().save_formset(request, form, formset, change)
        if change and formset.has_changed():
            # Phones, addresses and consents are part of the record's version (as in update_customer).
            Customer.objects.filter(pk=form.instance.pk).update(
                version=F("version") + 1, updated_at=timezone.now()
            )


# --- Catalogue -----------------------------------------------------------------------------


@admin.register(ProductCategory)
class ProductCategoryAdmin(AuditedModelAdmin):
    list_display = ("code", "name", "label", "care_interval_years", "sort_order")
    search_fields = ("code", "name")

    def get_readonly_fields(self, request, obj=None):
        # Rules (care, warranty, API clients) refer to the code: it never changes once made.
        return ("code",) if obj is not None else ()


@admin.register(ProductModel)
class ProductModelAdmin(AuditedModelAdmin):
    list_display = ("code", "name", "brand", "category", "warranty_months", "is_active")
    list_filter = ("category", "is_active")
    search_fields = ("code", "name")
    list_select_related = ("category",)


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
        help_texts = {"warranty_ends_on": _("Leave empty for the model's warranty period.")}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "warranty_ends_on" in self.fields:
            self.fields["warranty_ends_on"].required = False

    def clean_serial_number(self):
        return validation.clean_serial(self.cleaned_data.get("serial_number", ""))

    def clean(self):
        cleaned = super().clean()
        _check_version(self)
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
            self.instance.warranty_ends_on = cleaned["warranty_ends_on"]
        return cleaned

    def validate_unique(self):
        """The serial number's uniqueness is among the service's checks above (and a constraint)."""


@admin.register(OwnedProduct)
class OwnedProductAdmin(AuditedModelAdmin):
    form = OwnedProductForm
    list_display = ("serial_number", "model", "customer", "purchased_on", "warranty_ends_on", "status")
    list_filter = ("status", "purchase_channel")
    list_select_related = ("model", "customer")
    raw_id_fields = ("customer", "model", "install_address")
    search_fields = ("serial_number",)
    search_help_text = _("The whole serial number.")
    show_full_result_count = False
    ordering = ("-id",)

    def get_fields(self, request, obj=None):
        fields = list(self.form.Meta.fields)
        if obj is None:
            fields.remove("status")  # a registered product is in use
        return fields

    def get_readonly_fields(self, request, obj=None):
        # A product changes hands by a transfer, not by an edit of its owner.
        return ("customer",) if obj is not None else ()

    def get_search_results(self, request, queryset, search_term):
        serial = validation.clean_serial(search_term)
        if not serial:
            return queryset, False
        return queryset.filter(serial_number=serial), False

    def has_delete_permission(self, request, obj=None):
        return False  # nothing is deleted: a product is disposed of or transferred

    def change_view(self, request, object_id, form_url="", extra_context=None):
        try:
            return super().change_view(request, object_id, form_url, extra_context)
        except StaleVersion as error:
            self.message_user(request, error.message, messages.ERROR)
            return HttpResponseRedirect(request.path)

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        if change:
            changes = {field: data[field] for field in services.PRODUCT_FIELDS if field in form.changed_data}
            services.update_product(
                by=request.user, product_id=obj.pk, version=data["version"], changes=changes
            )
        else:
            product = services.register_product(
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
            obj.pk = product.pk
            obj._state.adding = False
        obj.refresh_from_db()
        request._kefu_audit_before = self.AUDITED_BY_SERVICE


# --- Written by services only --------------------------------------------------------------


@admin.register(LifeEvent)
class LifeEventAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("occurred_on", "kind", "description", "customer", "product")
    list_filter = ("kind",)
    list_select_related = ("customer", "product__model")
    show_full_result_count = False
    ordering = ("-id",)


@admin.register(CustomerEvent)
class CustomerEventAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("occurred_at", "kind", "customer", "actor", "description")
    list_select_related = ("customer", "actor")
    show_full_result_count = False
    ordering = ("-id",)
    fields = ("occurred_at", "kind", "customer", "actor", "product", "description", "data")
    readonly_fields = fields

    @admin.display(description=_("description"))
    def description(self, entry: CustomerEvent) -> str:
        return timeline.describe(entry)
