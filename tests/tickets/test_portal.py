"""The customer's link and pages: signed, expiring, showing only what is public; the public
request form; the urge button."""

import datetime
import re

import pytest
from django.core import signing
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from kefu.core.models import AuditAction, AuditEvent
from kefu.tickets import portal, services
from kefu.tickets.models import Attachment, Comment, Status, Ticket, TicketEvent
from tests.tickets.factories import TicketFactory
from tests.tickets.test_attachments import ELF, PNG

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def ticket(agent):
    return services.open_ticket(
        by=agent,
        customer=TicketFactory(owner=agent).customer,
        subject="空调不制冷",
        type="repair",
        channel="phone",
        description="客户说外机不转",
    )


def written() -> tuple[int, ...]:
    return (
        Comment.objects.count(),
        Attachment.objects.count(),
        TicketEvent.objects.count(),
        AuditEvent.objects.count(),
        Ticket.objects.filter(urge_count__gt=0).count(),
    )


def token_of(url: str) -> str:
    return re.search(r"/t/([^/]+)/$", url).group(1)


# --- Links ---------------------------------------------------------------------------------


def test_a_link_opens_its_ticket_until_it_expires_and_is_audited(ticket, agent):
    url, expires_at = portal.portal_link(ticket, by=agent)

    assert portal.open_link(token_of(url)) == ticket
    assert abs(expires_at - timezone.now() - datetime.timedelta(days=30)) < datetime.timedelta(seconds=5)
    row = AuditEvent.objects.filter(actor=agent, target_id=str(ticket.pk), action=AuditAction.UPDATE).latest(
        "at"
    )
    assert "portal_link_expires_at" in row.changes


def test_a_tampered_an_expired_and_a_foreign_token_open_nothing(ticket, agent, settings):
    token = portal.make_token(ticket)
    other_id = signing.TimestampSigner(salt="another.salt").sign(str(ticket.pk))
    for bad in (
        token[:-1] + ("A" if token[-1] != "A" else "B"),
        str(ticket.pk),
        other_id,
        "",
        "x" * 200,
        token.replace(f"{ticket.pk}:", f"{ticket.pk + 1}:", 1),
    ):
        with pytest.raises(portal.LinkNotFound):
            portal.open_link(bad)

    settings.TICKET_LINK_MAX_AGE = -1  # every link is already too old
    with pytest.raises(portal.LinkNotFound):
        portal.open_link(token)


def test_a_merged_duplicates_link_opens_its_original_of_the_same_customer(ticket, agent):
    duplicate = services.open_ticket(
        by=agent, customer=ticket.customer, subject="空调还是不制冷", type="repair", channel="portal"
    )
    token = portal.make_token(duplicate)
    services.add_customer_reply(ticket=duplicate, body="我上周也报过")
    services.merge_ticket(duplicate=duplicate, into=ticket, by=agent)

    assert portal.open_link(token) == ticket
    assert portal.followed_merge(token, ticket)
    view = portal.public_ticket(ticket, token)
    assert view.merged_from == [duplicate.number]
    assert "我上周也报过" in [entry.text for entry in view.entries]


# --- The page --------------------------------------------------------------------------------


def test_the_page_shows_progress_and_public_replies_never_internal_notes(
    ticket, agent, django_assert_max_num_queries
):
    services.transition_ticket(ticket=ticket, by=agent, status=Status.PENDING_CUSTOMER)
    services.add_comment(ticket=ticket, by=agent, body="请提供购买发票照片", public=True)
    services.add_comment(ticket=ticket, by=agent, body="内部备注：客户脾气急，优先处理", public=False)
    services.add_comment(
        ticket=ticket,
        by=agent,
        body="内部附件说明",
        public=False,
        files=[SimpleUploadedFile("internal.png", PNG, content_type="image/png")],
    )
    token = portal.make_token(ticket)

    with django_assert_max_num_queries(12):
        response = Client().get(f"/t/{token}/")

    page = response.content.decode()
    assert response.status_code == 200
    assert "请提供购买发票照片" in page
    assert ticket.number in page
    assert "内部备注" not in page
    assert "内部附件说明" not in page
    assert "internal.png" not in page
    assert agent.username not in page
    assert str(agent) not in page
    assert 'aria-current="step"' in page
    assert "Waiting for your reply" in page or "等待您的回复" in page


def test_the_page_shows_nothing_of_the_customers_record(agent):
    from tests.factories import customer_with_phone

    customer = customer_with_phone("+8613971805566", name="陈女士")
    ticket = services.open_ticket(
        by=agent, customer=customer, subject="冰箱噪音大", type="repair", channel="phone"
    )

    page = Client().get(f"/t/{portal.make_token(ticket)}/").content.decode()

    assert "陈女士" not in page
    assert "5566" not in page


def test_a_wrong_link_is_a_plain_404_page(ticket):
    response = Client().get(f"/t/{portal.make_token(ticket)}x/", headers={"Accept-Language": "en"})

    assert response.status_code == 404
    assert "This link is wrong or has expired" in response.content.decode()


def test_the_page_speaks_chinese_and_english(ticket):
    token = portal.make_token(ticket)

    english = Client().get(f"/t/{token}/", headers={"Accept-Language": "en"}).content.decode()
    chinese = Client().get(f"/t/{token}/", headers={"Accept-Language": "zh-hans"}).content.decode()

    assert "Answer us" in english
    assert 'lang="en"' in english
    assert 'lang="zh-CN"' in chinese


def test_the_customer_replies_with_a_photo(ticket):
    token = portal.make_token(ticket)
    client = Client()

    response = client.post(
        f"/t/{token}/reply/",
        {"body": "外机照片在这里", "files": [SimpleUploadedFile("外机.png", PNG, content_type="image/png")]},
    )

    assert response.status_code == 302
    comment = Comment.objects.get(ticket=ticket, by_customer=True)
    assert comment.body == "外机照片在这里"
    assert comment.is_public
    attachment = comment.attachments.get()
    page = client.get(f"/t/{token}/").content.decode()
    assert "外机照片在这里" in page
    file_url = f"/t/{token}/files/{attachment.pk}/"
    assert file_url in page
    assert client.get(file_url)["Content-Type"] == "image/png"


def test_a_reply_with_a_disguised_file_is_refused_with_nothing_written(ticket):
    token = portal.make_token(ticket)
    before = written()

    response = Client().post(
        f"/t/{token}/reply/",
        {"body": "看附件", "files": [SimpleUploadedFile("a.png", ELF, content_type="image/png")]},
    )

    assert response.status_code == 422
    assert "JPEG" in response.content.decode()
    assert written() == before


def test_a_tampered_or_expired_link_writes_nothing(ticket, settings):
    token = portal.make_token(ticket)
    before = written()
    client = Client()

    for bad in (token + "x", "1:abc:def"):
        assert client.post(f"/t/{bad}/reply/", {"body": "你好"}).status_code == 404
        assert client.post(f"/t/{bad}/urge/").status_code == 404
    settings.TICKET_LINK_MAX_AGE = -1
    assert client.post(f"/t/{token}/reply/", {"body": "你好"}).status_code == 404
    assert client.post(f"/t/{token}/urge/").status_code == 404
    assert client.get(f"/t/{token}/").status_code == 404
    assert written() == before


def test_private_files_are_not_served_through_the_link(ticket, agent):
    private = services.add_attachment(
        ticket=ticket,
        by=agent,
        upload=SimpleUploadedFile("p.png", PNG, content_type="image/png"),
        public=False,
    )
    other = TicketFactory(owner=agent)
    foreign = services.add_attachment(
        ticket=other, by=agent, upload=SimpleUploadedFile("o.png", PNG, content_type="image/png")
    )
    token = portal.make_token(ticket)

    assert Client().get(f"/t/{token}/files/{private.pk}/").status_code == 404
    assert Client().get(f"/t/{token}/files/{foreign.pk}/").status_code == 404


def test_the_links_pages_are_limited_per_address_and_a_limited_request_writes_nothing(
    ticket, agent, settings
):
    settings.PUBLIC_LINK_REQUESTS_PER_MINUTE = 1
    attachment = services.add_attachment(
        ticket=ticket, by=agent, upload=SimpleUploadedFile("p.png", PNG, content_type="image/png")
    )
    token = portal.make_token(ticket)
    client = Client()
    assert client.get(f"/t/{token}/").status_code == 200
    before = written()

    refused = [
        client.get(f"/t/{token}/"),
        client.post(f"/t/{token}/reply/", {"body": "还没修好"}),
        client.post(f"/t/{token}/urge/"),
        client.get(f"/t/{token}/files/{attachment.pk}/"),
    ]

    assert [response.status_code for response in refused] == [429] * 4
    assert all(1 <= int(response["Retry-After"]) <= 60 for response in refused)
    assert 'data-kf-limit="too_many_requests"' in refused[1].content.decode()
    assert written() == before
    other = Client(REMOTE_ADDR="198.51.100.7")
    assert other.post(f"/t/{token}/urge/").status_code == 302


def test_the_link_limit_spans_every_door_in_one_hourly_budget_too(ticket, settings):
    settings.PUBLIC_LINK_REQUESTS_PER_HOUR = 2
    token = portal.make_token(ticket)
    client = Client()
    assert client.get(f"/t/{token}/").status_code == 200
    assert client.get(f"/t/{token}/").status_code == 200

    refused = client.get(f"/t/{token}/")

    assert refused.status_code == 429
    assert 1 <= int(refused["Retry-After"]) <= 3600


def test_every_urge_counts_and_a_second_one_soon_says_it_was_noted(ticket):
    token = portal.make_token(ticket)
    client = Client()

    first = client.post(f"/t/{token}/urge/", follow=True, headers={"Accept-Language": "en"})
    second = client.post(f"/t/{token}/urge/", follow=True, headers={"Accept-Language": "en"})

    ticket.refresh_from_db()
    assert ticket.urge_count == 2
    assert "We have told the person handling your request" in first.content.decode()
    assert "You had already urged us" in second.content.decode()
    assert TicketEvent.objects.filter(ticket=ticket, kind="ticket_urged", is_public=True).count() == 2


def test_a_resolved_ticket_offers_no_urge_and_refuses_one(ticket, agent):
    services.transition_ticket(ticket=ticket, by=agent, status=Status.RESOLVED)
    token = portal.make_token(ticket)

    page = Client().get(f"/t/{token}/").content.decode()
    response = Client().post(f"/t/{token}/urge/")

    assert f"/t/{token}/urge/" not in page
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.urge_count == 0


# --- The public request form ------------------------------------------------------------------

FORM = {
    "name": "王先生",
    "phone": "13912345678",
    "type": "repair",
    "category": "",
    "product": "海尔洗衣机",
    "subject": "洗衣机漏水",
    "description": "底部一直漏水",
}


def test_the_request_form_opens_a_ticket_and_shows_its_link():
    client = Client()
    assert client.get("/t/request/").status_code == 200

    response = client.post("/t/request/", FORM)

    ticket = Ticket.objects.get()
    assert response.status_code == 302
    assert portal.open_link(token_of(response["Location"])) == ticket
    assert ticket.channel == "portal"
    assert ticket.owner.username == "intake"
    assert "王先生" in ticket.description
    assert "海尔洗衣机" in ticket.description


def test_the_request_form_needs_its_csrf_token():
    client = Client(enforce_csrf_checks=True)

    assert client.post("/t/request/", FORM).status_code == 403
    assert not Ticket.objects.exists()


def test_the_request_form_shows_errors_beside_the_fields_and_writes_nothing():
    before = (Ticket.objects.count(), AuditEvent.objects.count())

    empty = Client().post("/t/request/", {**FORM, "subject": ""})
    bad_phone = Client().post("/t/request/", {**FORM, "phone": "12"})

    assert empty.status_code == 422
    assert 'id="id_subject-error"' in empty.content.decode()
    assert bad_phone.status_code == 422
    assert 'id="id_phone-error"' in bad_phone.content.decode()
    assert before == (Ticket.objects.count(), AuditEvent.objects.count())


def test_the_request_form_is_limited_per_address(settings):
    settings.PUBLIC_REQUESTS_PER_HOUR = 2
    client = Client()
    for _ in range(2):
        assert client.post("/t/request/", FORM).status_code == 302

    refused = client.post("/t/request/", FORM)

    assert refused.status_code == 429
    assert int(refused["Retry-After"]) > 0
    assert Ticket.objects.count() == 2
    other = Client(REMOTE_ADDR="198.51.100.7")
    assert other.post("/t/request/", FORM).status_code == 302
