"""The role × operation matrix: what each app declares, and the world its requests run in.

Each app keeps one table, `tests/<app>/access.py`, that maps every operation id of its part of
the API to who may call it and how to call it properly:

    ACCESS = {
        "create_customer": Op(EDITORS, lambda world, user: Call(body={"name": …, "phones": […]})),
        "revoke_token": Op({"admin"}, …, refused_with=404),
    }

tests/guards/test_access_matrix.py walks every operation of the schema as each role, as a user
without a role, as a superuser, with no token and with a bad one, and compares every answer with
the table; an operation missing from every table fails, and so does a row naming an operation
that no longer exists. The table is written by hand from what the product promises (the user
guide's table of roles), never derived from the code it checks.
"""

import importlib
import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kefu.accounts.models import ApiToken, User
from kefu.accounts.roles import Role
from kefu.accounts.services import issue_token
from kefu.customers import services
from kefu.customers.models import Customer, OwnedProduct, ProductModel
from kefu.tickets import services as ticket_services
from kefu.tickets.models import Ticket
from tests.factories import PASSWORD, ProductModelFactory, make_user

ROLES = tuple(role.value for role in Role)
NOBODY = "no role"  # a staff account that was given no role
SUPERUSER = "superuser"
CALLERS = (*ROLES, NOBODY, SUPERUSER)
EVERY_ROLE = frozenset(ROLES)
EVERYONE = frozenset(CALLERS)


@dataclass
class Call:
    """One proper request: path parameters, query and JSON body."""

    path: dict[str, Any] = field(default_factory=dict)
    query: dict[str, Any] = field(default_factory=dict)
    body: Any = None


@dataclass(frozen=True)
class Op:
    """Who may call an operation (their answer is 2xx), how to call it properly, and what the
    others get. `public`: no credentials are needed (and a bad token is not even looked at)."""

    roles: frozenset[str]
    call: Callable[["World", User], Call]
    refused_with: int = 403
    public: bool = False

    def allows(self, caller: str) -> bool:
        return caller == SUPERUSER or caller in self.roles


@dataclass
class World:
    """The records the calls refer to, and one user with a token per caller."""

    users: dict[str, User]
    tokens: dict[str, str]
    customer: Customer
    product: OwnedProduct
    model: ProductModel
    colleague: User  # whose tokens only an administrator may revoke
    # Opened by the agent; the technician helps with it, so it is one of the few they see.
    ticket: Ticket
    counter: itertools.count = field(default_factory=lambda: itertools.count(1))

    def unique(self, prefix: str) -> str:
        return f"{prefix}{next(self.counter):05d}"

    def fresh(self, obj):
        """The record as stored now (its current version)."""
        return type(obj).objects.get(pk=obj.pk)

    def colleagues_token(self) -> ApiToken:
        token, _raw = issue_token(user=self.colleague, name=self.unique("integration-"))
        return token


def build_world() -> World:
    users = {role: make_user(role) for role in ROLES}
    users[NOBODY] = make_user(None, username="no-role")
    users[SUPERUSER] = make_user(None, username="root", is_staff=True, is_superuser=True)
    tokens = {name: issue_token(user=user)[1] for name, user in users.items()}
    customer = services.create_customer(
        by=users[Role.AGENT],
        name="陈女士",
        phones=["13971805566"],
        addresses=[{"province": "湖北省", "city": "武汉市", "district": "洪山区", "detail": "珞喻路 1 号"}],
    )
    model = ProductModelFactory()
    product = services.register_product(
        by=users[Role.AGENT], customer=customer, model=model, purchased_on=customer.created_at.date()
    )
    ticket = ticket_services.open_ticket(
        by=users[Role.AGENT],
        customer=customer,
        product=product,
        subject="空调不制冷",
        type="repair",
        channel="phone",
    )
    ticket_services.add_collaborator(ticket=ticket, by=users[Role.AGENT], user=users[Role.TECHNICIAN])
    return World(
        users=users,
        tokens=tokens,
        customer=customer,
        product=product,
        model=model,
        colleague=make_user(None, username="colleague"),
        ticket=ticket,
    )


def credentials(user: User) -> dict[str, str]:
    return {"username": user.username, "password": PASSWORD}


def declared_tables() -> dict[str, dict[str, Op]]:
    """Every app's table: tests/<app>/access.py → {module: ACCESS}."""
    tables = {}
    for path in sorted(Path(__file__).resolve().parents[1].glob("*/access*.py")):
        module = importlib.import_module(f"tests.{path.parent.name}.{path.stem}")
        tables[module.__name__] = module.ACCESS
    return tables
