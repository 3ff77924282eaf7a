"""Merging two records on PostgreSQL (decision 0014): two merges of one pair, in opposite
directions at once, never deadlock (both rows are locked in id order) and only one happens; a
product registered on the record being merged ends up on the kept record or is refused, never
left behind on the merged one."""

import datetime

import pytest

from kefu.customers import services
from kefu.customers.models import Customer, OwnedProduct
from tests.races.parallel import race_behind

pytestmark = [pytest.mark.postgresql, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def pair(supervisor, new_customer):
    return new_customer("陈女士", "138 1234 5678"), new_customer("陈女士", "139 1234 5678")


def hold_row(obj):
    return lambda: type(obj).objects.select_for_update().get(pk=obj.pk)


def test_two_merges_of_one_pair_in_opposite_directions_make_one_merge(supervisor, pair):
    first, second = pair

    def merge(into: Customer, source: Customer):
        return lambda: services.merge_customers(by=supervisor, into_id=into.pk, from_id=source.pk)

    outcomes = race_behind(hold_row(first), merge(first, second), merge(second, first))

    won = [outcome.value for outcome in outcomes if outcome.error is None]
    refused = [outcome.error for outcome in outcomes if outcome.error is not None]
    assert len(won) == 1
    assert len(refused) == 1
    assert isinstance(refused[0], services.CustomerMerged), refused  # not a deadlock error
    kept = won[0]
    merged = first if kept.pk == second.pk else second
    assert Customer.objects.get(pk=merged.pk).merged_into_id == kept.pk
    assert Customer.objects.get(pk=kept.pk).merged_into_id is None
    assert kept.phones.count() == 2


def test_a_product_registered_during_a_merge_is_not_left_on_the_merged_record(
    supervisor, pair, air_conditioner
):
    kept, merged = pair

    def register():
        return services.register_product(
            by=supervisor, customer=merged, model=air_conditioner, purchased_on=datetime.date(2024, 5, 1)
        )

    def merge():
        return services.merge_customers(by=supervisor, into_id=kept.pk, from_id=merged.pk)

    outcomes = race_behind(hold_row(merged), register, merge)

    errors = [outcome.error for outcome in outcomes if outcome.error is not None]
    assert all(isinstance(error, services.CustomerMerged) for error in errors), errors
    assert not OwnedProduct.objects.filter(customer=merged).exists()
    assert OwnedProduct.objects.filter(customer=kept).count() == (0 if errors else 1)
