"""The hotline lookup, the 360° page and the timeline: right answers in a fixed number of queries."""

import datetime

import pytest

from kefu.accounts.models import User
from kefu.customers import services
from kefu.customers.models import Customer, OwnedProduct
from kefu.customers.selectors import customer_360, customer_timeline, find_customers, search_kind
from tests.factories import (
    OwnedProductFactory,
    PhoneFactory,
    ProductModelFactory,
    customer_with_phone,
)

pytestmark = pytest.mark.django_db

# Who reads where the reader does not matter: an active superuser, whom the visibility rule lets
# see everything without a query (the rule itself is tested at the end).
READER = User(username="reader", is_active=True, is_superuser=True)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("5678", ("last4", "5678")),
        ("138 1234 5678", ("phone", "+8613812345678")),
        ("+86 138-1234-5678", ("phone", "+8613812345678")),
        ("陈", ("name", "陈")),
        ("BH01234567", ("serial", "BH01234567")),
        ("bh01234567", ("serial", "BH01234567")),
        ("BH 0123 4567", ("serial", "BH01234567")),
        ("bh-0123 4567", ("serial", "BH-01234567")),
        ("12345", ("suffix", "12345")),
        ("1234 5678", ("suffix", "12345678")),
        ("1234-567890", ("suffix", "1234567890")),
        ("56 78", ("last4", "5678")),
        ("12345678901", ("name", "12345678901")),  # eleven digits but no real number
        ("兰英", ("name", "兰英")),
        ("   ", ("empty", "")),
    ],
)
def test_search_kind_reads_the_search_box_like_the_hotline(text, expected):
    assert search_kind(text) == expected


def test_without_suffixes_five_to_ten_digits_are_read_by_their_last_four():
    """A role that may not see numbers must not probe the hidden middle digits one by one."""
    assert search_kind("05678", suffixes=False) == ("last4", "5678")
    assert search_kind("1234 5678", suffixes=False) == ("last4", "5678")
    assert search_kind("138 1234 5678", suffixes=False) == ("phone", "+8613812345678")


def many_matching(count: int, kind: str) -> None:
    """`count` customers that each search below finds, with a second phone and an address each."""
    model = ProductModelFactory(code="BH-TEST")
    for index in range(count):
        customer = customer_with_phone(number=f"+86139{index:04d}5678", name=f"陈{index:03d}")
        PhoneFactory(customer=customer, number=f"+86137{index:04d}0000", is_primary=False)
        OwnedProductFactory(customer=customer, model=model, serial_number=f"BH{index:08d}")
    customer_with_phone(number="+8613800001111", name="王芳")  # never matches


SEARCHES = {"last4": "5678", "phone": "+86 139 0000 5678", "serial": "BH00000000", "name": "陈"}


@pytest.mark.parametrize("kind", list(SEARCHES))
@pytest.mark.parametrize("count", [1, 25])
def test_find_customers_costs_the_same_queries_for_1_and_25_matches(kind, count, django_assert_num_queries):
    many_matching(count, kind)
    expected_total = 1 if kind in ("phone", "serial") else count
    with django_assert_num_queries(1):  # one statement: rows with their phone, city and counts
        result = find_customers(SEARCHES[kind], user=READER, limit=50)
        rows = [(c.primary_phone, c.phone_count, c.city, c.product_count) for c in result.page.items]
    assert result.kind == kind
    assert len(rows) == expected_total
    for customer, row in zip(result.page.items, rows, strict=True):
        phone = customer.phones.get(is_primary=True).number
        city = customer.addresses.get(is_default=True).city
        assert row == (phone, customer.phones.count(), city, 1)


@pytest.mark.parametrize("tier", [None, "regular"])
def test_pages_of_four_digit_matches_cover_every_customer_once(tier):
    """A customer with two numbers ending alike is one match; pages neither skip nor repeat."""
    expected = []
    for index in range(7):
        customer = customer_with_phone(number=f"+86139{index:04d}5678")
        expected.append(customer.pk)
        if index % 3 == 0:
            PhoneFactory(customer=customer, number=f"+86137{index:04d}5678", is_primary=False)
    customer_with_phone(number="+8613900001234")  # ends otherwise

    seen, cursor = [], None
    for _page in range(10):
        result = find_customers("5678", user=READER, cursor=cursor, limit=3, tier=tier)
        seen += [customer.pk for customer in result.page.items]
        cursor = result.page.next_cursor
        if cursor is None:
            break
    assert seen == expected


def test_find_customers_by_name_prefix_works_for_chinese_and_pages_in_order():
    for name in ("陈静", "陈晓静", "陈", "王芳", "张伟"):
        customer_with_phone(number=f"+861380000{len(Customer.objects.all()):04d}", name=name)
    first = find_customers("陈", user=READER, limit=2)
    second = find_customers("陈", user=READER, cursor=first.page.next_cursor, limit=2)
    names = [c.name for c in first.page.items + second.page.items]
    assert names == sorted(["陈静", "陈晓静", "陈"])
    assert second.page.next_cursor is None
    assert [c.name for c in find_customers("陈晓", user=READER).page.items] == ["陈晓静"]


# --- Names anywhere, numbers by their end, serials with spaces (decision 0015) -----------------


def named(*names: str) -> dict[str, Customer]:
    return {
        name: customer_with_phone(number=f"+86138{index:04d}{index:04d}", name=name)
        for index, name in enumerate(names)
    }


def found(text: str, **options) -> list[str]:
    return [customer.name for customer in find_customers(text, limit=50, **options, user=READER).page.items]


def test_two_characters_find_names_that_end_or_begin_with_them():
    named("梁兰英", "兰英", "兰英华", "王兰", "梁美兰英子", "李英兰")

    assert sorted(found("兰英")) == sorted(["梁兰英", "兰英", "兰英华"])


def test_three_characters_or_more_find_names_that_hold_them_anywhere():
    named("欧阳兰英", "梁兰英", "兰英华", "Mary Ann Lee", "mary ann")

    assert found("阳兰英") == ["欧阳兰英"]
    assert sorted(found("兰英")) == sorted(["欧阳兰英", "梁兰英", "兰英华"])
    assert found("y Ann") == ["Mary Ann Lee"]  # case as typed, spaces are characters too
    assert found("欧阳兰英") == ["欧阳兰英"]


def test_one_character_finds_names_that_begin_with_it_in_name_order():
    named("陈静", "梁陈", "陈")

    assert found("陈") == ["陈", "陈静"]


def test_a_name_search_keeps_up_with_renames_and_deletions(agent):
    people = named("梁兰英", "赵兰英")
    services.update_customer(by=agent, customer_id=people["梁兰英"].pk, version=1, changes={"name": "梁秀英"})
    OwnedProduct.objects.filter(customer=people["赵兰英"]).delete()
    people["赵兰英"].delete()

    assert found("兰英") == []
    assert found("秀英") == ["梁秀英"]
    assert found("梁秀") == ["梁秀英"]


def test_quotes_and_wildcards_in_a_name_are_plain_characters():
    named('王"小"明', "王%明", "王_明", "王小明")

    assert found('"小"') == ['王"小"明']
    assert found("王%明") == ["王%明"]
    assert found("%明") == ["王%明"]
    assert found("_明") == ["王_明"]


def test_name_matches_page_in_id_order_without_skipping_or_repeating():
    people = named(*[f"梁{index}兰英" for index in range(7)], "王芳")
    expected = [people[f"梁{index}兰英"].pk for index in range(7)]

    seen, cursor = [], None
    for _page in range(5):
        result = find_customers("兰英", cursor=cursor, limit=3, user=READER)
        seen += [customer.pk for customer in result.page.items]
        cursor = result.page.next_cursor
        if cursor is None:
            break
    assert seen == expected


def test_five_to_ten_digits_find_phones_ending_with_them():
    ends_alike = customer_with_phone(number="+8613912345678", name="甲")
    customer_with_phone(number="+8613900005678", name="乙")  # only the last four agree
    landline = customer_with_phone(number="+862787654321", name="丙")

    assert [c.pk for c in find_customers("12345678", user=READER).page.items] == [ends_alike.pk]
    assert [c.pk for c in find_customers("45678", user=READER).page.items] == [ends_alike.pk]
    assert [c.pk for c in find_customers("2787654321", user=READER).page.items] == [landline.pk]
    assert find_customers("87654321", user=READER).kind == "suffix"


def test_a_serial_typed_with_spaces_finds_its_product():
    model = ProductModelFactory()
    product = OwnedProductFactory(model=model, serial_number="BH01234567")

    result = find_customers("bh 0123 4567", user=READER)

    assert result.kind == "serial"
    assert [c.pk for c in result.page.items] == [product.customer_id]


@pytest.mark.parametrize("kind", ["suffix", "two characters", "three characters"])
@pytest.mark.parametrize("count", [1, 25])
def test_the_new_lookups_cost_one_statement_for_1_and_25_matches(kind, count, django_assert_num_queries):
    for index in range(count):
        customer_with_phone(number=f"+86139{index:03d}05678", name=f"梁兰英{index:03d}")
    customer_with_phone(number="+8613800001111", name="王芳")
    text = {"suffix": "05678", "two characters": "梁兰", "three characters": "兰英0"}[kind]

    with django_assert_num_queries(1):
        result = find_customers(text, limit=50, user=READER)
        rows = [(c.primary_phone, c.phone_count, c.city, c.product_count) for c in result.page.items]

    assert len(rows) == count


@pytest.mark.parametrize(
    ("text", "matches", "queries"),
    [
        ("5678", 25, 2),  # a full page: the rows, then one COUNT on the (last4, customer) index
        ("5678", 3, 1),  # one page: its rows are the count
        ("05678", 25, 2),
        ("陈", 25, 1),  # a name beyond one page: not counted
        ("陈", 3, 1),
    ],
)
def test_the_count_is_given_where_it_is_cheap(text, matches, queries, django_assert_num_queries):
    for index in range(matches):
        customer_with_phone(number=f"+86139{index:03d}05678", name=f"陈{index:03d}")
    customer_with_phone(number="+8613800001111", name="王芳")

    with django_assert_num_queries(queries):
        result = find_customers(text, limit=20, count=True, user=READER)

    expected = None if (text == "陈" and matches > 20) else matches
    assert result.count == expected


def test_an_empty_search_finds_nothing_without_a_query(django_assert_num_queries):
    with django_assert_num_queries(0):
        assert find_customers("  ", user=READER).page.items == []


@pytest.mark.parametrize("products", [1, 30])
def test_customer_360_costs_the_same_queries_for_1_and_30_products(
    products, agent, django_assert_num_queries
):
    customer = customer_with_phone()
    model = ProductModelFactory()
    for index in range(products):
        product = OwnedProductFactory(customer=customer, model=model, serial_number=f"SN{index}")
        services.record_life_event(
            by=agent,
            customer=customer,
            occurred_on=datetime.date(2021, 3, 9),
            description="生日",
            product=product,
        )
    assert agent.has_perm("customers.view_customer")  # the permission cache is per request
    with django_assert_num_queries(7):
        loaded = customer_360(agent, customer.pk)
        rows = [
            (p.model.category.code, p.install_address, list(p.life_events.all()))
            for p in loaded.shown_products
        ]
        list(loaded.phones.all()), list(loaded.addresses.all()), list(loaded.consents.all())
        assert loaded.unattached_life_events == []
    assert len(rows) == products
    assert loaded.product_count == products


def test_customer_360_loads_only_the_newest_products_but_counts_them_all(agent):
    customer = customer_with_phone()
    for day in range(1, 13):
        OwnedProductFactory(customer=customer, purchased_on=datetime.date(2020, 5, day))
    OwnedProductFactory()  # another customer's product is not counted

    loaded = customer_360(agent, customer.pk, products_limit=3)

    assert [p.purchased_on.day for p in loaded.shown_products] == [12, 11, 10]
    assert loaded.product_count == 12


def test_customer_timeline_pages_newest_first(agent):
    customer = services.create_customer(by=agent, name="陈静", phones=["13812345678"])
    model = ProductModelFactory()
    for day in range(1, 6):
        services.register_product(
            by=agent,
            customer=customer,
            model=model,
            serial_number=f"SN{day}",
            purchased_on=datetime.date(2024, 1, day),
        )
    seen, cursor = [], None
    while True:
        page = customer_timeline(customer, user=agent, cursor=cursor, limit=2)
        seen.extend(page.items)
        if not page.next_cursor:
            break
        cursor = page.next_cursor
    assert len(seen) == 6
    assert [e.occurred_at for e in seen] == sorted((e.occurred_at for e in seen), reverse=True)
    products = customer_timeline(customer, user=agent, kinds=("product_purchased",), limit=50)
    assert [e.data["serial_number"] for e in products.items] == ["SN5", "SN4", "SN3", "SN2", "SN1"]


# --- The visibility rule ----------------------------------------------------------------------


def test_every_fetch_and_list_goes_through_the_visibility_rule(agent, monkeypatch):
    """Change the one rule (hide one customer and what hangs off it) and every read follows."""
    from kefu.core.errors import NotFound
    from kefu.customers import selectors
    from kefu.customers.models import CustomerEventQuerySet, CustomerQuerySet, OwnedProductQuerySet

    shown = customer_with_phone(number="+8613800005678", name="陈静")
    hidden = customer_with_phone(number="+8613900005678", name="陈默")
    hidden_product = OwnedProductFactory(customer=hidden, serial_number="BH00000001")
    OwnedProductFactory(customer=shown, serial_number="BH00000002")

    def hiding(field):
        def visible_to(self, user):
            return self.exclude(**{field: hidden.pk})

        return visible_to

    monkeypatch.setattr(CustomerQuerySet, "visible_to", hiding("pk"))
    monkeypatch.setattr(OwnedProductQuerySet, "visible_to", hiding("customer_id"))
    monkeypatch.setattr(CustomerEventQuerySet, "visible_to", hiding("customer_id"))

    with pytest.raises(NotFound):
        selectors.access_customer(agent, hidden.pk)
    with pytest.raises(NotFound):
        selectors.customer_360(agent, hidden.pk)
    with pytest.raises(NotFound):
        selectors.access_product(agent, hidden_product.pk)
    for text in ("5678", "陈", "BH00000001"):
        found = [c.pk for c in find_customers(text, user=agent).page.items]
        assert hidden.pk not in found
    assert [c.pk for c in find_customers("5678", user=agent).page.items] == [shown.pk]
    assert [c.pk for c in selectors.customer_list(user=agent).items] == [shown.pk]
    assert selectors.access_customer(agent, shown.pk) == shown
    assert selectors.customer_products(hidden, user=agent).items == []
    assert customer_timeline(hidden, user=agent).items == []


def test_a_user_without_the_view_permission_sees_nothing_in_the_lists(outsider):
    from kefu.customers import selectors

    customer = customer_with_phone(number="+8613800005678", name="陈静")
    OwnedProductFactory(customer=customer)
    assert find_customers("5678", user=outsider).page.items == []
    assert selectors.customer_list(user=outsider).items == []
    assert selectors.customer_products(customer, user=outsider).items == []
    assert selectors.customer_life_events(customer, user=outsider).items == []
    assert customer_timeline(customer, user=outsider).items == []


def test_a_name_search_narrowed_by_tier_pages_through_every_match():
    people = named(*[f"梁{index}兰英" for index in range(6)], "王兰英")
    for index in (1, 3, 4):
        Customer.objects.filter(pk=people[f"梁{index}兰英"].pk).update(tier="vip")

    first = find_customers("兰英", limit=2, tier="vip", user=READER)
    second = find_customers("兰英", cursor=first.page.next_cursor, limit=2, tier="vip", user=READER)

    names = [c.name for c in first.page.items + second.page.items]
    assert names == ["梁1兰英", "梁3兰英", "梁4兰英"]
    assert second.page.next_cursor is None
