"""The classes of bad input that are refused once, at the edge, for every page and operation:
a wrong Content-Type, an oversized body, NUL characters, lone surrogates, numbers that fit no
column, forged cursors, unbounded lists. Each is a 4xx in the error shape and writes nothing."""

import base64
import json

import pytest
from axes.models import AccessAttempt
from django.core.exceptions import ValidationError
from django.test import override_settings

from kefu.accounts.models import ApiToken
from kefu.customers import services
from kefu.customers.models import Customer, CustomerPhone, OwnedProduct
from kefu.customers.validation import MAX_PHONES
from tests.factories import PASSWORD, ProductModelFactory, customer_with_phone

pytestmark = pytest.mark.django_db

NEW = {"name": "陈女士", "phones": ["13812345678"]}


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def raw_post(client, path, body: bytes | str, content_type="application/json", **extra):
    return client.generic("POST", path, body, content_type=content_type, **extra)


def refused(response, status: int, field: str | None = None) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) >= {"code", "message", "fields"}
    if field is not None:
        assert field in body["fields"], body
    return body


# --- Content-Type and size (defect 1) --------------------------------------------------------


def test_a_multipart_type_without_boundary_is_refused_before_authentication(client, agent):
    body = json.dumps({"username": "agent", "password": "wrong"})

    for _ in range(8):
        refused(raw_post(client, "/api/v1/auth/tokens", body, content_type="multipart/form-data"), 400)
    right = json.dumps({"username": "agent", "password": PASSWORD})
    response = raw_post(client, "/api/v1/auth/tokens", right, content_type="multipart/form-data")

    refused(response, 400)
    assert not ApiToken.objects.exists()
    # Refused before anything read a password: no attempt to count, and the real one still works.
    assert not AccessAttempt.objects.exists()
    assert raw_post(client, "/api/v1/auth/tokens", right).status_code == 201


@pytest.mark.parametrize(
    "content_type",
    [
        "text/plain",
        "application/x-www-form-urlencoded",
        "application/json; charset=latin-1",
        "application/xml",
    ],
)
def test_a_body_that_is_not_json_in_utf8_is_a_415(agent_client, content_type):
    response = raw_post(agent_client, "/api/v1/customers", json.dumps(NEW), content_type=content_type)

    assert refused(response, 415)["code"] == "unsupported_media_type"
    assert not Customer.objects.exists()


def test_json_with_an_explicit_utf8_charset_is_read(agent_client):
    response = raw_post(
        agent_client, "/api/v1/customers", json.dumps(NEW), content_type="application/json; charset=UTF-8"
    )

    assert response.status_code == 201, response.content


@override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=1000)
def test_a_body_over_the_limit_is_a_413_in_the_error_shape(agent_client):
    response = raw_post(agent_client, "/api/v1/customers", json.dumps({**NEW, "notes": "x" * 2000}))

    assert refused(response, 413)["code"] == "too_large"
    assert not Customer.objects.exists()


def test_a_body_that_is_not_utf8_is_a_400(agent_client):
    response = raw_post(
        agent_client, "/api/v1/customers", '{"name": "陈", "phones": ["13812345678"]}'.encode("gbk")
    )

    refused(response, 400)
    assert not Customer.objects.exists()


# --- What a JSON body may hold ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        ('{"name": "a\\u0000b", "phones": ["13812345678"]}', "name"),
        ('{"name": "a\\ud800b", "phones": ["13812345678"]}', "name"),
        ('{"name": "陈", "phones": ["13812345678"], "addresses": [{"province": "\\udfff"}]}', "addresses"),
        ('{"name": "陈", "phones": ["138\\u000012345678"]}', "phones"),
        ('{"name": "陈", "phones": ["13812345678"], "consents": {"\\ud800": true}}', "consents"),
        ('{"name": "陈", "phones": ["13812345678"], "\\u0000": 1}', ""),
    ],
)
def test_nul_and_lone_surrogates_anywhere_in_a_body_are_refused_naming_the_field(agent_client, raw, field):
    body = refused(raw_post(agent_client, "/api/v1/customers", raw), 400)

    if field:
        assert field in body["fields"], body
    assert not Customer.objects.exists()


@pytest.mark.parametrize(
    "raw",
    [
        '{"model": 99999999999999999999999, "purchase_date": "2020-01-01"}',
        '{"model": 1e400, "purchase_date": "2020-01-01"}',
        '{"model": NaN, "purchase_date": "2020-01-01"}',
        '{"model": 1, "purchase_date": "2020-01-01", "notes": ' + "[" * 40 + "]" * 40 + "}",
    ],
)
def test_numbers_that_fit_no_column_and_deep_nesting_are_refused(agent_client, raw):
    customer = customer_with_phone()

    refused(raw_post(agent_client, f"/api/v1/customers/{customer.pk}/products", raw), 400)
    assert not OwnedProduct.objects.exists()


@pytest.mark.parametrize(
    "path",
    ["/api/v1/customers/99999999999999999999", "/api/v1/products/9223372036854775808", "/api/v1/customers/0"],
)
def test_an_id_beyond_any_record_is_a_400_not_a_500(agent_client, path):
    refused(agent_client.get(path), 400)


def test_dates_outside_any_plausible_range_are_refused(agent_client):
    customer = customer_with_phone()
    model = ProductModelFactory()

    for day in ("0001-01-01", "9999-12-31"):
        body = {"model": model.pk, "purchase_date": day}
        refused(
            raw_post(agent_client, f"/api/v1/customers/{customer.pk}/products", json.dumps(body)),
            400,
            "purchase_date",
        )
    token = {"username": "agent", "password": PASSWORD, "expires_at": "0001-01-01T00:00:00+14:00"}
    refused(raw_post(agent_client, "/api/v1/auth/tokens", json.dumps(token)), 400, "expires_at")
    assert not OwnedProduct.objects.exists()


def test_a_username_longer_than_the_column_is_a_400(client):
    body = {"username": "a" * 300, "password": "x"}

    refused(raw_post(client, "/api/v1/auth/tokens", json.dumps(body)), 400, "username")
    assert not AccessAttempt.objects.exists()


# --- Query strings (API and pages) -----------------------------------------------------------


def test_a_nul_in_a_query_parameter_is_a_400_on_the_api(agent_client):
    refused(agent_client.get("/api/v1/customers?q=%00"), 400, "q")
    refused(agent_client.get("/api/v1/users?q=a%00b"), 400, "q")


def test_a_nul_in_a_query_parameter_is_a_400_page_in_the_ui(agent_client):
    response = agent_client.get("/customers/?q=%00")

    assert response.status_code == 400
    assert "400.html" in [template.name for template in response.templates]


def _forged(values) -> str:
    return base64.urlsafe_b64encode(json.dumps(values).encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    "cursor", [_forged([None]), "WzFlNDAwXQ", _forged([{"a": 1}, 1]), _forged(["陈", 1])]
)
def test_a_forged_cursor_is_a_400_on_the_api_and_the_first_page_in_the_ui(agent_client, cursor):
    customer_with_phone(name="陈女士")
    customer_with_phone("+8613900000001", name="陈先生")

    refused(agent_client.get("/api/v1/customers", {"cursor": cursor}), 400, "cursor")
    refused(agent_client.get("/api/v1/customers", {"q": "陈", "cursor": cursor}), 400, "cursor")
    page = agent_client.get("/customers/", {"q": "陈", "cursor": cursor})
    assert page.status_code == 200
    assert len(page.context["customers"]) == 2


# --- Lists and lengths -----------------------------------------------------------------------


def test_a_huge_phone_list_is_refused_by_the_schema(agent_client):
    body = {"name": "陈女士", "phones": ["13812345678"] * 150_000}

    refused(raw_post(agent_client, "/api/v1/customers", json.dumps(body)), 400, "phones")
    assert not CustomerPhone.objects.exists()


def test_the_service_refuses_a_long_phone_list_before_reading_any_number(agent, monkeypatch):
    read = []
    monkeypatch.setattr("kefu.customers.validation.normalise_phone", lambda raw: read.append(raw) or raw)

    with pytest.raises(ValidationError) as error:
        services.create_customer(by=agent, name="陈女士", phones=["13812345678"] * (MAX_PHONES + 1))

    assert "phones" in error.value.message_dict
    assert read == []


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        (
            {
                "addresses": [
                    {"province": "湖北省", "city": "武汉市", "district": "区" * 31, "detail": "珞喻路"}
                ]
            },
            "addresses",
        ),
        ({"addresses": [{"province": "省" * 21, "city": "武汉市", "detail": "珞喻路"}]}, "addresses"),
        ({"consents": {"care": True}, "consent_source": "电" * 51}, "consent_source"),
        ({"notes": "x" * 5001}, "notes"),
    ],
)
def test_the_service_refuses_text_longer_than_its_column(agent, changes, field):
    """The UI and the admin reach the services without the API's schema: the service checks too
    (PostgreSQL would fail with a 500, SQLite would store the text whole)."""
    with pytest.raises(ValidationError) as error:
        services.create_customer(by=agent, name="陈女士", phones=["13812345678"], **changes)

    assert field in error.value.message_dict
    assert not Customer.objects.exists()
