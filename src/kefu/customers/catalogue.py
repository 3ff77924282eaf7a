"""The product categories Kefu ships with, by stable code (API.md "Category codes")."""

from django.utils.translation import gettext
from django.utils.translation import gettext_noop as _noop

# code: (English name, care interval in years: Haier's product birthday, SPEC §7)
SHIPPED_CATEGORIES: dict[str, tuple[str, int]] = {
    "air_conditioner": (_noop("Air conditioner"), 5),
    "washing_machine": (_noop("Washing machine"), 5),
    "refrigerator": (_noop("Refrigerator"), 5),
    "water_heater": (_noop("Water heater"), 5),
    "flat_tv": (_noop("Flat-panel TV"), 1),
    "tv": (_noop("CRT or other TV"), 3),
    "computer": (_noop("Computer"), 3),
    "phone": (_noop("Phone"), 3),
    "network_equipment": (_noop("Network equipment"), 5),
}


def category_label(code: str, stored_name: str) -> str:
    shipped = SHIPPED_CATEGORIES.get(code)
    return gettext(shipped[0]) if shipped else stored_name
