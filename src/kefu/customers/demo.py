"""The archive's part of the demo data set that `make run` loads: a realistic Chinese archive
(the logins come from accounts.demo; both are steps of core.generation).

Customers, products and life events are written through customers.services (by=None: the
system), so the demo's audit trail and timelines are the real thing. Names and streets come
from Faker's zh_CN locale; regions, phone prefixes and the product catalogue from
customers.samples. The same seed gives the same archive (dates relative to today).
"""

import datetime
import random
from dataclasses import dataclass

import phonenumbers
from django.db import transaction
from django.utils import timezone

from kefu.core import generation
from kefu.customers import services
from kefu.customers.models import (
    ConsentPurpose,
    ContactChannel,
    Customer,
    LifeEventKind,
    OwnedProduct,
    ProductCategory,
    ProductModel,
    PurchaseChannel,
    Tier,
)
from kefu.customers.samples import AREA_CODES, CATALOGUE, COMMUNITIES, MOBILE_PREFIXES, REGIONS

DEFAULT_CUSTOMERS = 300

PREFERRED_TIMES = ("", "", "工作日晚上", "周末上午", "工作日白天", "中午12点到1点", "晚上8点以后")
CUSTOMER_NOTES = (
    "",
    "",
    "",
    "老人独居，上门前请先电话联系子女",
    "家里有狗，上门时请提前告知",
    "只有周末家里有人",
    "习惯用微信沟通，电话常不接",
    "小区门禁需提前登记车牌",
    "耳背，通话请放慢语速",
    "曾对上门迟到有意见，请准时",
)
PRODUCT_NOTES = (
    "",
    "",
    "",
    "安装在主卧",
    "安装在客厅",
    "师傅建议每两年清洗一次",
    "外机装在阳台，维修需带安全绳",
    "客户自购延保三年",
    "以旧换新购买",
    "内机有轻微异响，客户表示可接受",
)
CONSENT_SOURCES = ("门店登记", "热线电话口头同意", "微信公众号", "上门服务时签字")
# Life events tied to a product: (kind, description with {product}).
PRODUCT_EVENTS = (
    (LifeEventKind.BIRTH, "女儿出生那天买的{product}"),
    (LifeEventKind.BIRTH, "儿子满月时添置的{product}"),
    (LifeEventKind.WEDDING, "结婚时买的{product}"),
    (LifeEventKind.MOVE, "乔迁新居，新家第一台{product}"),
    (LifeEventKind.OTHER, "孩子考上大学，送的{product}"),
    (LifeEventKind.OTHER, "父亲七十大寿时给老人买的{product}"),
)
CHANNELS = (
    (PurchaseChannel.STORE, 35),
    (PurchaseChannel.ONLINE, 40),
    (PurchaseChannel.DEALER, 15),
    (PurchaseChannel.DIRECT, 5),
    (PurchaseChannel.PROJECT, 3),
    (PurchaseChannel.OTHER, 2),
)
# What people call each category in a sentence ("女儿出生那天买的洗衣机").
SPOKEN_NAMES = {
    "air_conditioner": "空调",
    "washing_machine": "洗衣机",
    "refrigerator": "冰箱",
    "water_heater": "热水器",
    "flat_tv": "电视",
    "tv": "彩电",
    "computer": "电脑",
    "phone": "手机",
    "network_equipment": "路由器",
}
SERIAL_LETTERS = "ABCDEFGHJKLMNPQRSTUVWXYZ0123456789"


@dataclass
class DemoResult:
    customers: int
    products: int
    life_events: int
    skipped: bool


def ensure_catalogue() -> dict[str, list[ProductModel]]:
    """The sample product models of every shipped category, by category code."""
    categories = {category.code: category for category in ProductCategory.objects.all()}
    by_category: dict[str, list[ProductModel]] = {}
    for code, entries in CATALOGUE.items():
        if code not in categories:
            continue
        for model_code, name, brand, months in entries:
            model, _created = ProductModel.objects.get_or_create(
                code=model_code,
                defaults={
                    "category": categories[code],
                    "name": name,
                    "brand": brand,
                    "warranty_months": months,
                },
            )
            model.category = categories[code]  # the timeline reads it: no query per product
            by_category.setdefault(code, []).append(model)
    return by_category


class _Maker:
    """Draws one customer at a time from a seeded random source and Faker."""

    def __init__(self, seed: int | None, today: datetime.date):
        from faker import Faker  # a large import: only when demo data is made, never at start-up

        self.rng = random.Random(seed)
        self.fake = Faker("zh_CN")
        self.fake.seed_instance(seed)
        self.today = today
        self.used_numbers: set[str] = set()
        self.used_serials: set[str] = set()

    def mobile(self) -> str:
        while True:
            number = f"{self.rng.choice(MOBILE_PREFIXES)}{self.rng.randrange(100_000_000):08d}"
            if number not in self.used_numbers:
                self.used_numbers.add(number)
                return number

    def landline(self, city: str) -> str:
        """A fixed-line number of the city, drawn again until it is one the numbering plan
        allows (not every eight digits are: the service would refuse it)."""
        area = AREA_CODES.get(city, "27")
        for _draw in range(1000):
            number = f"0{area}-{self.rng.randrange(2, 9)}{self.rng.randrange(10**7):07d}"
            if phonenumbers.is_valid_number(phonenumbers.parse(number, "CN")):
                return number
        raise ValueError(f"no valid fixed-line number drawn for area code {area}")

    def address(self) -> dict[str, str]:
        province = self.rng.choice(list(REGIONS))
        city = self.rng.choice(list(REGIONS[province]))
        district = self.rng.choice(REGIONS[province][city])
        detail = (
            f"{self.fake.street_name()}{self.rng.randrange(1, 999)}号{self.rng.choice(COMMUNITIES)}"
            f"{self.rng.randrange(1, 30)}栋{self.rng.randrange(1, 6)}单元{self.rng.randrange(1, 33)}0"
            f"{self.rng.randrange(1, 5)}室"
        )
        return {"province": province, "city": city, "district": district, "detail": detail}

    def customer_fields(self) -> dict:
        rng = self.rng
        addresses = [self.address()]
        if rng.random() < 0.15:
            addresses.append(self.address())
        phones = [self.mobile()]
        if rng.random() < 0.3:
            phones.append(self.mobile())
        if rng.random() < 0.05:
            phones.append(self.landline(addresses[0]["city"]))
        channel = rng.choices(list(ContactChannel), (60, 12, 25, 3))[0]
        return {
            "name": self.fake.name(),
            "phones": phones,
            "tier": Tier.VIP if rng.random() < 0.1 else Tier.REGULAR,
            "email": self.fake.email() if channel == ContactChannel.EMAIL or rng.random() < 0.1 else "",
            "preferred_channel": channel,
            "preferred_time": rng.choice(PREFERRED_TIMES),
            "notes": rng.choice(CUSTOMER_NOTES),
            "addresses": addresses,
            "consents": {
                ConsentPurpose.SERVICE: True,
                ConsentPurpose.SURVEY: rng.random() < 0.8,
                ConsentPurpose.CARE: rng.random() < 0.7,
                ConsentPurpose.MARKETING: rng.random() < 0.3,
            },
            "consent_source": rng.choice(CONSENT_SOURCES),
        }

    def purchase_date(self) -> datetime.date:
        return self.today - datetime.timedelta(days=self.rng.randrange(1, 3650))

    def serial(self, model: ProductModel, purchased_on: datetime.date) -> str:
        while True:
            tail = "".join(self.rng.choices(SERIAL_LETTERS, k=8))
            serial = f"{model.code[:2].upper()}{purchased_on:%y%m}{tail}".replace("-", "")
            if serial not in self.used_serials:
                self.used_serials.add(serial)
                return serial


def _products_for(maker: _Maker, customer: Customer, catalogue: dict[str, list[ProductModel]]) -> list:
    rng = maker.rng
    products = []
    categories = rng.sample(list(catalogue), k=rng.choices((1, 2, 3, 4), (30, 35, 25, 10))[0])
    address = customer.addresses.filter(is_default=True).first()
    for code in categories:
        model = rng.choice(catalogue[code])
        purchased_on = maker.purchase_date()
        products.append(
            services.register_product(
                by=None,
                customer=customer,
                model=model,
                purchased_on=purchased_on,
                serial_number=maker.serial(model, purchased_on),
                purchase_channel=rng.choices([c for c, _w in CHANNELS], [w for _c, w in CHANNELS])[0],
                install_address=address,
                notes=rng.choice(PRODUCT_NOTES),
                today=maker.today,
            )
        )
    return products


def _life_events_for(maker: _Maker, customer: Customer, products: list[OwnedProduct]) -> int:
    rng = maker.rng
    count = 0
    if products and rng.random() < 0.35:
        product = rng.choice(products)
        kind, text = rng.choice(PRODUCT_EVENTS)
        services.record_life_event(
            by=None,
            customer=customer,
            occurred_on=product.purchased_on,
            kind=kind,
            description=text.format(product=SPOKEN_NAMES.get(product.model.category.code, "家电")),
            product=product,
        )
        count += 1
    if rng.random() < 0.25:
        born = maker.fake.date_of_birth(minimum_age=25, maximum_age=80)
        services.record_life_event(
            by=None, customer=customer, occurred_on=born, kind=LifeEventKind.BIRTHDAY, description="本人生日"
        )
        count += 1
    return count


@transaction.atomic
def load_demo_data(*, customers: int = DEFAULT_CUSTOMERS, seed: int | None = None) -> DemoResult:
    """Into an empty archive, the demo customers (the catalogue in any case).

    Idempotent: customers are added only when the archive has none, so a second run adds nothing.
    """
    catalogue = ensure_catalogue()
    if Customer.objects.exists():
        return DemoResult(customers=0, products=0, life_events=0, skipped=True)
    maker = _Maker(seed, timezone.localdate())
    product_count = life_event_count = 0
    for _ in range(customers):
        customer = services.create_customer(by=None, **maker.customer_fields())
        products = _products_for(maker, customer, catalogue)
        product_count += len(products)
        life_event_count += _life_events_for(maker, customer, products)
    return DemoResult(
        customers=customers,
        products=product_count,
        life_events=life_event_count,
        skipped=False,
    )


def _load_step(counts, seed: int | None) -> list[str]:
    result = load_demo_data(customers=counts.get("customers", DEFAULT_CUSTOMERS), seed=seed)
    if result.skipped:
        return ["The archive already has customers: no demo customers added."]
    return [
        f"Added {result.customers} demo customers with {result.products} products and "
        f"{result.life_events} life events."
    ]


DEMO_STEP = generation.DemoStep(
    name="customers",
    options=(("customers", DEFAULT_CUSTOMERS, "How many demo customers to create"),),
    load=_load_step,
)
