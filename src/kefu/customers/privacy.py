"""How a customer's personal data is shown to a given person, and the audit row when it is shown
in full (ADR 0008, 0011, 0012). Every screen, answer, admin page and export asks here.

The rule, per kind of personal data (today phone numbers; an address or an ID number joins by
declaring a `PersonalData` of its own):

- whoever holds the kind's `see_in_full` permission sees it in full without asking;
- whoever holds its `reveal` permission sees it masked and may ask to see it in full (an
  explicit reveal: a button, a POST);
- everyone else sees it masked, and may not ask.

Showing a value in full writes one audit row (action *reveal*) per customer, in the same
transaction as the request's other writes; nothing is written for a customer when nothing of
theirs was shown in full (no value, or shown masked).
"""

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from kefu.core import audit
from kefu.core.errors import PermissionDenied
from kefu.core.masking import mask_phone, national_digits
from kefu.customers.models import Customer

if TYPE_CHECKING:
    from kefu.customers.selectors import CustomerSummary

# The audit row's reason when a page showed the values because the viewer sees them in full.
SHOWN_ON_VIEW = "view"


@dataclass(frozen=True)
class PersonalData:
    """One kind of personal data: who sees it how, and how it is printed in full and masked."""

    name: str  # what the audit row names ({"fields": [name]})
    see_in_full: str  # permission: shown in full without asking (each view audited)
    reveal: str  # permission: may ask to see it in full (each reveal audited)
    full: Callable[[str], str]
    masked: Callable[[str], str]
    refusal: str | Promise


PHONES = PersonalData(
    name="phones",
    see_in_full="customers.view_full_phone",
    reveal="customers.reveal_phone",
    full=national_digits,
    masked=mask_phone,
    refusal=_("Your role may not see customers' full phone numbers."),
)


def sees_in_full(user, data: PersonalData = PHONES) -> bool:
    """Whether `user` sees this kind of data in full without asking."""
    return user.has_perm(data.see_in_full)


def may_reveal(user, data: PersonalData = PHONES) -> bool:
    """Whether `user` may see this kind of data in full, by asking or without asking."""
    return user.has_perm(data.reveal) or sees_in_full(user, data)


def _record(customer: "Customer | CustomerSummary") -> Customer:
    """The customer an audit row names: a list row (selectors.CustomerSummary) carries its id
    and name, all the row needs."""
    return customer if isinstance(customer, Customer) else Customer(pk=customer.pk, name=customer.name)


def shown(
    user,
    values: "Mapping[Customer, Sequence[str]] | Mapping[CustomerSummary, Sequence[str]]",
    *,
    data: PersonalData = PHONES,
    reveal: bool = False,
    reason: str = "",
) -> dict[int, list[str]]:
    """Each customer's values (customer id → texts, in the given order) as `user` may see them
    (the customers as records or as the API list's rows).

    In full when the user sees them in full, or when they ask (`reveal`) and may; then one
    audit row per customer that has a value, with `reason` (an explicit reveal's own, or "view").
    Asking without the right raises PermissionDenied and writes nothing.
    """
    if reveal and not may_reveal(user, data):
        raise PermissionDenied(data.refusal)
    full = reveal or sees_in_full(user, data)
    if full:
        shown_customers = [customer for customer, texts in values.items() if texts]
        if shown_customers:
            with transaction.atomic():
                audit.record_reveal(
                    actor=user,
                    objs=[_record(customer) for customer in shown_customers],
                    fields=[data.name],
                    reason=reason if reveal else reason or SHOWN_ON_VIEW,
                )
    printed = data.full if full else data.masked
    return {customer.pk: [printed(value) for value in texts] for customer, texts in values.items()}


def shown_phones(user, customer: Customer, *, reveal: bool = False, reason: str = "") -> list[str]:
    """The customer's numbers (primary first, as `customer.phones` orders them) as `user` may
    see them; see `shown`."""
    numbers = [phone.number for phone in customer.phones.all()]
    return shown(user, {customer: numbers}, reveal=reveal, reason=reason)[customer.pk]
