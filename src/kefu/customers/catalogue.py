"""The product categories Kefu ships with, by stable code (API.md "Category codes")."""

from django.utils import translation
from django.utils.functional import Promise
from django.utils.translation import pgettext_lazy

# code: (English name, care interval in years: Haier's product birthday, SPEC §7)
SHIPPED_CATEGORIES: dict[str, tuple[Promise, int]] = {
    "air_conditioner": (pgettext_lazy("product category", "Air conditioner"), 5),
    "washing_machine": (pgettext_lazy("product category", "Washing machine"), 5),
    "refrigerator": (pgettext_lazy("product category", "Refrigerator"), 5),
    "water_heater": (pgettext_lazy("product category", "Water heater"), 5),
    "flat_tv": (pgettext_lazy("product category", "Flat-panel TV"), 1),
    "tv": (pgettext_lazy("product category", "CRT or other TV"), 3),
    "computer": (pgettext_lazy("product category", "Computer"), 3),
    "phone": (pgettext_lazy("product category", "Phone"), 3),
    "network_equipment": (pgettext_lazy("product category", "Network equipment"), 5),
}


def category_label(code: str, stored_name: str) -> str:
    """The reader's word for a shipped category; the stored name for one an administrator added."""
    shipped = SHIPPED_CATEGORIES.get(code)
    return str(shipped[0]) if shipped else stored_name


def source_name(code: str) -> str:
    """A shipped category's name in the source language, as stored in the table."""
    with translation.override(None):
        return str(SHIPPED_CATEGORIES[code][0])
