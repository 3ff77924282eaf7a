"""Real races on PostgreSQL: parallel transactions on the archive's version checks, Idempotency-Key
and unique serial numbers (DESIGN.md "Reliability and security every part must keep").

Each test starts its racers in threads, each with its own connection, behind a lock the test
holds (parallel.race_behind): the lock is let go only when every racer waits for it, so the
overlap is certain rather than lucky. The racers then settle the race as concurrent requests
would, and the test checks that exactly one won, that the others got the documented refusal
(never a 500, never an IntegrityError) and that the database holds no duplicate and no lost update.
"""

import datetime
import json

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction

from kefu.core.errors import StaleVersion
from kefu.core.models import AuditAction, AuditEvent, IdempotencyKey
from kefu.customers import services, timeline
from kefu.customers.models import Address, Customer, CustomerEvent, OwnedProduct, ProductModel
from tests.factories import OwnedProductFactory
from tests.races.parallel import (
    Outcome,
    Racers,
    race_behind,
    wait_until,
    wait_until_queued,
    waiting_for_locks,
)

pytestmark = [pytest.mark.postgresql, pytest.mark.django_db(transaction=True)]

PURCHASED_ON = datetime.date(2024, 5, 1)
SERIAL = "KFR2024050100001"
NEW_CUSTOMER = {
    "name": "王女士",
    "phones": ["139 0000 1234"],
    "addresses": [{"province": "湖北省", "city": "武汉市", "district": "江汉区", "detail": "解放大道 2 号"}],
}
ADDRESS_HOME = {"province": "湖北省", "city": "武汉市", "district": "洪山区", "detail": "珞喻路 1 号"}
ADDRESS_NEW = {"province": "湖北省", "city": "武汉市", "district": "武昌区", "detail": "中北路 9 号"}
ADDRESS_OFFICE = {"province": "湖北省", "city": "武汉市", "district": "江岸区", "detail": "沿江大道 5 号"}


def send(client, method: str, path: str, data: dict, **headers):
    return getattr(client, method)(path, json.dumps(data), content_type="application/json", headers=headers)


def answers(outcomes: list[Outcome]) -> list:
    """What each racer got back; a racer that raised (a 500 in the making) fails the test."""
    errors = [outcome.error for outcome in outcomes if outcome.error is not None]
    assert not errors, errors
    return [outcome.value for outcome in outcomes]


def statuses(responses) -> list[int]:
    return sorted(response.status_code for response in responses)


def hold_row(obj):
    """Lock the row as an editor would, so that every racer queues behind it."""
    return lambda: type(obj).objects.select_for_update().get(pk=obj.pk)


def audited_updates() -> int:
    return AuditEvent.objects.filter(action=AuditAction.UPDATE).count()


# --- Version check: one edit wins, the other is told the record moved on ---------------------


def test_two_updates_of_one_version_one_wins_the_other_is_stale(agent, customer):
    def edit(notes: str):
        return lambda: services.update_customer(
            by=agent, customer_id=customer.pk, version=1, changes={"notes": notes}
        )

    outcomes = race_behind(hold_row(customer), edit("改约周六上午"), edit("只接受短信联系"))

    won = [outcome.value for outcome in outcomes if outcome.error is None]
    refused = [outcome.error for outcome in outcomes if outcome.error is not None]
    assert len(won) == 1
    assert len(refused) == 1
    assert isinstance(refused[0], StaleVersion), refused
    assert refused[0].current_version == 2
    customer.refresh_from_db()
    assert customer.version == 2
    assert customer.notes == won[0].notes
    assert audited_updates() == 1


def test_two_patches_of_one_version_answer_200_and_409(agent, customer, client_for):
    def patch(notes: str):
        client = client_for(agent)
        return lambda: send(
            client, "patch", f"/api/v1/customers/{customer.pk}", {"version": 1, "notes": notes}
        )

    responses = answers(race_behind(hold_row(customer), patch("改约周六上午"), patch("只接受短信联系")))

    assert statuses(responses) == [200, 409], [response.content for response in responses]
    ok = next(response.json() for response in responses if response.status_code == 200)
    conflict = next(response.json() for response in responses if response.status_code == 409)
    assert conflict["code"] == "stale_version"
    assert conflict["current_version"] == 2
    assert ok["version"] == 2
    customer.refresh_from_db()
    assert customer.version == 2
    assert customer.notes == ok["notes"]
    assert audited_updates() == 1


def test_parallel_edits_of_phones_and_addresses_keep_one_primary_and_one_default(agent, customer):
    """Both replace the lists (no version: an internal caller); the customer's row lock puts them
    one after the other, so the partial unique constraints never see two primaries or defaults."""
    edits = {
        "a": {"phones": ["139 0000 0001", "139 0000 0002"], "addresses": [ADDRESS_NEW, ADDRESS_OFFICE]},
        "b": {"phones": ["027 8765 4321"], "addresses": [ADDRESS_OFFICE]},
    }

    def edit(changes):
        return lambda: services.update_customer(
            by=agent, customer_id=customer.pk, version=None, changes=changes
        )

    answers(race_behind(hold_row(customer), edit(edits["a"]), edit(edits["b"])))

    customer.refresh_from_db()
    assert customer.version == 3
    phones = list(customer.phones.order_by("-is_primary", "id").values_list("number", "is_primary"))
    addresses = list(customer.addresses.order_by("-is_default", "id"))
    last = edits["a"] if len(phones) == 2 else edits["b"]
    assert phones[0][0] == ("+8613900000001" if last is edits["a"] else "+862787654321")
    assert [is_primary for _number, is_primary in phones] == [True] + [False] * (len(last["phones"]) - 1)
    assert [address.is_default for address in addresses] == [True] + [False] * (len(last["addresses"]) - 1)
    assert addresses[0].detail == last["addresses"][0]["detail"]
    assert audited_updates() == 2


# --- Idempotency-Key: parallel retries make one record and one stored answer ----------------


def hold_key(user, key: str):
    """An unfinished first request with this key: its row is written but not committed."""
    return lambda: IdempotencyKey.objects.create(
        user=user, key=key, fingerprint="held", status=201, response={}
    )


def test_parallel_retries_with_one_key_create_one_customer(agent, client_for):
    def post():
        client = client_for(agent)
        return lambda: send(
            client, "post", "/api/v1/customers", NEW_CUSTOMER, **{"Idempotency-Key": "call-7"}
        )

    responses = answers(race_behind(hold_key(agent, "call-7"), *(post() for _ in range(5)), rollback=True))

    assert statuses(responses) == [201] * 5, [response.content for response in responses]
    assert len({response.json()["id"] for response in responses}) == 1
    assert (
        sorted(str(response.get("Idempotent-Replayed")) for response in responses) == ["None"] + ["true"] * 4
    )
    assert Customer.objects.get().pk == responses[0].json()["id"]
    assert IdempotencyKey.objects.count() == 1


def test_one_key_with_different_bodies_in_parallel_creates_once(agent, client_for):
    names = ["王女士", "赵先生", "孙女士", "周先生"]

    def post(name: str):
        client = client_for(agent)
        body = {**NEW_CUSTOMER, "name": name}
        return lambda: send(client, "post", "/api/v1/customers", body, **{"Idempotency-Key": "call-8"})

    responses = answers(
        race_behind(hold_key(agent, "call-8"), *(post(name) for name in names), rollback=True)
    )

    assert statuses(responses) == [201, 422, 422, 422], [response.content for response in responses]
    created = next(response.json() for response in responses if response.status_code == 201)
    refusals = [response.json() for response in responses if response.status_code == 422]
    assert {refusal["code"] for refusal in refusals} == {"idempotency_key_reused"}
    assert list(Customer.objects.values_list("pk", "name")) == [(created["id"], created["name"])]
    assert IdempotencyKey.objects.count() == 1


# --- Unique serial numbers: one unit, one product -------------------------------------------


def hold_serial(model: ProductModel, customer: Customer):
    """An unfinished registration of the same unit: the row is inserted but not committed."""
    return lambda: OwnedProductFactory(customer=customer, model=model, serial_number=SERIAL)


def test_parallel_registrations_of_one_serial_keep_one_product(agent, new_customer, air_conditioner):
    """Different customers, so that nothing but the unique index stands between the racers."""
    customers = [
        new_customer(name, f"139 0000 010{n}") for n, name in enumerate(["陈女士", "刘先生", "黄女士"])
    ]

    def register(customer: Customer):
        return lambda: services.register_product(
            by=agent,
            customer=customer,
            model=air_conditioner,
            purchased_on=PURCHASED_ON,
            serial_number=SERIAL,
        )

    outcomes = race_behind(
        hold_serial(air_conditioner, customers[0]), *(register(c) for c in customers), rollback=True
    )

    won = [outcome.value for outcome in outcomes if outcome.error is None]
    refused = [outcome.error for outcome in outcomes if outcome.error is not None]
    assert len(won) == 1
    assert all(isinstance(error, ValidationError) for error in refused), refused
    assert [list(error.message_dict) for error in refused] == [["serial_number"]] * 2
    assert list(OwnedProduct.objects.values_list("pk", flat=True)) == [won[0].pk]
    assert CustomerEvent.objects.filter(kind=timeline.PRODUCT_PURCHASED).count() == 1


def test_parallel_product_posts_of_one_serial_answer_one_201(
    agent, new_customer, air_conditioner, client_for
):
    customers = [
        new_customer(name, f"139 0000 020{n}") for n, name in enumerate(["陈女士", "刘先生", "黄女士"])
    ]
    body = {"model": air_conditioner.pk, "serial_number": SERIAL, "purchase_date": PURCHASED_ON.isoformat()}

    def post(customer: Customer):
        client = client_for(agent)
        return lambda: send(client, "post", f"/api/v1/customers/{customer.pk}/products", body)

    responses = answers(
        race_behind(hold_serial(air_conditioner, customers[0]), *(post(c) for c in customers), rollback=True)
    )

    assert statuses(responses) == [201, 422, 422], [response.content for response in responses]
    created = next(response.json() for response in responses if response.status_code == 201)
    for refusal in (response.json() for response in responses if response.status_code == 422):
        assert refusal["code"] == "invalid"
        assert list(refusal["fields"]) == ["serial_number"]
    assert list(OwnedProduct.objects.values_list("pk", flat=True)) == [created["id"]]


def test_parallel_model_posts_of_one_code_answer_one_201(manager, air_conditioner, client_for):
    body = {"category": "air_conditioner", "code": "KFR-50LW/RACE", "name": "柜式空调 2匹"}

    def post():
        client = client_for(manager)
        return lambda: send(client, "post", "/api/v1/catalogue/models", body)

    def hold():
        ProductModel.objects.create(category=air_conditioner.category, code=body["code"], name="held")

    responses = answers(race_behind(hold, post(), post(), post(), rollback=True))

    assert statuses(responses) == [201, 422, 422], [response.content for response in responses]
    for refusal in (response.json() for response in responses if response.status_code == 422):
        assert list(refusal["fields"]) == ["code"]
    assert ProductModel.objects.filter(code=body["code"]).count() == 1


# --- A product's install address while the customer's addresses change ----------------------


def run_beside_address_edit(
    agent, customer, address: Address, changes: dict, other
) -> tuple[Outcome, Outcome]:
    """Replace the customer's addresses (dropping `address`) while `other` runs.

    The test holds `address` (FOR NO KEY UPDATE): the edit locks the customer, unlinks the
    products that point at the address and then waits right before deleting it. Only then does
    `other` start; the lock is let go once `other` has finished or waits too.
    """
    edit = Racers(
        lambda: services.update_customer(by=agent, customer_id=customer.pk, version=None, changes=changes)
    )
    beside = Racers(other)
    try:
        with transaction.atomic():
            Address.objects.select_for_update(no_key=True).get(pk=address.pk)
            edit.start()
            wait_until_queued(edit, 1)
            beside.start()
            wait_until(lambda: bool(beside.finished) or waiting_for_locks() >= 2, "the other write ran")
    finally:
        edited, besides = edit.join(), beside.join()
    return edited[0], besides[0]


def test_a_product_registered_while_its_default_address_is_replaced_points_at_a_real_address(
    agent, customer, air_conditioner
):
    old = customer.addresses.get()

    edited, registered = run_beside_address_edit(
        agent,
        customer,
        old,
        {"addresses": [ADDRESS_NEW]},
        lambda: services.register_product(
            by=agent,
            customer=customer,
            model=air_conditioner,
            purchased_on=PURCHASED_ON,
            serial_number=SERIAL,
        ),
    )

    answers([edited, registered])
    product = OwnedProduct.objects.get()
    assert product.install_address == customer.addresses.get(is_default=True)
    assert product.install_address.detail == ADDRESS_NEW["detail"]
    assert not Address.objects.filter(pk=old.pk).exists()


def test_a_product_moved_to_an_address_being_removed_is_refused(agent, customer, air_conditioner):
    services.update_customer(
        by=agent, customer_id=customer.pk, version=None, changes={"addresses": [ADDRESS_HOME, ADDRESS_OFFICE]}
    )
    home, office = customer.addresses.order_by("-is_default", "id")
    product = services.register_product(
        by=agent, customer=customer, model=air_conditioner, purchased_on=PURCHASED_ON, serial_number=SERIAL
    )

    edited, moved = run_beside_address_edit(
        agent,
        customer,
        office,
        {"addresses": [ADDRESS_HOME]},
        lambda: services.update_product(
            by=agent, product_id=product.pk, version=1, changes={"install_address": office}
        ),
    )

    assert edited.error is None, edited.error
    assert isinstance(moved.error, ValidationError), moved
    assert list(moved.error.message_dict) == ["install_address"]
    product.refresh_from_db()
    assert (product.install_address, product.version) == (home, 1)
    assert list(customer.addresses.all()) == [home]
