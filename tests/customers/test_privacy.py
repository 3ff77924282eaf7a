"""customers.privacy: the one rule for how a customer's phone numbers are shown, and its audit rows."""

import pytest
from django.contrib.auth.models import Permission

from kefu.accounts.models import User
from kefu.core.errors import PermissionDenied
from kefu.core.models import AuditAction, AuditEvent
from kefu.customers import privacy, services
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


def create(by, phones=("13812345678", "027-8765 4321")):
    return services.create_customer(by=by, name="陈静", phones=list(phones))


def reveal_rows():
    return list(AuditEvent.objects.filter(action=AuditAction.REVEAL).order_by("id"))


def full_viewer() -> User:
    user = User.objects.create_user(username="full", password=None)
    user.user_permissions.add(Permission.objects.get(codename="view_full_phone"))
    return User.objects.get(pk=user.pk)


def test_masked_for_a_role_that_may_only_ask_and_nothing_is_written(agent):
    customer = create(agent)

    assert privacy.shown_phones(agent, customer) == ["138****5678", "027****4321"]
    assert not reveal_rows()


def test_an_explicit_reveal_shows_the_numbers_in_full_with_one_row(agent):
    customer = create(agent)

    assert privacy.shown_phones(agent, customer, reveal=True, reason="call back") == [
        "13812345678",
        "02787654321",
    ]
    (row,) = reveal_rows()
    assert (row.actor, row.target_id, row.reason, row.changes) == (
        agent,
        str(customer.pk),
        "call back",
        {"fields": ["phones"]},
    )


def test_a_reveal_is_refused_for_a_technician_and_leaves_no_trace(agent, technician):
    customer = create(agent)

    with pytest.raises(PermissionDenied):
        privacy.shown_phones(technician, customer, reveal=True)
    assert privacy.shown_phones(technician, customer) == ["138****5678", "027****4321"]
    assert not reveal_rows()


def test_whoever_sees_numbers_in_full_sees_them_and_each_view_is_audited(agent):
    customer = create(agent)
    viewer = full_viewer()

    assert privacy.shown_phones(viewer, customer) == ["13812345678", "02787654321"]
    (row,) = reveal_rows()
    assert (row.actor, row.reason) == (viewer, privacy.SHOWN_ON_VIEW)


def test_a_list_writes_one_row_per_customer_shown_in_full_and_none_for_one_without_numbers(agent):
    first, second = create(agent), create(agent, phones=["13912345678"])
    without = CustomerFactory()
    viewer = full_viewer()

    shown = privacy.shown(viewer, {first: ["+8613812345678"], second: ["+8613912345678"], without: []})

    assert shown == {first.pk: ["13812345678"], second.pk: ["13912345678"], without.pk: []}
    assert sorted(row.target_id for row in reveal_rows()) == sorted([str(first.pk), str(second.pk)])


def test_the_rule_for_who_may_reveal(agent, supervisor, technician, manager):
    assert [privacy.may_reveal(user) for user in (agent, supervisor, technician, manager)] == [
        True,
        True,
        False,
        True,
    ]
    assert not privacy.sees_in_full(agent)
    viewer = full_viewer()
    assert privacy.sees_in_full(viewer)
    assert privacy.may_reveal(viewer)
