"""The archive's panels on the start page (core.workbench): the lookup, a new caller, the catalogue."""

from kefu.core.workbench import Panel, register

CATALOGUE_PERMISSIONS = ("customers.change_productmodel", "customers.change_productcategory")


def register_panels() -> None:
    register(
        Panel(
            key="customers.lookup",
            template="customers/panels/lookup.html",
            order=10,
            shows_for=lambda user: user.has_perm("customers.view_customer"),
        )
    )
    register(
        Panel(
            key="customers.new_customer",
            template="customers/panels/new_customer.html",
            order=20,
            shows_for=lambda user: user.has_perm("customers.add_customer"),
        )
    )
    register(
        Panel(
            key="customers.catalogue",
            template="customers/panels/catalogue.html",
            order=50,
            shows_for=lambda user: any(user.has_perm(perm) for perm in CATALOGUE_PERMISSIONS),
        )
    )
