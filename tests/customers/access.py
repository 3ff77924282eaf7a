"""Who may call each operation of the customer archive's API (the role × operation matrix,
tests/guards/test_access_matrix.py), as docs/user-guide.md's table of roles promises."""

from kefu.customers import services
from tests.guards.matrix import EVERY_ROLE, Call, Op

# Everyone with a role reads the archive.
READERS = EVERY_ROLE
# Hotline, supervisors, sales, service centres and administrators change it; technicians and
# managers read it.
EDITORS = frozenset({"agent", "supervisor", "sales", "centre", "admin"})
# Everyone but technicians may reveal a customer's numbers (audited).
REVEALERS = frozenset({"agent", "supervisor", "sales", "centre", "manager", "admin"})
# Managers and administrators keep the catalogue.
CATALOGUE_KEEPERS = frozenset({"manager", "admin"})
# Supervisors, managers and administrators merge duplicate records (decision 0014).
MERGERS = frozenset({"supervisor", "manager", "admin"})


def customer(world, user):
    return Call(path={"customer_id": world.customer.pk})


def product(world, user):
    return Call(path={"product_id": world.product.pk})


def merge(world, user):
    """A fresh pair for each caller: a record merged once takes no second merge."""
    pair = [
        services.create_customer(
            by=None, name="陈女士", phones=["13971805566"], allow_duplicate_phone=True
        ).pk
        for _ in range(2)
    ]
    return Call(path={"customer_id": pair[0]}, body={"from": pair[1]})


ACCESS = {
    "list_customers": Op(READERS, lambda world, user: Call(query={"q": "5566"})),
    "get_customer": Op(READERS, customer),
    "get_customer_timeline": Op(READERS, customer),
    "list_customer_products": Op(READERS, customer),
    "list_life_events": Op(READERS, customer),
    "get_product": Op(READERS, product),
    "list_categories": Op(READERS, lambda world, user: Call()),
    "list_product_models": Op(READERS, lambda world, user: Call(query={"category": "air_conditioner"})),
    "create_customer": Op(
        EDITORS,
        lambda world, user: Call(
            body={
                "name": "王先生",
                "phones": ["13912345678"],
                "tier": "regular",
                "allow_duplicate_phone": True,
            }
        ),
    ),
    "update_customer": Op(
        EDITORS,
        lambda world, user: Call(
            path={"customer_id": world.customer.pk},
            body={"version": world.fresh(world.customer).version, "notes": world.unique("回访记录 ")},
        ),
    ),
    "merge_customers": Op(MERGERS, merge),
    "reveal_customer_phones": Op(
        REVEALERS, lambda world, user: Call(path={"customer_id": world.customer.pk}, body={"reason": "回拨"})
    ),
    "create_product": Op(
        EDITORS,
        lambda world, user: Call(
            path={"customer_id": world.customer.pk},
            body={
                "model": world.model.pk,
                "purchase_date": "2024-06-01",
                "serial_number": world.unique("SN"),
            },
        ),
    ),
    "update_product": Op(
        EDITORS,
        lambda world, user: Call(
            path={"product_id": world.product.pk},
            body={"version": world.fresh(world.product).version, "notes": world.unique("外机 ")},
        ),
    ),
    "create_life_event": Op(
        EDITORS,
        lambda world, user: Call(
            path={"customer_id": world.customer.pk}, body={"date": "2024-06-01", "description": "搬新家"}
        ),
    ),
    "create_product_model": Op(
        CATALOGUE_KEEPERS,
        lambda world, user: Call(
            body={"category": "washing_machine", "code": world.unique("XQG-"), "name": "滚筒洗衣机"}
        ),
    ),
}
