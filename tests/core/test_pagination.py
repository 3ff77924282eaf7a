"""Keyset pagination over a real table: every row once, in order, even while rows arrive."""

import pytest
from django.core.exceptions import ValidationError

from kefu.core.models import AuditEvent
from kefu.core.pagination import MAX_LIMIT, clamp_limit, keyset_page
from kefu.customers.models import Customer
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


def walk(queryset, order, limit, on_page=None):
    seen, cursor = [], None
    while True:
        page = keyset_page(queryset, order=order, cursor=cursor, limit=limit)
        seen.extend(page.items)
        if on_page:
            on_page()
        if page.next_cursor is None:
            return seen
        cursor = page.next_cursor


def test_pages_cover_every_row_exactly_once_in_order_under_inserts():
    for index in range(23):
        CustomerFactory(name=f"客户{index % 5}")  # repeated names: the id breaks ties
    before = list(Customer.objects.order_by("name", "id"))
    # Rows keep arriving while the pages are read; no row already there is lost or repeated.
    seen = walk(Customer.objects.all(), ("name", "id"), 4, on_page=lambda: CustomerFactory(name="阿"))
    assert [c.pk for c in seen if c.name != "阿"] == [c.pk for c in before]
    assert len({c.pk for c in seen}) == len(seen)


def test_descending_pages_are_newest_first():
    for _ in range(7):
        CustomerFactory()
    seen = walk(Customer.objects.all(), ("-id",), 3)
    assert [c.pk for c in seen] == sorted((c.pk for c in Customer.objects.all()), reverse=True)


def test_the_last_page_has_no_cursor_and_an_exact_page_reads_no_extra_one():
    for _ in range(4):
        CustomerFactory()
    page = keyset_page(Customer.objects.all(), order=("id",), cursor=None, limit=4)
    assert len(page.items) == 4
    assert page.next_cursor is None


def test_datetime_keys_survive_the_cursor(agent):
    from kefu.core import audit

    customers = [CustomerFactory() for _ in range(5)]
    for customer in customers:
        audit.record(actor=agent, action="update", obj=customer, changes={})
    seen = walk(AuditEvent.objects.all(), ("-at", "-id"), 2)
    assert len(seen) == 5
    assert [e.pk for e in seen] == list(
        AuditEvent.objects.order_by("-at", "-id").values_list("pk", flat=True)
    )


@pytest.mark.parametrize("cursor", ["not-base64!", "bm90IGpzb24", "WzEsMl0", "WyJ4Il0"])
def test_a_bad_cursor_is_a_validation_error_on_the_cursor_field(cursor):
    with pytest.raises(ValidationError) as error:
        keyset_page(Customer.objects.all(), order=("id",), cursor=cursor, limit=10)
    assert "cursor" in error.value.message_dict


@pytest.mark.parametrize("limit", [0, -1, MAX_LIMIT + 1])
def test_a_limit_out_of_bounds_is_refused(limit):
    with pytest.raises(ValidationError) as error:
        clamp_limit(limit)
    assert "limit" in error.value.message_dict


def test_limit_defaults_and_bounds_are_accepted():
    assert clamp_limit(None) == 50
    assert clamp_limit(1) == 1
    assert clamp_limit(MAX_LIMIT) == MAX_LIMIT


def test_mixed_directions_are_a_programming_error():
    with pytest.raises(ValueError, match="same direction"):
        keyset_page(Customer.objects.all(), order=("name", "-id"), cursor=None, limit=10)
