"""Creates that are safe to retry (API.md "Creates"; Stripe's Idempotency-Key).

    @router.post("/customers", response={201: CustomerOut, **errors(400, 403, 422)})
    def create_customer(request, payload: CustomerIn, idempotency_key: IdempotencyKeyHeader = None):
        return create_once(request, idempotency_key, CustomerOut, lambda: ...)

The first answer is stored with the record in one transaction, so a retry after a lost
answer finds either both or neither. A key is the caller's own (unique per user); its first
request fixes the fingerprint, and a different request with the same key is refused.
"""

import contextlib
import datetime
import hashlib
import json
from collections.abc import Callable
from typing import Annotated, Any

from django.db import DEFAULT_DB_ALIAS, IntegrityError, transaction
from django.db.models import Subquery
from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from ninja import Header, Schema
from ninja.responses import Status

from kefu.core.api import answer as write_answer
from kefu.core.db.statements import Prepared, batched, insert
from kefu.core.errors import DomainError, InvalidRequest
from kefu.core.models import IdempotencyKey

HEADER = "Idempotency-Key"
# How long a key protects against a duplicate; older keys may be used again (and purged).
KEY_LIFETIME = datetime.timedelta(hours=24)
MAX_KEY_LENGTH = 255

IdempotencyKeyHeader = Annotated[
    str | None,
    Header(
        alias=HEADER,
        max_length=MAX_KEY_LENGTH,
        # Printable ASCII, no space at either end.
        pattern=r"^[!-~](?:[ -~]*[!-~])?$",
        description=(
            "A unique value (a UUID) per intended create. A retry with the same key and body "
            "returns the first answer and writes nothing; the same key with another body is a 422. "
            "Keys last 24 hours."
        ),
    ),
]


class IdempotencyKeyReused(DomainError):
    status = 422
    code = "idempotency_key_reused"
    default_message = _(
        "This Idempotency-Key was already used for a different request. Use a new key for a new request."
    )


def purge_expired_keys(*, now: datetime.datetime | None = None) -> int:
    """Delete the keys that no longer protect anything, in one statement; safe to repeat."""
    cutoff = (now or timezone.now()) - KEY_LIFETIME
    deleted, _by_model = IdempotencyKey.objects.filter(created_at__lt=cutoff).delete()
    return deleted


def _multipart_body(request: HttpRequest) -> bytes:
    """What a multipart request says, whatever boundary its client chose: its fields and, for
    each file, its field, name and the SHA-256 of its content. The body itself streamed to the
    upload handlers and cannot be read again; the files are read back from them."""
    parts = [[name, value] for name, values in sorted(request.POST.lists()) for value in values]
    for name, files in sorted(request.FILES.lists()):
        for upload in files:
            content = hashlib.sha256()
            upload.seek(0)
            for chunk in upload.chunks():
                content.update(chunk)
            upload.seek(0)
            parts.append([name, upload.name or "", content.hexdigest()])
    return json.dumps(parts, separators=(",", ":"), ensure_ascii=False).encode()


def fingerprint(request: HttpRequest) -> str:
    """SHA-256 of method, path and body; the same JSON written with other spacing is the same,
    and so is the same multipart form sent with another boundary."""
    if request.content_type == "multipart/form-data":
        body = _multipart_body(request)
    else:
        body = request.body
        with contextlib.suppress(ValueError):
            body = json.dumps(json.loads(body), sort_keys=True, separators=(",", ":")).encode()
    digest = hashlib.sha256()
    for part in (request.method.encode(), request.path.encode(), body):
        digest.update(part)
        digest.update(b"\n")
    return digest.hexdigest()


# Compiled once per process (core.db.statements): every create with a key reads it.
_KEY = Prepared(lambda slot: IdempotencyKey.objects.filter(user_id=slot.number("user"), key=slot.text("key")))

# --- The stored answer read with the API token ----------------------------------------------------
# A create through an API token reads its key's row in the token's own statement
# (accounts.auth): one statement and one round trip fewer per create. The row (or None) is left
# on the request for create_once, which reads it itself when it is not there (a session, a key
# the request did not send as it is used).

_STORED = "_kefu_stored_answer"
_STORED_FIELDS = ("id", "fingerprint", "status", "response", "created_at")


def usable_key(raw: str | None) -> str | None:
    """The key as create_once uses it (without spaces at either end), or None when it is not one
    (create_once refuses it: 1 to 255 printable ASCII characters)."""
    if raw is None:
        return None
    key = raw.strip()
    if not key or len(key) > MAX_KEY_LENGTH or not key.isascii() or not key.isprintable():
        return None
    return key


def request_key(request: HttpRequest) -> str | None:
    """The usable key a create request sends (POST), if any."""
    return usable_key(request.headers.get(HEADER)) if request.method == "POST" else None


def stored_columns(user, key) -> dict[str, Subquery]:
    """The stored answer of `user`'s `key` as annotations of another statement's row (`user` an
    OuterRef to the user's id, `key` the key or a Prepared stand-in): stored_id is None when
    there is none."""
    row = IdempotencyKey.objects.filter(user_id=user, key=key)
    return {f"stored_{name}": Subquery(row.values(name)[:1]) for name in _STORED_FIELDS}


def keep_stored(request: HttpRequest, key: str, annotated) -> None:
    """Leave on the request the stored answer read by stored_columns on `annotated`, a row with
    the user's id (`user_id`)."""
    user_id = annotated.user_id
    row = None
    if annotated.stored_id is not None:
        row = IdempotencyKey(
            user_id=user_id,
            key=key,
            **{name: getattr(annotated, f"stored_{name}") for name in _STORED_FIELDS},
        )
        row._state.adding = False
        row._state.db = DEFAULT_DB_ALIAS
    setattr(request, _STORED, (key, user_id, row))


def _stored_row(request: HttpRequest, user, key: str) -> IdempotencyKey | None:
    kept = request.__dict__.pop(_STORED, None)
    if kept is not None and kept[0] == key and kept[1] == user.pk:
        return kept[2]
    return _KEY.first(user=user.pk, key=key)


def _stored_answer(
    request: HttpRequest, user, key: str, digest: str, present: Callable[[Any], Any]
) -> JsonResponse | None:
    row = _stored_row(request, user, key)
    if row is None:
        return None
    if row.created_at < timezone.now() - KEY_LIFETIME:
        row.delete()
        return None
    if row.fingerprint != digest:
        raise IdempotencyKeyReused()
    response = JsonResponse(
        present(row.response), status=row.status, json_dumps_params={"ensure_ascii": False}
    )
    response["Idempotent-Replayed"] = "true"
    return response


class Rendered:
    """What a create returns when it has built its answer as the API writes it (times as text,
    every value JSON's own), as TicketOut would have written it: create_once then stores and
    answers it as it is, without validating and dumping it through `out` (a test must hold the
    two together, as for the lists built by hand)."""

    __slots__ = ("body",)

    def __init__(self, body: dict) -> None:
        self.body = body


def create_once(
    request: HttpRequest,
    key: str | None,
    out: type[Schema],
    create: Callable[[], Any],
    *,
    status: int = 201,
    replay: Callable[[Any], Any] | None = None,
) -> Any:
    """Run `create` (which returns the data of `out`) once per key; answer a retry from the store.

    An answer that carries personal data (a customer's numbers) passes `replay`: then only the
    record's id is stored, and a retry is answered by `replay(id)`, which renders the record as
    the caller may see it now, with the audit row any full view writes. Nothing personal is kept
    in the key table, and no answer shows numbers without its trace.
    """
    if key is None:
        created = create()
        if isinstance(created, Rendered):
            return write_answer(request, created.body, status=status)
        return Status(status, created)
    key = usable_key(key)
    if key is None:
        raise InvalidRequest({HEADER: [_("Send 1 to 255 characters, for example a UUID.")]})
    user = request.auth
    digest = fingerprint(request)

    def present(stored: Any) -> Any:
        if replay is None:
            return stored
        return out.model_validate(replay(stored["id"])).model_dump(mode="json")

    answer = _stored_answer(request, user, key, digest, present)
    if answer is not None:
        return answer
    try:
        # The create's writes that nobody reads back and the stored answer go to the database
        # together before the commit (core.db.statements.batched); a lost race on the key is
        # raised there, inside the transaction, as before.
        with transaction.atomic(), batched():
            created = create()
            if isinstance(created, Rendered):
                result, body = None, created.body
            else:
                result = out.model_validate(created)
                body = result.model_dump(mode="json")
            stored = {"id": body["id"]} if replay is not None else body
            insert(
                [IdempotencyKey(user=user, key=key, fingerprint=digest, status=status, response=stored)],
                wait=False,
            )
    except IntegrityError:
        # A concurrent request with the same key won; everything of ours rolled back.
        answer = _stored_answer(request, user, key, digest, present)
        if answer is None:
            raise
        return answer
    if result is None:
        return write_answer(request, body, status=status)
    # The validated schema itself: ninja renders it without validating it a second time.
    return Status(status, result)
