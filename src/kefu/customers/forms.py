"""Forms of the customer screens. They parse what the agent typed; the services decide.

A service refuses with a ValidationError keyed by field name; `show_service_errors` (core.forms)
puts each message beside its field, so the agent sees why and keeps what they typed.
"""

import re

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kefu.core.api.parser import MAX_INTEGER
from kefu.core.forms import DateInput, StyledForm, require_version
from kefu.core.validation import TEXT_MAX
from kefu.customers.models import (
    Address,
    ConsentPurpose,
    ContactChannel,
    Customer,
    LifeEventKind,
    OwnedProduct,
    ProductCategory,
    ProductModel,
    ProductStatus,
    PurchaseChannel,
    Tier,
)
from kefu.customers.validation import (
    ADDRESS_PARTS,
    EARLIEST_PURCHASE,
    MAX_ADDRESSES,
    MAX_PHONE_LENGTH,
    MAX_PHONES,
    latest_life_event,
)

# Phones may be typed one per line, or separated by commas (Chinese or Latin) or semicolons.
PHONE_SEPARATORS = re.compile(r"[\n\r,;，；、]+")


# --- Customers -----------------------------------------------------------------------------


class CustomerForm(StyledForm):
    name = forms.CharField(label=_("Name"), max_length=100)
    phones = forms.CharField(
        label=_("Phones"),
        max_length=MAX_PHONES * (MAX_PHONE_LENGTH + 2),
        widget=forms.Textarea(attrs={"rows": 2, "inputmode": "tel", "autocomplete": "off"}),
        help_text=_("One per line; the first is the main number."),
    )
    tier = forms.ChoiceField(label=_("Tier"), choices=Tier.choices, initial=Tier.REGULAR)
    email = forms.EmailField(label=_("Email"), required=False)
    preferred_channel = forms.ChoiceField(
        label=_("Contact by"), choices=ContactChannel.choices, initial=ContactChannel.PHONE
    )
    preferred_time = forms.CharField(
        label=_("Best time"),
        max_length=50,
        required=False,
        widget=forms.TextInput(attrs={"placeholder": _("For example: weekday evenings")}),
    )
    notes = forms.CharField(
        label=_("Notes"), max_length=TEXT_MAX, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)
    # Sent by the "create anyway" button that the duplicate-number warning offers.
    allow_duplicate_phone = forms.BooleanField(required=False, widget=forms.HiddenInput)

    def __init__(
        self, *args, known_phones: dict[str, list[str]] | None = None, editing: bool = False, **kwargs
    ):
        """`known_phones` maps each masked number shown in the form to the stored numbers behind
        it, in order, so an agent who may not see full numbers can keep, remove or add numbers
        without seeing them. Two numbers may mask alike (133****5518 twice): the first such line
        stands for the first number, the second for the second. `editing`: the form changes a
        record, and must carry the version it was opened on."""
        super().__init__(*args, **kwargs)
        self.known_phones = known_phones or {}
        self.editing = editing
        for purpose in ConsentPurpose:
            self.fields[f"consent_{purpose.value}"] = forms.BooleanField(
                label=purpose.label,
                required=False,
                widget=forms.CheckboxInput(attrs={"class": "form-check-input"}),
            )

    @property
    def consent_fields(self):
        return [self[f"consent_{purpose.value}"] for purpose in ConsentPurpose]

    def clean_phones(self) -> list[str]:
        lines = [line.strip() for line in PHONE_SEPARATORS.split(self.cleaned_data["phones"])]
        lines = [line for line in lines if line]
        if len(lines) > MAX_PHONES:
            raise ValidationError(_("A customer has at most %(n)d phone numbers.") % {"n": MAX_PHONES})
        unused = {masked: list(numbers) for masked, numbers in self.known_phones.items()}
        return [unused[line].pop(0) if unused.get(line) else line for line in lines]

    def clean(self):
        data = super().clean()
        if self.editing:
            require_version(self)
        return data

    def service_values(self) -> dict:
        data = self.cleaned_data
        return {
            "name": data["name"],
            "phones": data["phones"],
            "tier": data["tier"],
            "email": data["email"],
            "preferred_channel": data["preferred_channel"],
            "preferred_time": data["preferred_time"],
            "notes": data["notes"],
            "consents": {purpose.value: data[f"consent_{purpose.value}"] for purpose in ConsentPurpose},
        }

    @classmethod
    def initial_for(cls, customer: Customer, phones: list[str]) -> dict:
        initial = {
            "name": customer.name,
            "phones": "\n".join(phones),
            "tier": customer.tier,
            "email": customer.email,
            "preferred_channel": customer.preferred_channel,
            "preferred_time": customer.preferred_time,
            "notes": customer.notes,
            "version": customer.version,
        }
        for consent in customer.consents.all():
            initial[f"consent_{consent.purpose}"] = consent.is_granted
        return initial


class AddressForm(StyledForm):
    province = forms.CharField(label=_("Province"), max_length=20, required=False)
    city = forms.CharField(label=_("City"), max_length=30, required=False)
    district = forms.CharField(label=_("District"), max_length=30, required=False)
    detail = forms.CharField(label=_("Street address"), max_length=200, required=False)

    def clean(self):
        data = super().clean()
        if any(data.get(part) for part in ADDRESS_PARTS):
            for part in ("province", "city", "detail"):
                if not data.get(part):
                    self.add_error(part, _("Needed for an address."))
        return data

    @property
    def is_blank(self) -> bool:
        return not any(self.cleaned_data.get(part) for part in ADDRESS_PARTS)


class BaseAddressFormSet(forms.BaseFormSet):
    def addresses(self) -> list[dict[str, str]]:
        return [
            {part: form.cleaned_data.get(part, "") for part in ADDRESS_PARTS}
            for form in self.forms
            if not form.is_blank
        ]

    def add_service_errors(self, messages: list[str]) -> None:
        self._non_form_errors = self.error_class([*self.non_form_errors(), *messages])


AddressFormSet = forms.formset_factory(
    AddressForm, formset=BaseAddressFormSet, extra=1, max_num=MAX_ADDRESSES, validate_max=True
)


def address_formset(data=None, *, customer: Customer | None = None) -> BaseAddressFormSet:
    initial = (
        [{part: getattr(a, part) for part in ADDRESS_PARTS} for a in customer.addresses.all()]
        if customer
        else []
    )
    return AddressFormSet(data, initial=initial, prefix="address")


# --- Products ------------------------------------------------------------------------------


def grouped_models(models, category: str | None) -> list:
    """Model choices grouped under their category, only `category`'s when one is chosen."""
    groups: dict[str, list] = {}
    for model in models:
        if category and model.category.code != category:
            continue
        groups.setdefault(model.category.label, []).append((model.pk, f"{model.name} {model.code}"))
    return [("", "---------"), *groups.items()]


class ProductForm(StyledForm):
    category = forms.ChoiceField(label=_("Category"))
    model = forms.ModelChoiceField(label=_("Model"), queryset=ProductModel.objects.none())
    serial_number = forms.CharField(
        label=_("Serial no."),
        max_length=64,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    purchased_on = forms.DateField(label=_("Bought on"), widget=DateInput)
    purchase_channel = forms.ChoiceField(
        label=_("Bought at"), choices=PurchaseChannel.choices, initial=PurchaseChannel.STORE
    )
    install_address = forms.ModelChoiceField(
        label=_("Installed at"), queryset=Address.objects.none(), required=False
    )
    warranty_ends_on = forms.DateField(
        label=_("Warranty to"),
        required=False,
        widget=DateInput,
        help_text=_("Leave empty to use the model's warranty period."),
    )
    status = forms.ChoiceField(label=_("Status"), choices=ProductStatus.choices, initial=ProductStatus.IN_USE)
    notes = forms.CharField(
        label=_("Notes"), max_length=TEXT_MAX, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, customer: Customer, product: OwnedProduct | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.customer = customer
        if product is None:
            del self.fields["status"]
            del self.fields["version"]
        categories = list(ProductCategory.objects.all())
        self.fields["category"].choices = [("", "---------")] + [(c.code, c.label) for c in categories]
        available = Q(is_active=True) | Q(pk=product.model_id) if product else Q(is_active=True)
        models = ProductModel.objects.filter(available).select_related("category")
        self.fields["model"].queryset = models
        category = (
            self.data.get(self.add_prefix("category")) if self.is_bound else self.initial.get("category")
        )
        self.fields["model"].choices = grouped_models(models, category)
        self.fields["install_address"].queryset = customer.addresses.all()
        # The date picker offers the dates the service accepts (it checks them all the same).
        self.fields["purchased_on"].widget.attrs.update(
            min=EARLIEST_PURCHASE.isoformat(), max=timezone.localdate().isoformat()
        )

    def clean(self):
        data = super().clean()
        model, category = data.get("model"), data.get("category")
        if model and category and model.category.code != category:
            self.add_error("model", _("This model is not in the chosen category."))
        if "version" in self.fields:
            require_version(self)
        return data

    def product_values(self) -> dict:
        data = self.cleaned_data
        values = {
            "model": data["model"],
            "serial_number": data["serial_number"],
            "purchased_on": data["purchased_on"],
            "purchase_channel": data["purchase_channel"],
            "install_address": data["install_address"],
            "warranty_ends_on": data["warranty_ends_on"],
            "notes": data["notes"],
        }
        if "status" in self.fields:
            values["status"] = data["status"]
        return values

    @classmethod
    def initial_for(cls, product: OwnedProduct) -> dict:
        return {
            "category": product.model.category.code,
            "model": product.model_id,
            "serial_number": product.serial_number,
            "purchased_on": product.purchased_on,
            "purchase_channel": product.purchase_channel,
            "install_address": product.install_address_id,
            "warranty_ends_on": product.warranty_ends_on,
            "status": product.status,
            "notes": product.notes,
            "version": product.version,
        }


# --- Merging -------------------------------------------------------------------------------


class MergeForm(StyledForm):
    """The record to merge into the one on the page, by its number (#id)."""

    from_id = forms.IntegerField(
        label=_("Record number"),
        min_value=1,
        max_value=MAX_INTEGER,
        help_text=_("The number (#) of the duplicate record, shown on its page."),
    )


# --- Life events ---------------------------------------------------------------------------


class LifeEventForm(StyledForm):
    occurred_on = forms.DateField(label=_("Date"), widget=DateInput)
    kind = forms.ChoiceField(label=_("Kind"), choices=LifeEventKind.choices, initial=LifeEventKind.OTHER)
    description = forms.CharField(
        label=_("What happened"),
        max_length=200,
        widget=forms.TextInput(attrs={"placeholder": _("For example: daughter born the day it was bought")}),
    )
    product = forms.ModelChoiceField(label=_("Product"), queryset=OwnedProduct.objects.none(), required=False)

    def __init__(self, *args, customer: Customer, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["product"].queryset = customer.products.select_related("model").order_by(
            "-purchased_on", "-id"
        )
        self.fields["occurred_on"].widget.attrs["max"] = latest_life_event(timezone.localdate()).isoformat()
