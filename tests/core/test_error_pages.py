"""Our own 403, 404 and 500 pages: in the product's frame and the reader's language, with a way
forward; the API keeps answering its JSON error shape under /api/, never these pages."""

import json

import pytest
from django.template import loader
from django.test import Client
from django.urls import reverse

from kefu.core import views
from tests.factories import customer_with_phone

pytestmark = pytest.mark.django_db

SIDEBAR = 'class="kf-sidebar"'
PLAIN = 'class="kf-plain"'
HOME_LINK = f'href="{reverse("core:home")}"'
SEARCH_FORM = f'action="{reverse("customers:search")}"'


@pytest.fixture(autouse=True)
def production(settings):
    settings.DEBUG = False
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def boom(settings):
    settings.ROOT_URLCONF = "tests.core.boom_urls"


def page(response, status: int) -> str:
    assert response.status_code == status
    assert response["Content-Type"].startswith("text/html")
    return response.content.decode()


def test_a_missing_customer_is_our_404_in_chinese_in_the_frame_with_the_search_box(agent_client):
    missing = customer_with_phone().pk + 1000

    html = page(agent_client.get(reverse("customers:detail", args=[missing])), 404)

    assert "此页面不存在" in html
    assert '<html lang="zh-CN">' in html
    assert SIDEBAR in html
    assert SEARCH_FORM in html
    assert HOME_LINK in html


def test_the_404_is_in_english_when_the_user_chose_english(agent_client, settings):
    agent_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"

    html = page(agent_client.get("/no-such-page/"), 404)

    assert "This page does not exist" in html
    assert "此页面不存在" not in html


def test_a_signed_out_visitor_gets_the_plain_404_without_the_menu_or_the_search(client):
    html = page(client.get("/no-such-page/"), 404)

    assert "此页面不存在" in html
    assert PLAIN in html
    assert SIDEBAR not in html
    assert SEARCH_FORM not in html
    assert HOME_LINK in html


def test_a_user_without_the_archive_gets_a_404_without_the_search_box(client, outsider):
    client.force_login(outsider)

    html = page(client.get("/no-such-page/"), 404)

    assert SIDEBAR in html
    assert SEARCH_FORM not in html


def test_a_page_the_role_may_not_open_is_our_403_in_the_frame(client, technician):
    client.force_login(technician)

    html = page(client.get(reverse("customers:create")), 403)

    assert "您的角色无权进行此操作" in html
    assert SIDEBAR in html
    assert HOME_LINK in html


def test_a_failing_view_is_our_500_page_in_chinese(boom):
    client = Client(raise_request_exception=False)

    html = page(client.get("/boom/"), 500)

    assert "500" in html
    assert "出错" in html
    assert 'href="/"' in html
    assert "Server Error" not in html


def test_the_500_page_is_in_english_for_a_reader_of_english(boom, settings):
    client = Client(raise_request_exception=False)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"

    html = page(client.get("/boom/"), 500)

    assert "Something went wrong on our side" in html


def test_the_500_page_renders_without_the_database_and_without_a_request(django_db_blocker):
    with django_db_blocker.block():
        html = loader.get_template("500.html").render()

    assert "500" in html
    assert "kefu.css" in html


def test_the_500_page_is_served_while_the_database_is_out_of_reach(boom, django_db_blocker):
    client = Client(raise_request_exception=False)

    with django_db_blocker.block():
        response = client.get("/boom/")

    assert response.status_code == 500
    assert "500" in response.content.decode()


def test_error_pages_carry_the_skip_link_to_the_content(client, agent, boom):
    client.force_login(agent)
    quiet = Client(raise_request_exception=False)

    for html in (
        page(client.get("/no-such-page/"), 404),
        page(quiet.get("/boom/"), 500),
    ):
        assert 'class="kf-skip" href="#main"' in html
        assert 'id="main"' in html


# --- The API keeps its own shape -----------------------------------------------------------------


def assert_json_error(response, status: int, code: str) -> None:
    assert response.status_code == status
    assert response["Content-Type"].startswith("application/json")
    assert json.loads(response.content)["code"] == code


def test_api_addresses_answer_json_not_pages(agent_client):
    assert_json_error(agent_client.get("/api/v1/no-such-thing"), 404, "not_found")
    assert_json_error(agent_client.get("/api/v2/customers"), 404, "not_found")
    assert_json_error(agent_client.get("/api/"), 404, "not_found")


def test_an_api_permission_refusal_is_json(client, outsider):
    client.force_login(outsider)

    assert_json_error(client.get("/api/v1/customers"), 403, "forbidden")


def test_a_failing_api_operation_is_a_json_500(boom):
    client = Client(raise_request_exception=False)

    assert_json_error(client.get("/api/v1/boom"), 500, "server_error")


def test_the_handlers_answer_json_under_the_api_prefix(rf):
    request = rf.get("/api/v1/anything")

    assert_json_error(views.page_not_found(request, Exception()), 404, "not_found")
    assert_json_error(views.permission_denied(request, Exception()), 403, "forbidden")
    assert_json_error(views.server_error(request), 500, "server_error")
