"""Every domain error a UI view lets through becomes its 4xx page, never a 500 (core/web.py)."""

import pytest
from django.urls import reverse
from django.utils import translation
from django.utils.html import escape

from kefu.core import errors
from kefu.customers import privacy, services
from kefu.customers.models import Customer
from tests.core.refusal_urls import RAISED

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.core.refusal_urls")]

STATUSES = {
    "invalid": 400,
    "forbidden": 403,
    "not_found": 404,
    "conflict": 409,
    "stale_version": 409,
    "rule_broken": 422,
    "throttled": 429,
}
HTMX = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "phones"}


def english_message(kind: str) -> str:
    """As the page shows it (escaped)."""
    with translation.override("en"):
        return escape(str(RAISED[kind]().message))


@pytest.mark.parametrize("route", ["refusal_decorated", "refusal_undecorated"])
@pytest.mark.parametrize("kind", STATUSES)
def test_each_domain_error_is_a_page_of_its_status_in_the_site_frame(agent_client, route, kind):
    response = agent_client.get(reverse(route, args=[kind]), HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == STATUSES[kind]
    page = response.content.decode()
    assert 'id="main"' in page  # the site's frame, with its menu
    assert "X-Kefu-Refusal" not in response
    if kind not in ("forbidden", "not_found"):  # those are the site's own 403 and 404 pages
        assert english_message(kind) in page


@pytest.mark.parametrize("route", ["refusal_decorated", "refusal_undecorated"])
@pytest.mark.parametrize("kind", STATUSES)
def test_htmx_gets_a_fragment_that_says_why(agent_client, route, kind):
    response = agent_client.get(reverse(route, args=[kind]), HTTP_ACCEPT_LANGUAGE="en", **HTMX)

    assert response.status_code == STATUSES[kind]
    assert response["X-Kefu-Refusal"] == "1"
    fragment = response.content.decode()
    assert fragment.startswith('<div class="alert')
    assert "<html" not in fragment
    assert english_message(kind) in fragment


def test_a_conflict_page_offers_to_load_the_record_again(agent_client):
    url = reverse("refusal_decorated", args=["conflict"])

    response = agent_client.get(url)

    assert f'href="{url}"' in response.content.decode()


def test_too_many_requests_says_when_to_come_back(agent_client):
    for extra in ({}, HTMX):
        response = agent_client.get(reverse("refusal_decorated", args=["throttled"]), **extra)

        assert response.status_code == 429
        assert response["Retry-After"] == "90"


def test_the_message_is_in_the_reader_language(agent_client):
    response = agent_client.get(reverse("refusal_decorated", args=["stale_version"]), **HTMX)

    with translation.override("zh-hans"):
        chinese = escape(str(errors.StaleVersion(current_version=1).message))
    assert chinese != english_message("stale_version")
    assert chinese in response.content.decode()


def customer_form() -> dict:
    return {
        "name": "梁兰英",
        "phones": "139 0000 1234",
        "tier": "regular",
        "preferred_channel": "phone",
        "address-TOTAL_FORMS": "1",
        "address-INITIAL_FORMS": "0",
        "address-MIN_NUM_FORMS": "0",
        "address-MAX_NUM_FORMS": "1000",
    }


def test_a_conflict_raised_by_a_service_under_a_real_view_is_a_409_page_not_a_500(agent_client, monkeypatch):
    def refuse(**kwargs):
        raise errors.Conflict()

    monkeypatch.setattr(services, "create_customer", refuse)

    response = agent_client.post(reverse("customers:create"), customer_form(), HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 409
    assert english_message("conflict") in response.content.decode()
    assert not Customer.objects.exists()


def test_a_broken_rule_under_a_decorated_view_is_a_422_fragment_for_htmx(agent_client, agent, monkeypatch):
    customer = services.create_customer(by=agent, name="陈女士", phones=["138 1234 5678"])

    def refuse(*args, **kwargs):
        raise errors.DomainError()

    monkeypatch.setattr(privacy, "shown_phones", refuse)

    response = agent_client.post(reverse("customers:reveal", args=[customer.pk]), **HTMX)

    assert response.status_code == 422
    assert response["X-Kefu-Refusal"] == "1"
