"""The portal's part of the API: links, files, the customer's link, the public request and the
telephony screen pop."""

import json
import re

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from kefu.accounts.services import issue_token
from kefu.core.models import AuditAction, AuditEvent
from kefu.customers.models import Customer
from kefu.tickets import portal, services
from kefu.tickets.models import Attachment, Comment, Ticket, TicketEvent
from tests.factories import customer_with_phone
from tests.tickets.test_attachments import ELF, PNG

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def bearer(user) -> dict:
    return {"Authorization": f"Bearer {issue_token(user=user)[1]}"}


@pytest.fixture
def ticket(agent):
    return services.open_ticket(
        by=agent,
        customer=customer_with_phone("+8613971805566"),
        subject="空调不制冷",
        type="repair",
        channel="phone",
    )


def token_of(url: str) -> str:
    return re.search(r"/t/([^/]+)/$", url).group(1)


def post_json(client, url, body, **headers):
    return client.post(url, json.dumps(body), content_type="application/json", headers=headers)


# --- Staff: links and files -----------------------------------------------------------------


def test_staff_get_a_link_by_id_or_number(client, ticket, agent):
    for ref in (ticket.pk, ticket.number):
        response = client.post(f"/api/v1/tickets/{ref}/portal-link", headers=bearer(agent))
        assert response.status_code == 201
        body = response.json()
        assert body["url"].startswith("http://testserver/t/")
        assert re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+08:00$", body["expires_at"])
        assert portal.open_link(token_of(body["url"])) == ticket


def test_the_site_address_setting_starts_every_link(client, ticket, agent, settings):
    settings.KEFU_SITE_URL = "https://kefu.example.com/"

    body = client.post(f"/api/v1/tickets/{ticket.pk}/portal-link", headers=bearer(agent)).json()

    assert body["url"].startswith("https://kefu.example.com/t/")


def test_who_may_not_see_the_ticket_gets_no_link(client, ticket, technician):
    headers = bearer(technician)
    before = AuditEvent.objects.count()

    response = client.post(f"/api/v1/tickets/{ticket.pk}/portal-link", headers=headers)

    assert response.status_code == 404
    assert AuditEvent.objects.count() == before


def test_staff_add_a_file_and_a_disguised_one_is_refused_with_nothing_written(client, ticket, agent):
    url = f"/api/v1/tickets/{ticket.pk}/attachments"
    headers = bearer(agent)

    added = client.post(
        url,
        {"file": SimpleUploadedFile("外机.png", PNG, content_type="image/png"), "public": "false"},
        headers=headers,
    )
    before = (Attachment.objects.count(), TicketEvent.objects.count(), AuditEvent.objects.count())
    refused = client.post(
        url, {"file": SimpleUploadedFile("a.png", ELF, content_type="image/png")}, headers=headers
    )

    assert added.status_code == 201
    assert added.json()["content_type"] == "image/png"
    assert added.json()["public"] is False
    assert refused.status_code == 422
    assert "file" in refused.json()["fields"]
    assert (Attachment.objects.count(), TicketEvent.objects.count(), AuditEvent.objects.count()) == before


def test_a_retried_upload_with_its_key_answers_the_first_and_stores_one_file(client, ticket, agent, media):
    url = f"/api/v1/tickets/{ticket.pk}/attachments"
    headers = {**bearer(agent), "Idempotency-Key": "upload-0001"}

    def upload():
        photo = SimpleUploadedFile("外机.png", PNG, content_type="image/png")
        return client.post(url, {"file": photo, "public": "false"}, headers=headers)

    first = upload()
    events = TicketEvent.objects.count()
    retried = upload()

    assert first.status_code == retried.status_code == 201
    assert retried.json() == first.json()
    assert retried["Idempotent-Replayed"] == "true"
    assert Attachment.objects.count() == 1
    assert TicketEvent.objects.count() == events
    assert len([path for path in media.rglob("*") if path.is_file()]) == 1


def test_the_same_upload_key_with_another_file_is_refused(client, ticket, agent, media):
    url = f"/api/v1/tickets/{ticket.pk}/attachments"
    headers = {**bearer(agent), "Idempotency-Key": "upload-0002"}
    client.post(url, {"file": SimpleUploadedFile("a.png", PNG, content_type="image/png")}, headers=headers)

    other = client.post(
        url, {"file": SimpleUploadedFile("a.png", PNG + b"\x00", content_type="image/png")}, headers=headers
    )
    private = client.post(
        url,
        {"file": SimpleUploadedFile("a.png", PNG, content_type="image/png"), "public": "false"},
        headers=headers,
    )

    assert other.status_code == private.status_code == 422
    assert other.json()["code"] == "idempotency_key_reused"
    assert Attachment.objects.count() == 1
    assert len([path for path in media.rglob("*") if path.is_file()]) == 1


def test_an_oversized_file_is_refused_with_nothing_written(client, ticket, agent, settings):
    settings.TICKET_ATTACHMENT_MAX_BYTES = 1000
    headers = bearer(agent)
    before = (Attachment.objects.count(), AuditEvent.objects.count())

    response = client.post(
        f"/api/v1/tickets/{ticket.pk}/attachments",
        {"file": SimpleUploadedFile("big.png", PNG + b"\x00" * 2000, content_type="image/png")},
        headers=headers,
    )

    assert response.status_code == 422
    assert "file" in response.json()["fields"]
    assert (Attachment.objects.count(), AuditEvent.objects.count()) == before


# --- The customer's link ---------------------------------------------------------------------


def test_the_link_shows_public_things_only(client, ticket, agent):
    services.add_comment(ticket=ticket, by=agent, body="师傅明天上午到", public=True)
    services.add_comment(ticket=ticket, by=agent, body="内部：配件缺货", public=False)
    services.add_attachment(
        ticket=ticket,
        by=agent,
        upload=SimpleUploadedFile("内部.png", PNG, content_type="image/png"),
        public=False,
    )
    token = portal.make_token(ticket)

    response = client.get(f"/api/v1/public/tickets/{token}")

    assert response.status_code == 200
    body = response.json()
    text = response.content.decode()
    assert body["number"] == ticket.number
    assert body["status"] == "new"
    assert [step["state"] for step in body["steps"]] == ["current", "todo", "todo", "todo"]
    assert "师傅明天上午到" in [entry["text"] for entry in body["entries"]]
    assert "配件缺货" not in text
    assert "内部.png" not in text
    assert "5566" not in text
    assert agent.username not in text
    assert str(agent) not in text


def test_a_tampered_or_expired_token_is_a_404_and_writes_nothing(client, ticket, settings):
    token = portal.make_token(ticket)
    before = (Comment.objects.count(), TicketEvent.objects.count(), AuditEvent.objects.count())

    for bad in (token[:-2] + "zz", "1:1:1"):
        assert client.get(f"/api/v1/public/tickets/{bad}").status_code == 404
        assert client.post(f"/api/v1/public/tickets/{bad}/replies", {"body": "你好"}).status_code == 404
        assert client.post(f"/api/v1/public/tickets/{bad}/urge").status_code == 404
    settings.TICKET_LINK_MAX_AGE = -1
    response = client.post(f"/api/v1/public/tickets/{token}/urge")
    assert response.status_code == 404
    assert response.json()["code"] == "link_not_found"
    assert (Comment.objects.count(), TicketEvent.objects.count(), AuditEvent.objects.count()) == before


def test_the_customer_replies_with_and_without_files(client, ticket):
    token = portal.make_token(ticket)

    plain = client.post(f"/api/v1/public/tickets/{token}/replies", {"body": "什么时候来？"})
    with_file = client.post(
        f"/api/v1/public/tickets/{token}/replies",
        {"body": "照片", "files": [SimpleUploadedFile("a.png", PNG, content_type="image/png")]},
    )

    assert plain.status_code == 201, plain.content
    assert with_file.status_code == 201
    (file,) = with_file.json()["files"]
    assert file["url"].endswith(f"/t/{token}/files/{file['id']}/")
    assert Comment.objects.filter(ticket=ticket, by_customer=True).count() == 2


def test_the_customer_urges_and_every_urge_counts(client, ticket):
    token = portal.make_token(ticket)

    first = client.post(f"/api/v1/public/tickets/{token}/urge").json()
    second = client.post(f"/api/v1/public/tickets/{token}/urge").json()

    assert (first["urge_count"], first["already_urged_recently"]) == (1, False)
    assert (second["urge_count"], second["already_urged_recently"]) == (2, True)


# --- The public request --------------------------------------------------------------------------

REQUEST = {"name": "王先生", "phone": "139 7180 5566", "subject": "洗衣机漏水", "description": "底部漏水"}


def shape(value):
    """The answer with its values replaced by their types: what a caller could compare."""
    if isinstance(value, dict):
        return {key: shape(item) for key, item in value.items()}
    return type(value).__name__


def test_the_public_request_never_reveals_whether_the_phone_is_known(client, ticket):
    known_customer = ticket.customer
    customers = Customer.objects.count()

    known = post_json(client, "/api/v1/public/requests", REQUEST)
    unknown = post_json(client, "/api/v1/public/requests", {**REQUEST, "phone": "13600001111"})

    assert known.status_code == unknown.status_code == 201
    assert shape(known.json()) == shape(unknown.json())
    assert known.headers.keys() == unknown.headers.keys()
    assert set(known.json()) == {"number", "url", "expires_at"}
    # Behind the same answers: the known number's ticket went to its record, the other made one.
    assert Ticket.objects.get(number=known.json()["number"]).customer == known_customer
    assert Customer.objects.count() == customers + 1
    # And the link shows nothing of the record behind it.
    page = client.get(f"/api/v1/public/tickets/{token_of(known.json()['url'])}").content.decode()
    assert known_customer.name not in page.replace("王先生", "")
    assert "5566" not in page


def test_the_public_request_opens_an_unassigned_portal_ticket_and_is_audited(client):
    response = post_json(
        client, "/api/v1/public/requests", {**REQUEST, "category": "washing_machine"} if False else REQUEST
    )

    ticket = Ticket.objects.get(number=response.json()["number"])
    assert (ticket.channel, ticket.owner.username, ticket.opened_by) == ("portal", "intake", None)
    row = AuditEvent.objects.get(
        target_type=ContentType.objects.get_for_model(Ticket),
        target_id=str(ticket.pk),
        changes__has_key="client_address",
    )
    assert "127.0.0.1" not in json.dumps(row.changes)


def test_a_bad_public_request_writes_nothing(client):
    before = (Ticket.objects.count(), Customer.objects.count(), AuditEvent.objects.count())

    for body in (
        {**REQUEST, "phone": "12345"},
        {**REQUEST, "subject": " "},
        {**REQUEST, "category": "spaceship"},
        {**REQUEST, "extra": 1},
    ):
        response = post_json(client, "/api/v1/public/requests", body)
        assert response.status_code in (400, 422), body

    assert (Ticket.objects.count(), Customer.objects.count(), AuditEvent.objects.count()) == before


def test_public_requests_are_limited_per_client_address(client, settings):
    settings.PUBLIC_REQUESTS_PER_HOUR = 2
    for _ in range(2):
        assert post_json(client, "/api/v1/public/requests", REQUEST).status_code == 201
    before = (Ticket.objects.count(), AuditEvent.objects.count())

    refused = post_json(client, "/api/v1/public/requests", REQUEST)

    assert refused.status_code == 429
    assert int(refused["Retry-After"]) > 3000
    assert refused.json()["code"] == "too_many_requests"
    assert (Ticket.objects.count(), AuditEvent.objects.count()) == before
    elsewhere = Client(REMOTE_ADDR="203.0.113.9")
    assert post_json(elsewhere, "/api/v1/public/requests", REQUEST).status_code == 201


def test_behind_a_proxy_the_limit_counts_the_client_not_the_proxy(client, settings):
    settings.PUBLIC_REQUESTS_PER_HOUR = 1
    settings.TRUSTED_PROXY_COUNT = 1
    first = post_json(client, "/api/v1/public/requests", REQUEST, **{"X-Forwarded-For": "198.51.100.1"})
    second = post_json(client, "/api/v1/public/requests", REQUEST, **{"X-Forwarded-For": "198.51.100.2"})
    again = post_json(client, "/api/v1/public/requests", REQUEST, **{"X-Forwarded-For": "198.51.100.1"})

    assert (first.status_code, second.status_code, again.status_code) == (201, 201, 429)


# --- The screen pop ----------------------------------------------------------------------------------


def lookups_of(user) -> int:
    return AuditEvent.objects.filter(actor=user, action=AuditAction.LOOKUP).count()


def test_one_customer_with_the_number_opens_the_new_ticket_form(client, agent):
    customer = customer_with_phone("+8613971805566")

    response = client.get("/api/v1/channels/cti/screen-pop", {"caller": "13971805566"}, headers=bearer(agent))

    assert response.status_code == 302
    assert response["Location"] == f"/tickets/new/?customer={customer.pk}"
    row = AuditEvent.objects.get(actor=agent, action=AuditAction.LOOKUP)
    assert "13971805566" not in json.dumps(row.changes)
    assert row.target_repr == "139****5566"


def test_several_customers_with_the_number_open_the_search_results(client, agent):
    customer_with_phone("+8613971805566")
    customer_with_phone("+8613971805566")

    response = client.get(
        "/api/v1/channels/cti/screen-pop", {"caller": "+86 139 7180 5566"}, headers=bearer(agent)
    )

    assert response.status_code == 302
    assert response["Location"] == "/customers/?q=%2B8613971805566"
    assert lookups_of(agent) == 1


def test_an_unknown_number_opens_the_new_customer_form_with_it(client, agent):
    response = client.get("/api/v1/channels/cti/screen-pop", {"caller": "13600001111"}, headers=bearer(agent))

    assert response.status_code == 302
    assert response["Location"] == "/customers/new/?phone=%2B8613600001111"
    assert lookups_of(agent) == 1


def test_a_withheld_number_opens_the_empty_new_customer_form(client, agent):
    for caller in ("", "anonymous"):
        response = client.get("/api/v1/channels/cti/screen-pop", {"caller": caller}, headers=bearer(agent))
        assert response["Location"] == "/customers/new/"
    assert lookups_of(agent) == 0


def test_the_screen_pop_works_with_the_agents_session(client, agent):
    client.force_login(agent)

    response = client.get("/api/v1/channels/cti/screen-pop", {"caller": "13600001111"})

    assert response.status_code == 302


def test_the_screen_pop_is_limited_like_any_whole_number_lookup(client, technician, settings):
    settings.KEFU_PHONE_LOOKUPS_PER_HOUR = 1
    headers = bearer(technician)
    assert (
        client.get("/api/v1/channels/cti/screen-pop", {"caller": "13600001111"}, headers=headers).status_code
        == 302
    )

    refused = client.get("/api/v1/channels/cti/screen-pop", {"caller": "13600001112"}, headers=headers)

    assert refused.status_code == 429
    assert "Retry-After" in refused
    assert lookups_of(technician) == 1


def test_without_credentials_or_a_role_there_is_no_screen_pop(client, outsider):
    assert client.get("/api/v1/channels/cti/screen-pop", {"caller": "13600001111"}).status_code == 401
    refused = client.get(
        "/api/v1/channels/cti/screen-pop", {"caller": "13600001111"}, headers=bearer(outsider)
    )
    assert refused.status_code == 403
    assert lookups_of(outsider) == 0


def test_the_links_api_is_limited_per_address_and_a_limited_request_writes_nothing(ticket, settings):
    settings.PUBLIC_LINK_REQUESTS_PER_MINUTE = 1
    token = portal.make_token(ticket)
    client = Client()
    assert client.get(f"/api/v1/public/tickets/{token}").status_code == 200
    before = (Comment.objects.count(), TicketEvent.objects.count(), AuditEvent.objects.count())

    refused = [
        client.get(f"/api/v1/public/tickets/{token}"),
        client.post(f"/api/v1/public/tickets/{token}/replies", {"body": "还没修好"}),
        client.post(f"/api/v1/public/tickets/{token}/urge"),
    ]

    assert [response.status_code for response in refused] == [429] * 3
    assert {response.json()["code"] for response in refused} == {"too_many_requests"}
    assert all(1 <= int(response["Retry-After"]) <= 60 for response in refused)
    assert (Comment.objects.count(), TicketEvent.objects.count(), AuditEvent.objects.count()) == before
    ticket.refresh_from_db()
    assert ticket.urge_count == 0
