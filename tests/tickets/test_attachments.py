"""Attachments: judged by their content, limited in size, named safely, served as what they are."""

import hashlib
import os

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from kefu.core.models import AuditEvent
from kefu.tickets import attachments, services
from kefu.tickets.models import Attachment, TicketEvent
from tests.tickets.factories import TicketFactory

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 64
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 64
GIF = b"GIF89a" + b"\x00" * 64
WEBP = b"RIFF\x24\x00\x00\x00WEBPVP8 " + b"\x00" * 64
PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n" + b"\x00" * 32
ELF = b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 64
PE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 64
ZIP = b"PK\x03\x04" + b"\x00" * 64


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def stored_files(root) -> list[str]:
    return [name for _dir, _dirs, names in os.walk(root) for name in names]


def upload(content: bytes, name: str = "photo.png", content_type: str = "image/png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=content_type)


@pytest.mark.parametrize(
    ("content", "mime", "extension"),
    [
        (PNG, "image/png", "png"),
        (JPEG, "image/jpeg", "jpg"),
        (GIF, "image/gif", "gif"),
        (WEBP, "image/webp", "webp"),
        (PDF, "application/pdf", "pdf"),
    ],
)
def test_images_and_pdf_pass_and_are_described_by_their_content(content, mime, extension):
    checked = attachments.check_upload(upload(content, name="x", content_type="application/octet-stream"))

    assert checked.content_type == mime
    assert checked.size == len(content)
    assert checked.sha256 == hashlib.sha256(content).hexdigest()
    assert checked.name == f"x.{extension}"
    assert checked.file.name.endswith(f".{extension}")
    assert len(checked.file.name) == 33 + len(extension)


@pytest.mark.parametrize("content", [ELF, PE, ZIP, b"<html><script>alert(1)</script>", b"just text"])
def test_anything_else_is_refused_whatever_its_name_and_declared_type(content):
    with pytest.raises(ValidationError) as refused:
        attachments.check_upload(upload(content, name="photo.png", content_type="image/png"))

    assert list(refused.value.message_dict) == ["file"]


def test_an_empty_file_and_no_file_are_refused():
    for given in (upload(b""), None):
        with pytest.raises(ValidationError) as refused:
            attachments.check_upload(given)
        assert list(refused.value.message_dict) == ["file"]


def test_a_file_over_the_limit_is_refused_by_its_real_size_too(settings):
    settings.TICKET_ATTACHMENT_MAX_BYTES = 100
    with pytest.raises(ValidationError):
        attachments.check_upload(upload(PNG + b"\x00" * 100))

    class Understated(SimpleUploadedFile):
        """A client that claims a small size: the bytes read count, not the claim."""

        size = 10

    with pytest.raises(ValidationError):
        attachments.check_upload(Understated("a.png", PNG + b"\x00" * 100, content_type="image/png"))


@pytest.mark.parametrize(
    ("given", "shown"),
    [
        ("../../etc/passwd.png", "passwd.png"),
        ("C:\\Users\\me\\维修单.png", "维修单.png"),
        ("bad\x00name.png", "badname.png"),
        ('quote"s<and>|pipes?.png', "quotesandpipes.png"),
        ("...hidden.png", "hidden.png"),
        ("", "attachment.png"),
        ("photo.exe", "photo.exe.png"),
        ("photo.JPEG", "photo.JPEG.png"),
    ],
)
def test_odd_names_are_cleaned_for_display(given, shown):
    assert attachments.clean_name(given, "png") == shown


def test_an_overlong_name_is_cut_keeping_its_extension():
    name = attachments.clean_name("长" * 300 + ".pdf", "pdf")

    assert len(name) == attachments.NAME_MAX
    assert name.endswith(".pdf")


def test_a_disguised_executable_on_a_ticket_is_refused_with_nothing_written(agent, media):
    ticket = TicketFactory(owner=agent)
    before = (Attachment.objects.count(), TicketEvent.objects.count(), AuditEvent.objects.count())

    with pytest.raises(ValidationError) as refused:
        services.add_attachment(ticket=ticket, by=agent, upload=upload(ELF, name="发票.png"))

    assert "file" in refused.value.message_dict
    assert (Attachment.objects.count(), TicketEvent.objects.count(), AuditEvent.objects.count()) == before
    assert stored_files(media) == []


def test_an_oversized_file_on_a_ticket_is_refused_with_nothing_written(agent, media, settings):
    settings.TICKET_ATTACHMENT_MAX_BYTES = 1024
    ticket = TicketFactory(owner=agent)
    before = (Attachment.objects.count(), TicketEvent.objects.count(), AuditEvent.objects.count())

    with pytest.raises(ValidationError):
        services.add_attachment(ticket=ticket, by=agent, upload=upload(PNG + b"\x00" * 2048))

    assert (Attachment.objects.count(), TicketEvent.objects.count(), AuditEvent.objects.count()) == before
    assert stored_files(media) == []


def test_a_stored_file_keeps_its_content_under_a_random_name(agent, media):
    ticket = TicketFactory(owner=agent)

    attachment = services.add_attachment(ticket=ticket, by=agent, upload=upload(PDF, name="../维修单.pdf"))

    assert attachment.name == "维修单.pdf"
    assert attachment.content_type == "application/pdf"
    assert attachment.file.name.startswith("tickets/")
    assert "维修单" not in attachment.file.name
    with attachment.file.open("rb") as stored:
        assert stored.read() == PDF


def test_staff_get_the_file_as_stored_with_safe_headers(client, agent, media):
    ticket = TicketFactory(owner=agent)
    pdf = services.add_attachment(
        ticket=ticket, by=agent, upload=upload(PDF, name='a"b.pdf', content_type="text/html")
    )
    png = services.add_attachment(ticket=ticket, by=agent, upload=upload(PNG, name="照片.png"), public=False)
    client.force_login(agent)

    response = client.get(f"/t/files/{pdf.pk}/")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;")
    assert '"' not in response["Content-Disposition"].split("filename=", 1)[1].strip('"')
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response["Content-Security-Policy"]
    assert b"".join(response.streaming_content) == PDF

    response = client.get(f"/t/files/{png.pk}/")
    assert response["Content-Type"] == "image/png"
    assert response["Content-Disposition"].startswith("inline;")
    assert "filename*=utf-8''%E7%85%A7%E7%89%87.png" in response["Content-Disposition"]


def test_staff_who_may_not_see_the_ticket_get_nothing(client, agent, technician, media):
    ticket = TicketFactory(owner=agent)
    attachment = services.add_attachment(ticket=ticket, by=agent, upload=upload(PNG))
    client.force_login(technician)  # sees only the tickets they own or help with

    assert client.get(f"/t/files/{attachment.pk}/").status_code == 404
    assert client.get("/t/files/999999/").status_code == 404
    client.logout()
    assert client.get(f"/t/files/{attachment.pk}/").status_code == 302  # to the login page
