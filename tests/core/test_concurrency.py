"""Optimistic locking: the version a client read must be the stored one, and only a real change
raises it (core/concurrency.py)."""

import pytest
from django.db import transaction

from kefu.core.concurrency import bump_version, lock_for_update
from kefu.core.errors import StaleVersion
from kefu.customers.models import Customer
from tests.factories import CustomerFactory


@pytest.mark.django_db
def test_lock_for_update_refuses_an_older_version_and_names_the_current_one():
    customer = CustomerFactory(version=3)

    with pytest.raises(StaleVersion) as refusal:
        lock_for_update(Customer.objects, customer.pk, 2)

    assert refusal.value.current_version == 3
    assert lock_for_update(Customer.objects, customer.pk, 3) == customer
    assert lock_for_update(Customer.objects, customer.pk, None) == customer


@pytest.mark.django_db
def test_bump_version_adds_one_and_the_caller_saves_it():
    customer = CustomerFactory(version=3)

    with transaction.atomic():
        locked = lock_for_update(Customer.objects, customer.pk, 3)
        bump_version(locked)
        locked.save()

    customer.refresh_from_db()
    assert customer.version == 4


def test_bump_version_outside_a_transaction_is_a_bug_and_changes_nothing():
    customer = Customer(version=3)

    with pytest.raises(RuntimeError):
        bump_version(customer)

    assert customer.version == 3
