"""Keyset pagination over a real table: every row once, in order, even while rows arrive."""

import base64
import json

import pytest

from kefu.core.errors import InvalidRequest
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


def _forged(values) -> str:
    """A cursor made by a client: the sort values, encoded as the server once did, unsigned."""
    return base64.urlsafe_b64encode(json.dumps(values).encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    "cursor",
    [
        "not-base64!",
        "bm90IGpzb24",
        _forged([None]),
        _forged([1e400]),
        _forged([{"a": 1}, 1]),
        _forged(["x"]),
        _forged([1]) + ".forged-signature",
        "x" * 5000,
    ],
)
def test_a_cursor_the_server_did_not_issue_is_a_400_on_the_cursor_field(cursor):
    with pytest.raises(InvalidRequest) as error:
        keyset_page(Customer.objects.all(), order=("id",), cursor=cursor, limit=10)
    assert error.value.status == 400
    assert "cursor" in error.value.fields


def test_a_tampered_cursor_is_refused():
    for _ in range(3):
        CustomerFactory()
    cursor = keyset_page(Customer.objects.all(), order=("id",), cursor=None, limit=1).next_cursor
    _payload, signature = cursor.split(".")
    tampered = _forged([0]) + "." + signature

    with pytest.raises(InvalidRequest):
        keyset_page(Customer.objects.all(), order=("id",), cursor=tampered, limit=1)


def test_a_cursor_of_one_list_is_no_cursor_of_another():
    for index in range(3):
        CustomerFactory(name=f"客户{index}")
    by_name = keyset_page(Customer.objects.all(), order=("name", "id"), cursor=None, limit=1).next_cursor
    by_id = keyset_page(Customer.objects.all(), order=("id",), cursor=None, limit=1).next_cursor

    with pytest.raises(InvalidRequest):
        keyset_page(Customer.objects.all(), order=("id",), cursor=by_name, limit=1)
    with pytest.raises(InvalidRequest):
        keyset_page(AuditEvent.objects.all(), order=("id",), cursor=by_id, limit=1)


@pytest.mark.parametrize("limit", [0, -1, MAX_LIMIT + 1])
def test_a_limit_out_of_bounds_is_refused(limit):
    with pytest.raises(InvalidRequest) as error:
        clamp_limit(limit)
    assert "limit" in error.value.fields


def test_limit_defaults_and_bounds_are_accepted():
    assert clamp_limit(None) == 50
    assert clamp_limit(1) == 1
    assert clamp_limit(MAX_LIMIT) == MAX_LIMIT


def test_mixed_directions_are_a_programming_error():
    with pytest.raises(ValueError, match="same direction"):
        keyset_page(Customer.objects.all(), order=("name", "-id"), cursor=None, limit=10)
