"""The customer and product archive (SPEC §1): who the customers are, what they own, and the
dates that make service personal.

Writes go through customers.services; the constraints below hold whatever writes.
"""

import datetime
from typing import Self, TypeVar

from django.db import models
from django.db.models import Q
from django.db.models.functions import Length
from django.db.models.lookups import Exact
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from kefu.core.masking import mask_phone, redact_phone
from kefu.core.models import TimeStampedModel, VersionedModel

_M = TypeVar("_M", bound=models.Model)


class Tier(models.TextChoices):
    REGULAR = "regular", _("Regular")
    VIP = "vip", _("VIP")


class ContactChannel(models.TextChoices):
    PHONE = "phone", _("Phone call")
    SMS = "sms", _("SMS")
    WECHAT = "wechat", _("WeChat")
    EMAIL = "email", _("Email")


class ConsentPurpose(models.TextChoices):
    """What a customer may agree to be contacted for (PIPL: consent per purpose)."""

    SERVICE = "service", _("Service notices")
    SURVEY = "survey", _("Satisfaction surveys")
    CARE = "care", _("Care visits and greetings")
    MARKETING = "marketing", _("Marketing")


class ArchiveQuerySet(models.QuerySet[_M]):
    """The visibility rule of the archive's records (decision 0017): every permission-checked
    fetch and every list selector starts from `Model.objects.visible_to(user)`.

    Today whoever may view a kind of record sees every one of them and nobody else sees any; a
    later rule (a sales rep's own region, a merged record) changes this one method per model.
    """

    view_permission = ""

    def visible_to(self, user) -> Self:
        if user is None or not user.has_perm(self.view_permission):
            return self.none()
        return self


class CustomerQuerySet(ArchiveQuerySet["Customer"]):
    view_permission = "customers.view_customer"


class OwnedProductQuerySet(ArchiveQuerySet["OwnedProduct"]):
    view_permission = "customers.view_ownedproduct"


class LifeEventQuerySet(ArchiveQuerySet["LifeEvent"]):
    view_permission = "customers.view_lifeevent"


class CustomerEventQuerySet(ArchiveQuerySet["CustomerEvent"]):
    # The timeline is part of the customer's record: who may see the customer sees it.
    view_permission = "customers.view_customer"


class Customer(VersionedModel):
    name = models.CharField(_("name"), max_length=100)
    tier = models.CharField(_("tier"), max_length=16, choices=Tier.choices, default=Tier.REGULAR)
    email = models.EmailField(_("email"), blank=True)
    preferred_channel = models.CharField(
        _("preferred channel"),
        max_length=16,
        choices=ContactChannel.choices,
        default=ContactChannel.PHONE,
    )
    preferred_time = models.CharField(
        _("preferred time"), max_length=50, blank=True, help_text=_("For example: weekday evenings")
    )
    notes = models.TextField(_("notes"), blank=True)
    # Set when this record was merged into another (decision 0014): the row stays, emptied of
    # what moved, answers with the record that took its place, and takes no more changes.
    merged_into = models.ForeignKey(
        "self",
        verbose_name=_("merged into"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="merged_from",
        # Almost every row has none: a full index on it would be one long run of NULLs, which
        # SQLite's planner then prefers for "merged_into IS NULL" over the name index (a scan of
        # every customer). The partial index below serves the one lookup that needs it.
        db_index=False,
    )

    objects = CustomerQuerySet.as_manager()

    class Meta:
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        permissions = [
            ("reveal_phone", _("Can reveal a customer's full phone numbers (audited)")),
            ("view_full_phone", _("Sees customers' phone numbers in full (each view audited)")),
            ("merge_customer", _("Can merge a duplicate customer record into another")),
        ]
        indexes = [
            # Name prefix search: a range scan (name >= q AND name < q + U+10FFFF) on this index.
            models.Index(fields=["name", "id"], name="customer_name_idx"),
            # The records merged into a given one (re-pointed when that one is merged in turn).
            models.Index(
                fields=["merged_into"],
                condition=Q(merged_into__isnull=False),
                name="customer_merged_into_idx",
            ),
        ]
        constraints = [
            models.CheckConstraint(condition=~Q(name=""), name="customer_name_not_empty"),
            models.CheckConstraint(condition=Q(tier__in=Tier.values), name="customer_tier_valid"),
            models.CheckConstraint(
                condition=~Q(merged_into=models.F("id")), name="customer_not_merged_into_itself"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_merged(self) -> bool:
        return self.merged_into_id is not None

    @property
    def is_vip(self) -> bool:
        return self.tier == Tier.VIP


class PhoneLabel(models.TextChoices):
    MOBILE = "mobile", _("Mobile")
    # With a context: Django's admin says "Home" for its start page, which must not read 住宅.
    HOME = "home", pgettext_lazy("phone label", "Home")
    WORK = "work", _("Work")
    OTHER = "other", pgettext_lazy("phone label", "Other")


class CustomerPhone(TimeStampedModel):
    """A phone number in E.164 (+8613812341234). One number may serve a whole household."""

    # The audit trail keeps the number masked, with a keyed tag (core.audit.snapshot).
    personal_fields = {"number": redact_phone}

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="phones", db_index=False)
    number = models.CharField(_("number"), max_length=20)
    # The last four digits, kept for the hotline's most common lookup.
    last4 = models.CharField(_("last four digits"), max_length=4)
    label = models.CharField(_("label"), max_length=16, choices=PhoneLabel.choices, default=PhoneLabel.MOBILE)
    is_primary = models.BooleanField(_("primary"), default=False)

    class Meta:
        verbose_name = _("phone number")
        verbose_name_plural = _("phone numbers")
        ordering = ["-is_primary", "id"]
        indexes = [
            models.Index(fields=["number"], name="phone_number_idx"),
            models.Index(fields=["last4", "customer"], name="phone_last4_idx"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["customer", "number"], name="phone_unique_per_customer"),
            models.UniqueConstraint(
                fields=["customer"], condition=Q(is_primary=True), name="phone_one_primary"
            ),
            models.CheckConstraint(condition=Q(number__startswith="+"), name="phone_e164"),
            models.CheckConstraint(condition=Exact(Length("last4"), 4), name="phone_last4_four_digits"),
        ]

    def __str__(self) -> str:
        return mask_phone(self.number)


class Address(TimeStampedModel):
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="addresses")
    province = models.CharField(_("province"), max_length=20)
    city = models.CharField(_("city"), max_length=30)
    district = models.CharField(_("district"), max_length=30, blank=True)
    detail = models.CharField(_("street address"), max_length=200)
    is_default = models.BooleanField(_("default"), default=False)

    class Meta:
        verbose_name = _("address")
        verbose_name_plural = _("addresses")
        ordering = ["-is_default", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["customer"], condition=Q(is_default=True), name="address_one_default"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.province}{self.city}{self.district}{self.detail}"

    @property
    def region(self) -> str:
        return " ".join(part for part in (self.province, self.city, self.district) if part)


class Consent(TimeStampedModel):
    """Whether a customer agreed to be contacted for one purpose, and how we learned it."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="consents", db_index=False)
    purpose = models.CharField(_("purpose"), max_length=16, choices=ConsentPurpose.choices)
    is_granted = models.BooleanField(_("granted"))
    source = models.CharField(_("source"), max_length=50, blank=True, help_text=_("How it was given"))

    class Meta:
        verbose_name = _("consent")
        verbose_name_plural = _("consents")
        constraints = [
            models.UniqueConstraint(fields=["customer", "purpose"], name="consent_one_per_purpose"),
        ]

    def __str__(self) -> str:
        return f"{self.get_purpose_display()}: {'✓' if self.is_granted else '✗'}"


class ProductCategory(TimeStampedModel):
    """A kind of product, named by a stable code that rules (care, warranty) refer to."""

    code = models.SlugField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=50)
    # Haier's product birthday: how often the product is visited (SPEC §7); care rules copy it.
    care_interval_years = models.PositiveSmallIntegerField(_("care interval (years)"), default=5)
    sort_order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("product category")
        verbose_name_plural = _("product categories")
        ordering = ["sort_order", "code"]

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        """The translated name for shipped categories, the stored name for others."""
        from kefu.customers.catalogue import category_label

        return category_label(self.code, self.name)


class ProductModel(TimeStampedModel):
    category = models.ForeignKey(
        ProductCategory, verbose_name=_("category"), on_delete=models.PROTECT, related_name="models"
    )
    code = models.CharField(_("model number"), max_length=50, unique=True)
    name = models.CharField(_("name"), max_length=100)
    brand = models.CharField(_("brand"), max_length=50, blank=True)
    warranty_months = models.PositiveSmallIntegerField(_("warranty (months)"), default=12)
    is_active = models.BooleanField(_("on sale"), default=True)

    class Meta:
        verbose_name = _("product model")
        verbose_name_plural = _("product models")
        ordering = ["category__sort_order", "code"]

    def __str__(self) -> str:
        return f"{self.name} {self.code}"


class PurchaseChannel(models.TextChoices):
    STORE = "store", _("Retail store")
    ONLINE = "online", _("Online shop")
    DEALER = "dealer", _("Dealer")
    DIRECT = "direct", _("Direct from the manufacturer")
    PROJECT = "project", _("Business contract")
    OTHER = "other", pgettext_lazy("purchase channel", "Other")


class ProductStatus(models.TextChoices):
    IN_USE = "in_use", _("In use")
    DISPOSED = "disposed", _("Disposed")
    TRANSFERRED = "transferred", _("Transferred")


class OwnedProduct(VersionedModel):
    """One unit a customer owns: the record Haier's installer wrote the daughter's birthday into."""

    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="products", db_index=False)
    model = models.ForeignKey(
        ProductModel, verbose_name=_("model"), on_delete=models.PROTECT, related_name="units"
    )
    serial_number = models.CharField(_("serial number"), max_length=64, blank=True)
    purchased_on = models.DateField(_("purchase date"))
    purchase_channel = models.CharField(
        _("purchase channel"),
        max_length=16,
        choices=PurchaseChannel.choices,
        default=PurchaseChannel.STORE,
    )
    install_address = models.ForeignKey(
        Address,
        verbose_name=_("install address"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    warranty_ends_on = models.DateField(_("warranty end"))
    status = models.CharField(
        _("status"), max_length=16, choices=ProductStatus.choices, default=ProductStatus.IN_USE
    )
    notes = models.TextField(_("notes"), blank=True)

    objects = OwnedProductQuerySet.as_manager()

    class Meta:
        verbose_name = _("owned product")
        verbose_name_plural = _("owned products")
        indexes = [
            models.Index(fields=["customer", "purchased_on"], name="product_customer_idx"),
            models.Index(fields=["serial_number"], name="product_serial_idx"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["model", "serial_number"],
                condition=~Q(serial_number=""),
                name="product_serial_unique_per_model",
            ),
            models.CheckConstraint(
                condition=Q(warranty_ends_on__gte=models.F("purchased_on")),
                name="product_warranty_after_purchase",
            ),
            models.CheckConstraint(condition=Q(status__in=ProductStatus.values), name="product_status_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.model.name} {self.serial_number}".strip()

    def next_birthday(self, today: datetime.date) -> tuple[datetime.date, int]:
        """The next anniversary of purchase on or after `today`, and which one it is."""
        from kefu.core.dates import anniversary

        years = max(today.year - self.purchased_on.year, 1)
        day = anniversary(self.purchased_on, years)
        if day < today:
            years += 1
            day = anniversary(self.purchased_on, years)
        return day, years

    def is_under_warranty(self, today: datetime.date) -> bool:
        return today <= self.warranty_ends_on


class LifeEventKind(models.TextChoices):
    BIRTH = "birth", _("A child was born")
    BIRTHDAY = "birthday", _("Birthday")
    WEDDING = "wedding", _("Wedding")
    MOVE = "move", _("Moved home")
    OTHER = "other", pgettext_lazy("life event", "Other")


class LifeEvent(TimeStampedModel):
    """A dated moment in the customer's life, perhaps tied to a product ("bought the day the
    daughter was born"), that care visits remember."""

    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="life_events", db_index=False
    )
    product = models.ForeignKey(
        OwnedProduct,
        verbose_name=_("product"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="life_events",
    )
    occurred_on = models.DateField(_("date"))
    kind = models.CharField(
        _("kind"), max_length=16, choices=LifeEventKind.choices, default=LifeEventKind.OTHER
    )
    description = models.CharField(_("description"), max_length=200)

    objects = LifeEventQuerySet.as_manager()

    class Meta:
        verbose_name = _("life event")
        verbose_name_plural = _("life events")
        ordering = ["-occurred_on", "-id"]
        indexes = [models.Index(fields=["customer", "occurred_on"], name="lifeevent_customer_idx")]
        constraints = [
            models.CheckConstraint(condition=~Q(description=""), name="lifeevent_description_not_empty"),
        ]

    def __str__(self) -> str:
        return f"{self.occurred_on} {self.description}"


class CustomerEvent(models.Model):
    """One row on the customer's timeline, written by the service that made it happen.

    Later capabilities (tickets, visits, surveys, care tasks, returns) add their own kinds;
    `data` holds what the timeline needs to say, and customers.timeline renders it.
    """

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="events", db_index=False)
    occurred_at = models.DateTimeField(_("when"))
    # False for a fact known by its date only (a purchase date): `occurred_at` is then noon of
    # that day, for the order, and the timeline shows the date alone (customers.timeline.placed).
    has_time = models.BooleanField(_("has a time"), default=True)
    kind = models.CharField(_("kind"), max_length=40)
    actor = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    product = models.ForeignKey(
        OwnedProduct, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The record the entry is about ("customers.lifeevent", 12: app label and model name), so
    # its service can keep the entry true.
    subject_type = models.CharField(max_length=100, blank=True)
    subject_id = models.BigIntegerField(null=True, blank=True)
    data = models.JSONField(default=dict, blank=True)

    objects = CustomerEventQuerySet.as_manager()

    class Meta:
        verbose_name = _("timeline entry")
        verbose_name_plural = _("timeline")
        indexes = [
            models.Index(fields=["customer", "-occurred_at", "-id"], name="customer_timeline_idx"),
            models.Index(fields=["subject_type", "subject_id"], name="customer_event_subject_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.occurred_at:%Y-%m-%d} {self.kind}"
