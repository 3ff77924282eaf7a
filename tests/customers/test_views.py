"""The customer screens through Django's test client: what each role sees and may do.

Assertions read the form's errors and the records written rather than the page's words, so
they hold in every language.
"""

import datetime

import pytest
from django.urls import reverse

from kefu.core.models import AuditAction, AuditEvent
from kefu.customers import services
from kefu.customers.models import Customer, LifeEvent, OwnedProduct, ProductCategory, Tier
from tests.factories import (
    PASSWORD,
    AddressFactory,
    CustomerFactory,
    OwnedProductFactory,
    PhoneFactory,
    ProductModelFactory,
    customer_with_phone,
    make_user,
)
from tests.html_forms import posted_form
from tests.markup import event_handlers, inline_scripts, script_tags

pytestmark = pytest.mark.django_db

FULL = "13812345678"
MASKED = "138****5678"


@pytest.fixture
def chen(agent):
    """陈女士, a VIP with one phone, one address and one washing machine."""
    customer = services.create_customer(
        by=agent,
        name="陈女士",
        phones=["138 1234 5678"],
        tier=Tier.VIP,
        addresses=[{"province": "重庆市", "city": "重庆市", "district": "南岸区", "detail": "南坪正街 8 号"}],
        consents={"care": True, "marketing": False},
    )
    washer = ProductModelFactory(
        category=ProductCategory.objects.get(code="washing_machine"), code="XQG100-HB", name="滚筒洗衣机"
    )
    services.register_product(
        by=agent,
        customer=customer,
        model=washer,
        purchased_on=datetime.date(2021, 3, 9),
        serial_number="XQG2021030900042",
        notes="买洗衣机当天女儿出生",
    )
    return customer


@pytest.fixture
def air_conditioner():
    return ProductModelFactory(code="KFR-35GW/TEST", name="变频空调 1.5匹")


def detail_url(customer):
    return reverse("customers:detail", args=[customer.pk])


def search(client, text, **params):
    return client.get(reverse("customers:search"), {"q": text, **params})


# --- Search ----------------------------------------------------------------------------------


def test_search_by_last_four_digits_lists_every_match_masked(agent_client):
    first = customer_with_phone("+8613812345678", name="陈女士")
    second = customer_with_phone("+8613900005678", name="张先生")
    customer_with_phone("+8613700001111", name="李先生")

    response = search(agent_client, "5678")

    assert response.status_code == 200
    assert {c.pk for c in response.context["customers"]} == {first.pk, second.pk}
    html = response.content.decode()
    assert MASKED in html
    assert "139****5678" in html
    assert FULL not in html
    assert "13900005678" not in html


def test_a_single_match_opens_its_360_page(agent_client, chen):
    response = search(agent_client, "5678")

    assert response.status_code == 302
    assert response["Location"] == detail_url(chen)


def test_search_by_full_phone_typed_with_spaces(agent_client, chen):
    customer_with_phone("+8613900005678", name="张先生")

    response = search(agent_client, "138 1234 5678")

    assert response["Location"] == detail_url(chen)


def test_search_by_name_prefix(agent_client):
    one = customer_with_phone("+8613800000001", name="陈女士")
    two = customer_with_phone("+8613800000002", name="陈先生")
    customer_with_phone("+8613800000003", name="张先生")

    response = search(agent_client, "陈")

    assert {c.pk for c in response.context["customers"]} == {one.pk, two.pk}


def test_search_by_serial_number_in_any_case(agent_client, chen):
    response = search(agent_client, "xqg2021030900042")

    assert response["Location"] == detail_url(chen)


def test_search_pages_with_a_cursor(agent_client):
    for n in range(25):
        customer_with_phone(f"+86138000{n:05d}", name=f"陈客户{n:02d}")

    first = search(agent_client, "陈")
    cursor = first.context["next_cursor"]
    second = search(agent_client, "陈", cursor=cursor)

    assert len(first.context["customers"]) == 20
    assert cursor
    assert f"cursor={cursor}" in first.content.decode()
    assert len(second.context["customers"]) == 5
    assert not {c.pk for c in first.context["customers"]} & {c.pk for c in second.context["customers"]}


def test_a_bad_cursor_starts_again_at_the_first_page(agent_client):
    customer_with_phone("+8613800000001", name="陈女士")
    customer_with_phone("+8613800000002", name="陈先生")

    response = search(agent_client, "陈", cursor="not-a-cursor")

    assert response.status_code == 200
    assert len(response.context["customers"]) == 2


def test_nobody_found_for_a_phone_offers_a_new_customer_with_that_number(agent_client):
    response = search(agent_client, "139 0000 1234")

    assert response.status_code == 200
    assert response.context["customers"] == []
    assert reverse("customers:create") + "?phone=139%200000%201234" in response.content.decode()


def test_the_new_customer_form_is_prefilled_with_the_phone(agent_client):
    response = agent_client.get(reverse("customers:create"), {"phone": "139 0000 1234"})

    assert response.context["form"]["phones"].value() == "139 0000 1234"


def test_search_by_part_of_a_name_finds_it_anywhere(agent_client):
    liang = customer_with_phone("+8613800000001", name="梁兰英")
    ouyang = customer_with_phone("+8613800000002", name="欧阳兰英")
    customer_with_phone("+8613800000003", name="王兰")

    response = search(agent_client, "兰英")

    assert {c.pk for c in response.context["customers"]} == {liang.pk, ouyang.pk}


def test_search_by_a_serial_typed_with_spaces(agent_client, chen):
    response = search(agent_client, "XQG 2021 0309 00042")

    assert response["Location"] == detail_url(chen)


def test_search_by_the_last_eight_digits(agent_client, chen):
    customer_with_phone("+8613900005678", name="张先生")

    response = search(agent_client, "1234 5678")

    assert response["Location"] == detail_url(chen)


def test_a_technician_searching_by_five_to_ten_digits_gets_the_four_digit_search(client, technician, chen):
    """The middle digits a technician cannot see are not probed: only the last four count."""
    other = customer_with_phone("+8613900005678", name="张先生")
    client.force_login(technician)

    response = search(client, "12345678")

    assert response.context["kind"] == "last4"
    assert {c.pk for c in response.context["customers"]} == {chen.pk, other.pk}


def test_the_result_count_is_shown_for_a_page_of_matches(agent_client):
    for n in range(3):
        customer_with_phone(f"+86138{n:04d}5678", name=f"陈客户{n}")

    response = search(agent_client, "5678")

    assert response.context["result_count"] == 3
    assert '<span class="kf-result-count">3' in response.content.decode()


def test_the_result_count_of_many_number_matches_is_exact(agent_client, django_assert_num_queries):
    for n in range(23):
        customer_with_phone(f"+86138{n:04d}5678", name=f"陈客户{n:02d}")

    # the page's 5, one COUNT on the last-four index, and the bell's unread COUNT
    with django_assert_num_queries(7):
        response = search(agent_client, "5678")

    assert len(response.context["customers"]) == 20
    assert response.context["result_count"] == 23


def test_a_name_matching_more_than_a_page_shows_no_count(agent_client):
    for n in range(23):
        customer_with_phone(f"+86138{n:04d}0000", name=f"陈客户{n:02d}")

    response = search(agent_client, "陈")

    assert response.context["result_count"] is None
    assert "kf-result-count" not in response.content.decode()


def test_every_cell_of_a_result_row_links_to_the_customer(agent_client):
    first = customer_with_phone("+8613812345678", name="陈女士")
    customer_with_phone("+8613900005678", name="张先生")

    html = search(agent_client, "5678").content.decode()

    row = next(row for row in html.split("<tr")[1:] if "陈女士" in row).split("</tr>")[0]
    assert row.count(f'href="{detail_url(first)}"') == 5  # one link per cell: the whole row
    assert row.count('tabindex="-1"') == 4  # only the name is a tab stop


def test_nobody_found_by_name_offers_a_new_customer_with_that_name(agent_client):
    response = search(agent_client, "梁兰英")

    assert response.context["customers"] == []
    assert reverse("customers:create") + "?name=%E6%A2%81%E5%85%B0%E8%8B%B1" in response.content.decode()


def test_the_new_customer_form_is_prefilled_with_the_name(agent_client):
    response = agent_client.get(reverse("customers:create"), {"name": " 梁兰英 "})

    assert response.context["form"]["name"].value() == "梁兰英"


@pytest.mark.parametrize("rows", [2, 20])
def test_the_search_page_costs_the_same_queries_for_few_and_many_rows(
    agent_client, django_assert_num_queries, rows
):
    for n in range(rows):
        customer = customer_with_phone(f"+86138{n:04d}5678", name=f"陈客户{n:02d}")
        OwnedProductFactory(customer=customer)
        PhoneFactory(customer=customer, number=f"+86139{n:04d}0000", is_primary=False)

    # session, user, the user's and groups' permissions, the customers (one statement), role label,
    # the bell's unread COUNT
    with django_assert_num_queries(6):
        response = search(agent_client, "5678")

    assert len(response.context["customers"]) == rows


# --- The 360° page ---------------------------------------------------------------------------


def test_the_360_page_shows_the_customer_products_and_timeline(agent_client, chen):
    LifeEvent.objects.create(customer=chen, occurred_on=datetime.date(2019, 5, 1), description="搬新家")
    product = chen.products.get()
    services.record_life_event(
        by=None, customer=chen, occurred_on=datetime.date(2021, 3, 9), description="女儿出生", product=product
    )

    response = agent_client.get(detail_url(chen))

    html = response.content.decode()
    assert response.status_code == 200
    assert "陈女士" in html
    assert "XQG2021030900042" in html
    assert "买洗衣机当天女儿出生" in html
    assert "2021-03-09" in html
    assert "女儿出生" in html
    assert "搬新家" in html
    assert "重庆市 重庆市 南岸区" in html
    assert len(response.context["timeline_entries"]) == 3  # opened, bought, life event


def test_the_timeline_filters_and_serves_its_partial_to_htmx(agent_client, chen):
    response = agent_client.get(
        detail_url(chen), {"show": "products"}, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="timeline"
    )

    assert next(t.name for t in response.templates) == "customers/timeline.html"
    assert [item["entry"].kind for item in response.context["timeline_entries"]] == ["product_purchased"]


@pytest.mark.parametrize("products", [1, 30])
def test_the_360_page_costs_the_same_queries_for_one_and_thirty_products(
    agent_client, django_assert_num_queries, products
):
    customer = customer_with_phone()
    for n in range(products):
        product = OwnedProductFactory(customer=customer)
        LifeEvent.objects.create(
            customer=customer, product=product, occurred_on=datetime.date(2021, 3, 9), description=f"事件{n}"
        )

    # session, user, 2 permission reads, customer + 6 prefetches, timeline (the archive's own
    # table and the tickets' events), role label, the open tickets card (customers.extensions),
    # the bell's unread COUNT
    with django_assert_num_queries(15):
        response = agent_client.get(detail_url(customer) + "?products=all")

    assert len(response.context["products"]) == products


def test_the_360_page_shows_the_newest_products_and_offers_the_rest(agent_client):
    customer = customer_with_phone()
    for day in range(1, 15):
        OwnedProductFactory(customer=customer, purchased_on=datetime.date(2020, 1, day))

    response = agent_client.get(detail_url(customer))

    shown = [product.purchased_on.day for product in response.context["products"]]
    assert shown == list(range(14, 4, -1))
    assert response.context["hidden_product_count"] == 4
    assert "?products=all" in response.content.decode()


def test_an_unknown_customer_is_a_404(agent_client):
    assert agent_client.get(reverse("customers:detail", args=[999999])).status_code == 404


# --- Phones: masked, revealed, audited -------------------------------------------------------


def test_an_agent_sees_masked_phones_only(agent_client, chen):
    html = agent_client.get(detail_url(chen)).content.decode()

    assert MASKED in html
    assert FULL not in html
    assert reverse("customers:reveal", args=[chen.pk]) in html


def test_reveal_shows_the_full_numbers_and_is_audited(agent_client, agent, chen):
    response = agent_client.post(reverse("customers:reveal", args=[chen.pk]))

    assert response.status_code == 200
    assert FULL in response.content.decode()
    event = AuditEvent.objects.get(action=AuditAction.REVEAL)
    assert (event.actor, event.target_id) == (agent, str(chen.pk))


def test_reveal_through_htmx_swaps_in_only_the_phones(agent_client, chen):
    response = agent_client.post(reverse("customers:reveal", args=[chen.pk]), HTTP_HX_REQUEST="true")

    html = response.content.decode()
    assert html.lstrip().startswith('<div class="kf-phones" id="phones">')
    assert FULL in html
    assert "<html" not in html
    assert AuditEvent.objects.filter(action=AuditAction.REVEAL).count() == 1


def test_reveal_by_get_only_goes_back_to_the_page(agent_client, chen):
    response = agent_client.get(reverse("customers:reveal", args=[chen.pk]))

    assert response["Location"] == detail_url(chen)
    assert not AuditEvent.objects.filter(action=AuditAction.REVEAL).exists()


def test_a_technician_sees_masked_phones_and_cannot_reveal(client, technician, chen):
    client.force_login(technician)

    html = client.get(detail_url(chen)).content.decode()
    response = client.post(reverse("customers:reveal", args=[chen.pk]))

    assert MASKED in html
    assert FULL not in html
    assert reverse("customers:reveal", args=[chen.pk]) not in html
    assert response.status_code == 403
    assert not AuditEvent.objects.filter(action=AuditAction.REVEAL).exists()


def test_a_role_with_full_view_sees_numbers_and_each_view_is_audited(client, chen):
    from django.contrib.auth.models import Permission

    viewer = make_user("supervisor", username="full-viewer")
    viewer.user_permissions.add(Permission.objects.get(codename="view_full_phone"))
    client.force_login(viewer)

    html = client.get(detail_url(chen)).content.decode()

    assert FULL in html
    assert AuditEvent.objects.filter(action=AuditAction.REVEAL, actor=viewer).count() == 1

    edit_form = client.get(reverse("customers:edit", args=[chen.pk])).content.decode()

    assert FULL in edit_form
    assert AuditEvent.objects.filter(action=AuditAction.REVEAL, actor=viewer).count() == 2


# --- Who may see and do what -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "method"),
    [
        ("search", "get"),
        ("create", "get"),
        ("detail", "get"),
        ("edit", "get"),
        ("reveal", "post"),
        ("product_create", "get"),
        ("life_event_create", "get"),
    ],
)
def test_the_outsider_is_refused_everywhere(client, outsider, chen, name, method):
    client.force_login(outsider)
    args = [] if name in ("search", "create") else [chen.pk]

    response = getattr(client, method)(reverse(f"customers:{name}", args=args))

    assert response.status_code == 403


def test_the_outsider_is_refused_a_product_edit(client, outsider, chen):
    client.force_login(outsider)

    response = client.get(reverse("customers:product_edit", args=[chen.products.get().pk]))

    assert response.status_code == 403


def test_a_manager_may_read_but_not_write(client, manager, chen):
    client.force_login(manager)

    assert client.get(detail_url(chen)).status_code == 200
    assert client.get(reverse("customers:edit", args=[chen.pk])).status_code == 403
    assert client.get(reverse("customers:create")).status_code == 403


def test_pages_need_a_login(client, chen):
    response = client.get(detail_url(chen))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


# --- Customer forms --------------------------------------------------------------------------


def customer_data(**overrides):
    data = {
        "name": "张先生",
        "phones": "139 0000 1234\n027-8888 1234",
        "tier": "regular",
        "email": "",
        "preferred_channel": "phone",
        "preferred_time": "工作日晚上",
        "notes": "",
        "consent_care": "on",
        "address-TOTAL_FORMS": "1",
        "address-INITIAL_FORMS": "0",
        "address-MIN_NUM_FORMS": "0",
        "address-MAX_NUM_FORMS": "5",
        "address-0-province": "湖北省",
        "address-0-city": "武汉市",
        "address-0-district": "洪山区",
        "address-0-detail": "珞喻路 1 号",
    }
    data.update(overrides)
    return data


def test_create_a_customer_with_phones_address_and_consents(agent_client, agent):
    response = agent_client.post(reverse("customers:create"), customer_data())

    customer = Customer.objects.get()
    assert response["Location"] == detail_url(customer)
    assert list(customer.phones.values_list("number", flat=True)) == ["+8613900001234", "+862788881234"]
    assert str(customer.addresses.get()) == "湖北省武汉市洪山区珞喻路 1 号"
    assert dict(customer.consents.values_list("purpose", "is_granted")) == {
        "service": False,
        "survey": False,
        "care": True,
        "marketing": False,
    }
    assert AuditEvent.objects.filter(
        action=AuditAction.CREATE, actor=agent, target_id=str(customer.pk)
    ).exists()


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"phones": "12345"}, "phones"),
        ({"phones": "138 1234 5678\n不是电话"}, "phones"),
        ({"name": ""}, "name"),
        ({"name": "   "}, "name"),
        ({"tier": "platinum"}, "tier"),
        ({"email": "not-an-email"}, "email"),
    ],
)
def test_bad_customer_input_is_shown_beside_the_field_and_nothing_is_written(agent_client, overrides, field):
    response = agent_client.post(reverse("customers:create"), customer_data(**overrides))

    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert not Customer.objects.exists()
    # What the agent typed is still there.
    assert response.context["form"]["preferred_time"].value() == "工作日晚上"
    assert "珞喻路 1 号" in response.content.decode()


def test_a_half_typed_address_is_refused_beside_its_fields(agent_client):
    response = agent_client.post(reverse("customers:create"), customer_data(**{"address-0-city": ""}))

    assert "city" in response.context["addresses"].forms[0].errors
    assert not Customer.objects.exists()


def test_an_edit_keeps_masked_phones_and_appears_in_the_audit_trail(agent_client, agent, chen):
    form = agent_client.get(reverse("customers:edit", args=[chen.pk])).context["form"]
    assert form["phones"].value() == MASKED  # the edit form does not show the full number either

    data = customer_data(
        name="陈女士（VIP）",
        phones=MASKED + "\n139 0000 1234",
        tier="vip",
        version=str(chen.version),
        **{
            "address-INITIAL_FORMS": "1",
            "address-0-province": "重庆市",
            "address-0-city": "重庆市",
            "address-0-district": "南岸区",
            "address-0-detail": "南坪正街 8 号",
        },
    )
    response = agent_client.post(reverse("customers:edit", args=[chen.pk]), data)

    assert response["Location"] == detail_url(chen)
    chen.refresh_from_db()
    assert chen.name == "陈女士（VIP）"
    assert list(chen.phones.values_list("number", flat=True)) == ["+8613812345678", "+8613900001234"]
    event = AuditEvent.objects.filter(action=AuditAction.UPDATE, target_id=str(chen.pk)).get()
    assert event.actor == agent
    assert event.changes["name"] == ["陈女士", "陈女士（VIP）"]
    assert "phones" in event.changes


def test_an_edit_of_an_older_version_asks_to_reload_and_changes_nothing(agent_client, chen):
    data = customer_data(name="别人改的", version=str(chen.version - 1 if chen.version > 1 else 99))

    response = agent_client.post(reverse("customers:edit", args=[chen.pk]), data)

    assert response.status_code == 200
    assert response.context["form"].non_field_errors()
    chen.refresh_from_db()
    assert chen.name == "陈女士"


# --- Product and life event forms ------------------------------------------------------------


def product_data(product_model, **overrides):
    data = {
        "category": product_model.category.code,
        "model": str(product_model.pk),
        "serial_number": "kfr 2024 0001",
        "purchased_on": "2024-06-01",
        "purchase_channel": "online",
        "install_address": "",
        "warranty_ends_on": "",
        "notes": "装在主卧",
    }
    data.update(overrides)
    return data


def test_add_a_product(agent_client, chen, air_conditioner):
    response = agent_client.post(
        reverse("customers:product_create", args=[chen.pk]), product_data(air_conditioner)
    )

    assert response["Location"] == detail_url(chen)
    product = chen.products.get(model=air_conditioner)
    assert product.serial_number == "KFR20240001"
    assert product.warranty_ends_on == datetime.date(2030, 6, 1)  # the model's 72 months
    assert product.install_address == chen.addresses.get()


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"purchased_on": "2999-01-01"}, "purchased_on"),
        ({"purchased_on": "not a date"}, "purchased_on"),
        ({"category": "spaceship"}, "category"),
        ({"model": "999999"}, "model"),
        ({"model": "abc"}, "model"),
        ({"category": "washing_machine"}, "model"),  # an air conditioner is not a washing machine
        ({"warranty_ends_on": "2020-01-01"}, "warranty_ends_on"),
    ],
)
def test_bad_product_input_is_shown_beside_the_field_and_nothing_is_written(
    agent_client, chen, air_conditioner, overrides, field
):
    response = agent_client.post(
        reverse("customers:product_create", args=[chen.pk]), product_data(air_conditioner, **overrides)
    )

    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert not chen.products.filter(model=air_conditioner).exists()
    assert response.context["form"]["notes"].value() == "装在主卧"


def test_a_duplicate_serial_for_the_same_model_is_refused(agent_client, chen, air_conditioner):
    other = customer_with_phone("+8613900009999", name="张先生")
    OwnedProductFactory(customer=other, model=air_conditioner, serial_number="KFR20240001")

    response = agent_client.post(
        reverse("customers:product_create", args=[chen.pk]), product_data(air_conditioner)
    )

    assert "serial_number" in response.context["form"].errors
    assert OwnedProduct.objects.filter(model=air_conditioner).count() == 1


def test_an_address_of_another_customer_is_not_a_choice(agent_client, chen, air_conditioner):
    stranger_address = AddressFactory(customer=CustomerFactory())

    response = agent_client.post(
        reverse("customers:product_create", args=[chen.pk]),
        product_data(air_conditioner, install_address=str(stranger_address.pk)),
    )

    assert "install_address" in response.context["form"].errors


def test_edit_a_product_and_the_change_is_audited(agent_client, agent, chen):
    product = chen.products.select_related("model__category").get()
    page = agent_client.get(reverse("customers:product_edit", args=[product.pk]))
    data = {key: value for key, value in page.context["form"].initial.items() if value is not None}
    data.update(
        {
            "model": str(product.model_id),
            "purchased_on": "2021-03-09",
            "warranty_ends_on": "2031-03-09",
            "install_address": str(product.install_address_id),
            "status": "in_use",
            "notes": "延保到 2031 年",
        }
    )

    response = agent_client.post(reverse("customers:product_edit", args=[product.pk]), data)

    assert response.status_code == 302
    product.refresh_from_db()
    assert product.warranty_ends_on == datetime.date(2031, 3, 9)
    event = AuditEvent.objects.get(action=AuditAction.UPDATE, target_id=str(product.pk))
    assert event.actor == agent
    assert "warranty_ends_on" in event.changes


def test_the_model_select_follows_the_category(agent_client, air_conditioner):
    washer = ProductModelFactory(
        category=ProductCategory.objects.get(code="washing_machine"), code="XQG80-TEST", name="洗衣机"
    )

    html = agent_client.get(
        reverse("customers:model_options"), {"category": "washing_machine"}
    ).content.decode()

    assert f'value="{washer.pk}"' in html
    assert f'value="{air_conditioner.pk}"' not in html


def test_record_a_life_event_on_a_product(agent_client, chen):
    product = chen.products.get()

    response = agent_client.post(
        reverse("customers:life_event_create", args=[chen.pk]),
        {"occurred_on": "2021-03-09", "kind": "birth", "description": "女儿出生", "product": str(product.pk)},
    )

    assert response["Location"] == detail_url(chen)
    assert product.life_events.get().description == "女儿出生"


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"description": ""}, "description"),
        ({"occurred_on": ""}, "occurred_on"),
        ({"kind": "party"}, "kind"),
        ({"product": "999999"}, "product"),
    ],
)
def test_bad_life_event_input_writes_nothing(agent_client, chen, overrides, field):
    data = {"occurred_on": "2021-03-09", "kind": "birth", "description": "女儿出生", "product": ""}
    data.update(overrides)

    response = agent_client.post(reverse("customers:life_event_create", args=[chen.pk]), data)

    assert field in response.context["form"].errors
    assert not LifeEvent.objects.exists()


# --- The frame, the workbench and login ------------------------------------------------------


def test_the_workbench_offers_the_search_and_counts_nothing(agent_client, django_assert_max_num_queries):
    # session, user, permissions, role label, the bell's COUNT, the agent's open tickets panel
    with django_assert_max_num_queries(6):
        response = agent_client.get(reverse("core:home"))

    html = response.content.decode()
    assert response.status_code == 200
    assert 'action="/customers/"' in html
    assert "data-kf-search" in html
    assert 'action="/i18n/setlang/"' in html


def test_pages_load_no_inline_script_and_show_a_record_markup_as_text(agent_client, agent):
    customer = services.create_customer(
        by=agent,
        name='<script src="/static/x.js"></script>陈',
        phones=["138 1234 5678"],
        notes='<img src=x onerror="alert(1)"><SCRIPT type="module">alert(2)</SCRIPT>',
    )

    html = agent_client.get(detail_url(customer)).content.decode()

    assert len(script_tags(html)) >= 3  # htmx, Tabler and ours: the check sees real tags
    assert inline_scripts(html) == []
    assert event_handlers(html) == []
    assert not any("/static/x.js" in tag for tag in script_tags(html))  # markup from a record
    assert "&lt;script src=&quot;/static/x.js&quot;&gt;&lt;/script&gt;陈" in html
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in html


def test_the_language_switcher_changes_the_language(agent_client, chen):
    agent_client.post(reverse("set_language"), {"language": "en", "next": detail_url(chen)})

    html = agent_client.get(detail_url(chen)).content.decode()

    assert '<html lang="en">' in html


def test_login_through_the_form(client, agent):
    page = client.get(reverse("accounts:login"))
    response = client.post(reverse("accounts:login"), {"username": "agent", "password": PASSWORD})

    assert page.status_code == 200
    assert response["Location"] == reverse("core:home")


def test_repeated_wrong_passwords_lock_the_account(client, agent):
    for _attempt in range(5):
        response = client.post(reverse("accounts:login"), {"username": "agent", "password": "wrong"})

    assert "accounts/locked_out.html" in [t.name for t in response.templates]
    response = client.post(reverse("accounts:login"), {"username": "agent", "password": PASSWORD})
    assert response.status_code == 429


# --- Edits that keep what they do not change (defects found by the adversarial review) --------


def test_saving_the_edit_form_unchanged_keeps_two_numbers_that_mask_alike(agent_client, agent):
    customer = services.create_customer(by=agent, name="陈女士", phones=["133 1234 5518", "133 9876 5518"])
    url = reverse("customers:edit", args=[customer.pk])
    page = agent_client.get(url)
    data = posted_form(page)
    assert data["phones"] == "133****5518\n133****5518"

    response = agent_client.post(url, data)

    assert response.status_code == 302
    customer.refresh_from_db()
    assert list(customer.phones.values_list("number", "is_primary")) == [
        ("+8613312345518", True),
        ("+8613398765518", False),
    ]
    assert customer.version == 1
    assert not AuditEvent.objects.filter(action=AuditAction.UPDATE).exists()


def test_deleting_the_second_of_two_lines_that_mask_alike_removes_the_second_number(agent_client, agent):
    customer = services.create_customer(by=agent, name="陈女士", phones=["133 1234 5518", "133 9876 5518"])
    url = reverse("customers:edit", args=[customer.pk])
    data = posted_form(agent_client.get(url))

    agent_client.post(url, {**data, "phones": "133****5518"})

    assert list(customer.phones.values_list("number", flat=True)) == ["+8613312345518"]


def test_an_edit_posted_without_its_version_is_refused_and_changes_nothing(agent_client, chen):
    url = reverse("customers:edit", args=[chen.pk])
    data = posted_form(agent_client.get(url))
    del data["version"]

    response = agent_client.post(url, {**data, "name": "别人改的"})

    assert response.status_code == 200
    assert response.context["form"].non_field_errors()
    chen.refresh_from_db()
    assert chen.name == "陈女士"
    assert chen.version == 1


def test_a_product_edit_posted_without_its_version_is_refused_and_changes_nothing(agent_client, chen):
    product = chen.products.get()
    url = reverse("customers:product_edit", args=[product.pk])
    data = posted_form(agent_client.get(url))
    del data["version"]

    response = agent_client.post(url, {**data, "notes": "别人改的"})

    assert response.status_code == 200
    assert response.context["form"].non_field_errors()
    product.refresh_from_db()
    assert product.notes != "别人改的"
    assert product.version == 1
