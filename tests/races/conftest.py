"""The scene for the race tests. They run in transactional_db (the racing threads must see what
the test wrote), which empties the tables after each test: the catalogue is made here rather
than taken from the data migration."""

import pytest
from django.test import Client

from kefu.customers import services
from kefu.customers.models import Customer, ProductCategory, ProductModel
from tests.factories import ProductModelFactory


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def new_customer(agent):
    """Opens a customer with one phone and one (default) address, through the service."""

    def make(name: str, phone: str) -> Customer:
        return services.create_customer(
            by=agent,
            name=name,
            phones=[phone],
            addresses=[
                {"province": "湖北省", "city": "武汉市", "district": "洪山区", "detail": "珞喻路 1 号"}
            ],
        )

    return make


@pytest.fixture
def customer(new_customer) -> Customer:
    return new_customer("陈女士", "138 1234 5678")


@pytest.fixture
def air_conditioner() -> ProductModel:
    category, _created = ProductCategory.objects.get_or_create(
        code="air_conditioner", defaults={"name": "空调"}
    )
    return ProductModelFactory(category=category, code="KFR-35GW/RACE", name="变频空调 1.5匹")


@pytest.fixture
def client_for():
    """A logged-in test client; each thread gets its own, as each browser has its own."""

    def make(user) -> Client:
        client = Client()
        client.force_login(user)
        return client

    return make
