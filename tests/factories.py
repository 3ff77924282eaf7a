"""Factories for tests and benchmarks: realistic Chinese records with little typing.

Factories build rows directly (fast, for setting a scene); tests of behaviour call the
services, which are the path users take.
"""

import datetime

import factory
from django.contrib.auth.models import Group

from kefu.accounts.models import User
from kefu.customers.models import (
    Address,
    Customer,
    CustomerPhone,
    OwnedProduct,
    ProductCategory,
    ProductModel,
)

PASSWORD = "correct-horse-battery"


def make_user(role: str | None, *, username: str | None = None, **fields) -> User:
    user = User.objects.create_user(username=username or role, password=PASSWORD, **fields)
    if role:
        user.groups.add(Group.objects.get(name=role))
    return user


class CustomerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Customer

    name = factory.Faker("name", locale="zh_CN")


class PhoneFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CustomerPhone

    customer = factory.SubFactory(CustomerFactory)
    number = factory.Sequence(lambda n: f"+86139{n:08d}")
    last4 = factory.LazyAttribute(lambda phone: phone.number[-4:])
    is_primary = True


class AddressFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Address

    customer = factory.SubFactory(CustomerFactory)
    province = "湖北省"
    city = "武汉市"
    district = "洪山区"
    detail = factory.Sequence(lambda n: f"珞喻路 {n + 1} 号")
    is_default = True


class ProductModelFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ProductModel
        django_get_or_create = ("code",)

    category = factory.LazyFunction(lambda: ProductCategory.objects.get(code="air_conditioner"))
    code = factory.Sequence(lambda n: f"KFR-35GW/{n:04d}")
    name = "变频空调 1.5匹"
    warranty_months = 72


class OwnedProductFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OwnedProduct

    customer = factory.SubFactory(CustomerFactory)
    model = factory.SubFactory(ProductModelFactory)
    serial_number = factory.Sequence(lambda n: f"SN{n:010d}")
    purchased_on = datetime.date(2021, 3, 9)
    warranty_ends_on = datetime.date(2027, 3, 9)


def customer_with_phone(number: str = "+8613812345678", **fields) -> Customer:
    customer = CustomerFactory(**fields)
    PhoneFactory(customer=customer, number=number)
    AddressFactory(customer=customer)
    return customer
