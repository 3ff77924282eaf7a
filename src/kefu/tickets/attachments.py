"""Attachments: what a ticket accepts (images and PDF, judged by their content) and how a stored
file is handed back.

`check_upload` reads an upload before anything is written: its first bytes decide its type (the
`filetype` package reads the magic numbers), never its name or the Content-Type the client sent,
so a `.png` that is an executable is refused. It is hashed and measured while it is read, its
name is cleaned for display, and it is given a random name for the storage: the customer's own
file name never becomes a path. Storage is Django's default storage (STORAGES["default"]), so
S3-compatible storage is a setting (docs/operations.md, "Attachments").

`file_response` serves a stored attachment with the content type it was stored with, a
Content-Disposition that cannot be bent by the file's name, and headers that keep a browser from
reading it as anything else. Who may fetch it is decided by the views (views_portal.py).
"""

import hashlib
import os
import re
import unicodedata
import uuid
from dataclasses import dataclass

import filetype
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files import File
from django.http import FileResponse
from django.utils.translation import gettext_lazy as _

from kefu.tickets.models import Attachment

# What a ticket accepts: the content type as read from the bytes → the file-name extension.
ACCEPTED = {
    "image/jpeg": "jpg",
    "image/png": "png",
    "image/gif": "gif",
    "image/webp": "webp",
    "application/pdf": "pdf",
}
# An animated PNG is a PNG: it is stored and served as one.
SAME_AS = {"image/apng": "image/png"}
# The extensions a name may already end in for each type (kept as written).
EXTENSIONS = {"jpg": {"jpg", "jpeg"}, "png": {"png"}, "gif": {"gif"}, "webp": {"webp"}, "pdf": {"pdf"}}
# Bytes read to judge the type (filetype needs at most 8 KiB; PDF's header may start late).
HEAD_BYTES = 8192
CHUNK = 64 * 1024
NAME_MAX: int = Attachment._meta.get_field("name").max_length or 120
# Control characters and the characters that file systems or headers treat specially.
UNSAFE_IN_NAME = re.compile(r'[\x00-\x1f\x7f<>:"|?*\\/]')

DEFAULT_MAX_BYTES = 10 * 1024 * 1024


def max_bytes() -> int:
    return int(getattr(settings, "TICKET_ATTACHMENT_MAX_BYTES", DEFAULT_MAX_BYTES))


@dataclass(frozen=True)
class CheckedFile:
    """An upload that passed: `file` is ready for a FileField (random storage name, read from
    the start), `name` the cleaned name to show, `content_type` as read from its bytes."""

    file: File
    name: str
    content_type: str
    size: int
    sha256: str

    def fields(self) -> dict:
        """The Attachment fields that describe the file."""
        return {
            "file": self.file,
            "name": self.name,
            "content_type": self.content_type,
            "size": self.size,
            "sha256": self.sha256,
        }


def _refuse(message) -> ValidationError:
    return ValidationError({"file": [message]})


def _size_text(size: int) -> str:
    return f"{size / (1024 * 1024):.0f} MB" if size >= 1024 * 1024 else f"{size // 1024} KB"


def clean_name(raw: str | None, extension: str) -> str:
    """The name a person gave the file, fit to show and to put in a header: its last path part,
    without control characters or NUL, at most NAME_MAX characters with its extension kept, and
    ending in the extension of what the file really is."""
    text = unicodedata.normalize("NFC", str(raw or ""))
    text = re.split(r"[/\\]", text)[-1]
    text = UNSAFE_IN_NAME.sub("", text).strip().lstrip(".").strip()
    stem, dot, given = text.rpartition(".")
    if dot and stem.strip() and given.lower() in EXTENSIONS[extension]:
        base, suffix = stem, f".{given}"
    else:
        base, suffix = text, f".{extension}"
    base = base.strip() or "attachment"
    return base[: NAME_MAX - len(suffix)].rstrip() + suffix


def _read_head(upload) -> bytes:
    upload.seek(0)
    head = upload.read(HEAD_BYTES)
    upload.seek(0)
    return head


def check_upload(upload) -> CheckedFile:
    """The upload as a CheckedFile, or ValidationError {"file": [...]} for one that is empty,
    larger than settings.TICKET_ATTACHMENT_MAX_BYTES, or not an image (JPEG, PNG, GIF, WebP) or
    a PDF by its content. Nothing is written."""
    if upload is None:
        raise _refuse(_("Choose a file."))
    limit = max_bytes()
    declared = getattr(upload, "size", None)
    if declared is not None and declared > limit:
        raise _refuse(
            _("The file is %(size)s; at most %(limit)s is accepted.")
            % {"size": _size_text(declared), "limit": _size_text(limit)}
        )
    head = _read_head(upload)
    if not head:
        raise _refuse(_("The file is empty."))
    kind = filetype.guess(head)
    mime = SAME_AS.get(kind.mime, kind.mime) if kind is not None else None
    if mime not in ACCEPTED:
        raise _refuse(_("Only photos (JPEG, PNG, GIF, WebP) and PDF files are accepted."))
    digest = hashlib.sha256()
    size = 0
    upload.seek(0)
    while chunk := upload.read(CHUNK):
        size += len(chunk)
        if size > limit:
            raise _refuse(
                _("The file is larger than %(limit)s, the most accepted.") % {"limit": _size_text(limit)}
            )
        digest.update(chunk)
    upload.seek(0)
    extension = ACCEPTED[mime]
    stored_name = f"{uuid.uuid4().hex}.{extension}"
    return CheckedFile(
        file=File(upload, name=stored_name),
        name=clean_name(getattr(upload, "name", ""), extension),
        content_type=mime,
        size=size,
        sha256=digest.hexdigest(),
    )


def file_response(attachment: Attachment) -> FileResponse:
    """The stored file, as what it was checked to be: images shown inline, PDFs downloaded, under
    the cleaned name (Django encodes it for the header: RFC 6266's filename*), never sniffed,
    and sandboxed should a browser render it anyway."""
    inline = attachment.content_type.startswith("image/")
    content_type = attachment.content_type
    if content_type not in ACCEPTED:
        content_type = "application/octet-stream"
    filename = os.path.basename(attachment.name) or f"attachment.{ACCEPTED.get(content_type, 'bin')}"
    stream = attachment.file.open("rb")
    response = FileResponse(
        stream,
        as_attachment=not inline,
        filename=filename,
        content_type=content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; img-src 'self'; sandbox"
    response["Cache-Control"] = "private, no-store"
    return response
