"""Forms of the ticket screens. They parse what the agent typed; tickets.services decides.

A service refuses with a ValidationError keyed by field name (or a DomainError for a rule that
is about no one field); the views put each message beside its field (core.forms), so the agent
sees why and keeps what they typed.
"""

import re

from django import forms
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from kefu.core.forms import StyledForm, require_version
from kefu.core.validation import TEXT_MAX
from kefu.customers.catalogue import category_label
from kefu.customers.models import Customer, OwnedProduct, ProductCategory
from kefu.tickets.models import (
    Channel,
    Collaborator,
    LinkKind,
    Priority,
    Status,
    Tag,
    Ticket,
    TicketType,
    Transfer,
)

User = get_user_model()

# Files one reply may carry unless settings.TICKET_ATTACHMENTS_PER_REPLY says otherwise.
DEFAULT_FILES_PER_REPLY = 5
# Tags typed in one box: separated by commas (Chinese or Latin), semicolons or spaces.
TAG_SEPARATORS = re.compile(r"[\s,;，；、]+")
MAX_TAGS = 10
# The longest text a ticket search takes.
SEARCH_MAX = 100
# A ticket is named by its number (KF2611240001) or its id.
TICKET_REF = re.compile(r"^(?:KF\d{10,11}|\d{1,18})$", re.IGNORECASE)


def _blank(choices) -> list:
    return [("", _("All")), *choices]


def product_label(product: OwnedProduct) -> str:
    serial = f" · SN {product.serial_number}" if product.serial_number else ""
    return f"{product.model.category.label} {product.model.name}{serial}"


class ProductChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return product_label(obj)


class UserChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        team = f" · {obj.team}" if obj.team_id else ""
        return f"{obj}{team}"


def staff_choices():
    """The people a ticket may be handed to or shared with: active staff with a role. The
    service decides who may take it; the list spares the agent choosing who never could."""
    return (
        User.objects.filter(is_active=True, groups__isnull=False)
        .select_related("team")
        .distinct()
        .order_by("team__name", "display_name", "username")
    )


# --- Opening a ticket --------------------------------------------------------------------------


class NewTicketForm(StyledForm):
    product = ProductChoiceField(
        label=_("Product"),
        queryset=OwnedProduct.objects.none(),
        required=False,
        empty_label=_("No product (a general request)"),
    )
    type = forms.ChoiceField(label=_("Type"), choices=TicketType.choices, initial=TicketType.REPAIR)
    priority = forms.ChoiceField(label=_("Priority"), choices=Priority.choices, initial=Priority.NORMAL)
    channel = forms.ChoiceField(label=_("Channel"), choices=Channel.choices, initial=Channel.PHONE)
    subject = forms.CharField(
        label=_("Subject"),
        max_length=Ticket._meta.get_field("subject").max_length,
        widget=forms.TextInput(attrs={"placeholder": _("For example: the washer leaks when spinning")}),
    )
    description = forms.CharField(
        label=_("Description"),
        max_length=TEXT_MAX,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )

    def __init__(self, *args, customer: Customer, **kwargs):
        super().__init__(*args, **kwargs)
        self.customer = customer
        self.fields["product"].queryset = (
            OwnedProduct.objects.filter(customer=customer)
            .select_related("model__category")
            .order_by("-purchased_on", "-id")
        )

    def service_values(self) -> dict:
        data = self.cleaned_data
        return {
            "product": data["product"],
            "type": data["type"],
            "priority": data["priority"],
            "channel": data["channel"],
            "subject": data["subject"],
            "description": data["description"],
        }


# --- On a ticket's page ------------------------------------------------------------------------


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input; each is checked by tickets.attachments when it is stored."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": "image/*,application/pdf"}))
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        files = data if isinstance(data, list | tuple) else [data] if data else []
        # The most files one reply carries (each is checked and limited by tickets.attachments).
        limit = getattr(settings, "TICKET_ATTACHMENTS_PER_REPLY", DEFAULT_FILES_PER_REPLY)
        if len(files) > limit:
            raise ValidationError(_("Attach at most %(n)d files to one reply.") % {"n": limit})
        return [super(MultipleFileField, self).clean(file, initial) for file in files]


class ReplyForm(StyledForm):
    PUBLIC = "public"
    INTERNAL = "internal"

    body = forms.CharField(
        label=_("Reply"),
        max_length=TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    visibility = forms.ChoiceField(
        label=_("Who sees it"),
        choices=[
            (PUBLIC, _("Public reply: the customer sees it")),
            (INTERNAL, _("Internal note: staff only")),
        ],
        initial=PUBLIC,
        widget=forms.RadioSelect,
    )
    files = MultipleFileField(label=_("Attachments"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["visibility"].widget.attrs["class"] = "form-check-input"  # radios, not a text box

    @property
    def is_public(self) -> bool:
        return self.cleaned_data["visibility"] == self.PUBLIC


class TransferForm(StyledForm):
    to_user = UserChoiceField(label=_("Transfer to"), queryset=User.objects.none())
    reason = forms.CharField(
        label=_("Reason"),
        max_length=Transfer._meta.get_field("reason").max_length,
        widget=forms.TextInput(attrs={"placeholder": _("For example: needs the installation team")}),
    )

    def __init__(self, *args, ticket: Ticket, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["to_user"].queryset = staff_choices().exclude(pk=ticket.owner_id)


class StatusForm(StyledForm):
    status = forms.ChoiceField(choices=Status.choices, widget=forms.HiddenInput)
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def clean(self):
        data = super().clean()
        require_version(self)
        return data


class UrgeForm(StyledForm):
    note = forms.CharField(
        label=_("What the caller said"),
        max_length=500,
        required=False,
        widget=forms.TextInput(attrs={"placeholder": _("For example: asked when the technician comes")}),
    )


class CollaboratorForm(StyledForm):
    user = UserChoiceField(label=_("Colleague"), queryset=User.objects.none())
    note = forms.CharField(
        label=_("What to do"), max_length=Collaborator._meta.get_field("note").max_length, required=False
    )

    def __init__(self, *args, ticket: Ticket, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = staff_choices().exclude(pk=ticket.owner_id)


class TicketRefField(forms.CharField):
    """A ticket named by its number or its id (what the other ticket's page shows)."""

    def clean(self, value):
        value = super().clean(value)
        value = (value or "").strip().replace(" ", "").upper().lstrip("#")
        if value and not TICKET_REF.match(value):
            raise ValidationError(_("Enter a ticket number such as KF2611240001."))
        return value


class TagForm(StyledForm):
    """One tag more, on the ticket's page (the edit page changes the whole list)."""

    tag = forms.CharField(label=_("New tag"), max_length=Tag._meta.get_field("name").max_length)
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def clean_tag(self) -> str:
        name = self.cleaned_data["tag"].strip()
        if TAG_SEPARATORS.search(name):
            raise ValidationError(_("One tag at a time, without spaces or commas."))
        return name

    def clean(self):
        data = super().clean()
        require_version(self)
        return data


class LinkForm(StyledForm):
    to_ticket = TicketRefField(label=_("Other ticket"), max_length=20)
    kind = forms.ChoiceField(label=_("Relation"), choices=LinkKind.choices, initial=LinkKind.RELATED)


class MergeForm(StyledForm):
    into = TicketRefField(
        label=_("Original ticket"),
        max_length=20,
        help_text=_("This ticket is closed as its duplicate; its replies stay and show on the original."),
    )
    reason = forms.CharField(label=_("Reason"), max_length=200, required=False)


class EditForm(StyledForm):
    """The ticket's own fields: subject, description, type, priority, product and tags."""

    subject = forms.CharField(label=_("Subject"), max_length=Ticket._meta.get_field("subject").max_length)
    description = forms.CharField(
        label=_("Description"), max_length=TEXT_MAX, required=False, widget=forms.Textarea(attrs={"rows": 4})
    )
    type = forms.ChoiceField(label=_("Type"), choices=TicketType.choices)
    priority = forms.ChoiceField(label=_("Priority"), choices=Priority.choices)
    product = ProductChoiceField(
        label=_("Product"),
        queryset=OwnedProduct.objects.none(),
        required=False,
        empty_label=_("No product (a general request)"),
    )
    tags = forms.CharField(
        label=_("Tags"),
        max_length=MAX_TAGS * (Tag._meta.get_field("name").max_length + 1),
        required=False,
        help_text=_("Separated by commas or spaces."),
    )
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, ticket: Ticket, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["product"].queryset = (
            OwnedProduct.objects.filter(customer_id=ticket.customer_id)
            .select_related("model__category")
            .order_by("-purchased_on", "-id")
        )

    def clean_tags(self) -> list[str]:
        names = [name for name in TAG_SEPARATORS.split(self.cleaned_data["tags"]) if name]
        names = list(dict.fromkeys(names))
        if len(names) > MAX_TAGS:
            raise ValidationError(_("A ticket has at most %(n)d tags.") % {"n": MAX_TAGS})
        limit = Tag._meta.get_field("name").max_length
        if any(len(name) > limit for name in names):
            raise ValidationError(_("A tag has at most %(n)d characters.") % {"n": limit})
        return names

    def clean(self):
        data = super().clean()
        require_version(self)
        return data

    @classmethod
    def initial_for(cls, ticket: Ticket) -> dict:
        return {
            "subject": ticket.subject,
            "description": ticket.description,
            "type": ticket.type,
            "priority": ticket.priority,
            "product": ticket.product_id,
            "tags": " ".join(tag.name for tag in ticket.tags.all()),
            "version": ticket.version,
        }


# --- Queues ------------------------------------------------------------------------------------


class QueueFilterForm(StyledForm):
    """The filter bar over a queue (a GET form): each field narrows the list; empty is all."""

    status = forms.ChoiceField(label=_("Status"), choices=_blank(Status.choices), required=False)
    type = forms.ChoiceField(label=_("Type"), choices=_blank(TicketType.choices), required=False)
    priority = forms.ChoiceField(label=_("Priority"), choices=_blank(Priority.choices), required=False)
    channel = forms.ChoiceField(label=_("Channel"), choices=_blank(Channel.choices), required=False)
    category = forms.ChoiceField(label=_("Category"), required=False)
    tag = forms.CharField(label=_("Tag"), max_length=Tag._meta.get_field("name").max_length, required=False)
    q = forms.CharField(
        label=_("Words"),
        max_length=SEARCH_MAX,
        required=False,
        widget=forms.TextInput(attrs={"type": "search", "placeholder": _("e.g. 空调不制冷, KF2611240001")}),
    )

    FIELDS = ("q", "status", "type", "priority", "channel", "category", "tag")
    field_order = FIELDS

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Two columns, not model instances (the bar is on every queue page); the model's order.
        self.fields["category"].choices = _blank(
            (code, category_label(code, name))
            for code, name in ProductCategory.objects.values_list("code", "name")
        )

    def filters(self) -> dict[str, str]:
        """The filters the selector takes, only those given (a bad value is dropped, not an error)."""
        if not self.is_valid():
            return {
                name: value
                for name, value in self.cleaned_data.items()
                if value and name not in self.errors and name in self.FIELDS
            }
        return {name: value for name, value in self.cleaned_data.items() if value}
