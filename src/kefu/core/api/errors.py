"""One error shape for every answer that is not a success (API.md "Errors").

    {"code": "invalid", "message": "<translated sentence>", "fields": {"phones": ["<translated>"]}}

`install(api)` maps every exception an endpoint may raise to that shape: ninja's parse errors
(400), Django's ValidationError from services (422), core.errors.DomainError and its
subclasses (their own status and code), authentication (401), CSRF (403), Http404 (404),
throttling (429 with Retry-After). Anything else is a bug: it is logged and answered with a
500 in the same shape, never an HTML page.
"""

import logging
import math
from collections.abc import Callable, Mapping
from functools import wraps
from typing import Any, TypeVar, cast

from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS, RequestDataTooBig, SuspiciousOperation, ValidationError
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.db import IntegrityError, InterfaceError, OperationalError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse, UnreadablePostError
from django.http.multipartparser import MultiPartParserError
from django.utils.translation import gettext_lazy as _
from ninja import Schema
from ninja.errors import AuthenticationError, HttpError, Throttled
from ninja.errors import ValidationError as NinjaValidationError

from kefu.core.errors import DomainError, TooManyRequests

logger = logging.getLogger("kefu.api")
F = TypeVar("F", bound=Callable[..., Any])


class Error(Schema):
    code: str
    message: str
    fields: dict[str, list[str]] = {}


class ConflictError(Error):
    """A 409; a stale version also says which version is current."""

    current_version: int | None = None


# --- Errors that only the API raises ---------------------------------------------------------


class NotAuthenticated(DomainError):
    status = 401
    code = "not_authenticated"
    default_message = _(
        "Authentication credentials were not provided or are not valid. "
        "Send “Authorization: Bearer <token>” or sign in."
    )


class CsrfFailed(DomainError):
    status = 403
    code = "csrf_failed"
    default_message = _(
        "The CSRF check failed. A browser session must send the X-CSRFToken header; "
        "other clients should use a bearer token."
    )


class Locked(TooManyRequests):
    """Too many failed sign-ins: the caller should wait `retry_after` seconds."""

    code = "locked"
    default_message = _("Too many attempts. Try again later.")


# --- Field names: services speak model names, the API its own --------------------------------


def api_field_names(api_to_model: Mapping[str, str]) -> Callable[[F], F]:
    """For an endpoint whose schema names a field otherwise than the model does (purchase_date
    for purchased_on): a ValidationError its services raise names the API's fields.

    `api_to_model` is the map the endpoint's input already uses (API name → model name), so each
    operation states its own names beside its code; nothing is shared between operations or
    apps, and nothing is registered at import time. Put it below the router's decorator:

        @router.post("/customers/{customer_id}/products", ...)
        @api_field_names(PRODUCT_FIELD_NAMES)
        def create_product(request, customer_id: Id, payload: ProductIn): ...
    """
    to_api = {model: api for api, model in api_to_model.items()}

    def decorate(endpoint: F) -> F:
        @wraps(endpoint)
        def renaming(*args, **kwargs):
            try:
                return endpoint(*args, **kwargs)
            except ValidationError as error:
                raise renamed(error, to_api) from None

        return cast(F, renaming)

    return decorate


def renamed(error: ValidationError, names: Mapping[str, str]) -> ValidationError:
    """The same refusal with its fields renamed (model name → API name)."""
    if not hasattr(error, "error_dict"):
        return error
    fields: dict[str, list] = {}
    for name, problems in error.error_dict.items():
        fields.setdefault(names.get(name, name), []).extend(problems)
    return ValidationError(fields)


# --- Rendering -----------------------------------------------------------------------------


def _summary(fields: Mapping[str, list[str]], fallback) -> str:
    """The one sentence for `message`: it names the field, or the fields, at fault."""
    if len(fields) == 1:
        (name, messages), *_rest = fields.items()
        return _("%(field)s: %(message)s") % {"field": name, "message": messages[0]}
    if fields:
        return _("Some fields are not valid: %(fields)s.") % {"fields": ", ".join(fields)}
    return str(fallback)


def error_response(
    status: int,
    code: str,
    message,
    fields: Mapping[str, list[str]] | None = None,
    **extra: Any,
) -> HttpResponse:
    body = {"code": code, "message": str(message), "fields": dict(fields or {}), **extra}
    return JsonResponse(body, status=status, json_dumps_params={"ensure_ascii": False})


def invalid_response(status: int, fields: dict[str, list[str]], fallback) -> HttpResponse:
    return error_response(status, "invalid", _summary(fields, fallback), fields)


# Pydantic's error types in the words of our users, in their language.
_PYDANTIC_MESSAGES = {
    "missing": _("This field is required."),
    "string_type": _("Enter text."),
    "int_type": _("Enter a whole number."),
    "int_parsing": _("Enter a whole number."),
    "int_from_float": _("Enter a whole number."),
    "bool_type": _("Enter true or false."),
    "bool_parsing": _("Enter true or false."),
    "date_type": _("Enter a date as YYYY-MM-DD."),
    "date_parsing": _("Enter a date as YYYY-MM-DD."),
    "date_from_datetime_parsing": _("Enter a date as YYYY-MM-DD."),
    "date_from_datetime_inexact": _("Enter a date as YYYY-MM-DD."),
    "datetime_type": _("Enter a date and time such as 2026-03-09T10:00:00+08:00."),
    "datetime_parsing": _("Enter a date and time such as 2026-03-09T10:00:00+08:00."),
    "datetime_from_date_parsing": _("Enter a date and time such as 2026-03-09T10:00:00+08:00."),
    "list_type": _("Enter a list."),
    "dict_type": _("Enter an object."),
    "model_type": _("Enter an object."),
    "model_attributes_type": _("Enter an object."),
    "extra_forbidden": _("This field is not accepted here."),
    "json_invalid": _("The request body is not valid JSON."),
    "json_type": _("The request body is not valid JSON."),
}
_PYDANTIC_MESSAGES_WITH_CONTEXT = {
    "literal_error": (_("Choose one of: %(expected)s."), "expected"),
    "enum": (_("Choose one of: %(expected)s."), "expected"),
    "string_too_long": (_("Enter at most %(max_length)s characters."), "max_length"),
    "string_too_short": (_("Enter at least %(min_length)s characters."), "min_length"),
    "too_long": (_("Enter at most %(max_length)s items."), "max_length"),
    "too_short": (_("Enter at least %(min_length)s items."), "min_length"),
    "greater_than_equal": (_("Enter a number of at least %(ge)s."), "ge"),
    "greater_than": (_("Enter a number greater than %(gt)s."), "gt"),
    "less_than_equal": (_("Enter a number of at most %(le)s."), "le"),
    "less_than": (_("Enter a number less than %(lt)s."), "lt"),
    "date_range": (_("Enter a date between %(earliest)s and %(latest)s."), "earliest"),
}


def _pydantic_message(error: dict) -> str:
    kind = error.get("type", "")
    if kind in ("string_too_short", "too_short") and (error.get("ctx") or {}).get("min_length") == 1:
        return str(_("This field cannot be empty."))
    if kind in _PYDANTIC_MESSAGES:
        return str(_PYDANTIC_MESSAGES[kind])
    if kind in _PYDANTIC_MESSAGES_WITH_CONTEXT:
        template, key = _PYDANTIC_MESSAGES_WITH_CONTEXT[kind]
        context = error.get("ctx") or {}
        if key in context:
            return template % context
    return str(_("This value is not valid."))


# Endpoints name their body parameter `payload`; ninja puts it in the error's location.
BODY_PARAMETER = "payload"


def _pydantic_field(loc: tuple) -> str:
    """("body", "payload", "addresses", 0, "city") → "addresses"; ("query", "limit") → "limit"."""
    path = list(loc[1:])
    if loc and loc[0] == "body" and path and path[0] == BODY_PARAMETER:
        path = path[1:]
    names = [str(part) for part in path if not isinstance(part, int)]
    return names[0] if names else ""


def handle_parse_error(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
    fields: dict[str, list[str]] = {}
    general: list[str] = []
    for error in exc.errors:
        name = _pydantic_field(tuple(error.get("loc", ())))
        message = _pydantic_message(error)
        if name:
            if message not in fields.setdefault(name, []):
                fields[name].append(message)
        else:
            general.append(
                message if error.get("type") != "missing" else str(_("Send a JSON object in the body."))
            )
    return invalid_response(400, fields, general[0] if general else _("The request is not valid."))


def handle_validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    """A service refused the input: 422, every message under its field (the API's name where the
    endpoint renames it, `api_field_names`)."""
    if not hasattr(exc, "error_dict"):
        return error_response(422, "invalid", " ".join(exc.messages))
    fields: dict[str, list[str]] = {}
    general: list[str] = []
    for name, messages in exc.message_dict.items():
        if name == NON_FIELD_ERRORS:
            general.extend(messages)
        else:
            fields.setdefault(name, []).extend(messages)
    if general and not fields:
        return error_response(422, "invalid", " ".join(general))
    return invalid_response(422, fields, _("The request is not valid."))


def handle_domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
    extra = dict(exc.extra)
    fields = getattr(exc, "fields", None)
    message = exc.message
    if fields and message is exc.default_message:
        message = _summary(fields, message)
    response = error_response(exc.status, exc.code, message, fields, **extra)
    if isinstance(exc, NotAuthenticated):
        response["WWW-Authenticate"] = 'Bearer realm="api"'
    if isinstance(exc, TooManyRequests):
        response["Retry-After"] = str(exc.retry_after)
    return response


def handle_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    """ninja's own HttpErrors: an unreadable body, no credentials, a throttle."""
    if isinstance(exc.__cause__, DomainError):
        # The body parser refused what the body holds (core.api.parser); ninja wrapped it.
        return handle_domain_error(request, exc.__cause__)
    if isinstance(exc, AuthenticationError) or exc.status_code == 401:
        return handle_domain_error(request, NotAuthenticated())
    if isinstance(exc, Throttled):
        # ninja adds Retry-After to this response itself.
        return error_response(429, "throttled", _("Too many requests. Try again later."))
    if exc.status_code == 400:
        return error_response(400, "invalid", _("The request body is not valid JSON."))
    if exc.status_code == 403:
        return handle_domain_error(request, CsrfFailed())
    return error_response(exc.status_code, "error", exc.message)


def handle_not_found(request: HttpRequest, exc: Exception) -> HttpResponse:
    return error_response(404, "not_found", _("Not found."))


def handle_permission_denied(request: HttpRequest, exc: Exception) -> HttpResponse:
    return error_response(403, "forbidden", _("You do not have permission to do this."))


def too_large() -> HttpResponse:
    """413: the body is over DATA_UPLOAD_MAX_MEMORY_SIZE (the request guard, or Django reading it)."""
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    return error_response(
        413, "too_large", _("The request body is larger than %(limit)d bytes.") % {"limit": limit}
    )


def handle_too_large(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
    return too_large()


def outage_retry_after() -> str:
    """Retry-After while the database does not answer: when this process will ask it again."""
    return str(math.ceil(settings.KEFU_DB_RETRY_SECONDS))


def handle_unreadable(request: HttpRequest, exc: Exception) -> HttpResponse:
    """A request Django itself refuses to read: too many fields, a broken multipart body."""
    return error_response(400, "invalid", _("The request cannot be read."))


def handle_unavailable(request: HttpRequest, exc: Exception) -> HttpResponse:
    """The database does not answer (down, restarting, or this process waits before asking again)."""
    logger.warning("database unavailable in %s %s: %s", request.method, request.path, exc)
    response = error_response(
        503,
        "unavailable",
        _("The service is briefly unavailable. Nothing was saved; try again in a few seconds."),
    )
    response["Retry-After"] = outage_retry_after()
    return response


def handle_integrity_error(request: HttpRequest, exc: IntegrityError) -> HttpResponse:
    """A constraint caught what a service's checks did not (a race): a conflict, not a 500."""
    logger.warning("integrity error answered with 409: %s", exc)
    return error_response(409, "conflict", _("The change conflicts with another record. Reload and retry."))


def handle_unexpected(request: HttpRequest, exc: Exception) -> HttpResponse:
    logger.exception("unexpected error in %s %s", request.method, request.path, exc_info=exc)
    return error_response(500, "server_error", _("Something went wrong on our side. Try again later."))


def install(api) -> None:
    api.add_exception_handler(NinjaValidationError, handle_parse_error)
    api.add_exception_handler(ValidationError, handle_validation_error)
    api.add_exception_handler(DomainError, handle_domain_error)
    api.add_exception_handler(HttpError, handle_http_error)
    api.add_exception_handler(Http404, handle_not_found)
    api.add_exception_handler(DjangoPermissionDenied, handle_permission_denied)
    api.add_exception_handler(IntegrityError, handle_integrity_error)
    api.add_exception_handler(OperationalError, handle_unavailable)
    api.add_exception_handler(InterfaceError, handle_unavailable)
    api.add_exception_handler(RequestDataTooBig, handle_too_large)
    api.add_exception_handler(SuspiciousOperation, handle_unreadable)
    api.add_exception_handler(MultiPartParserError, handle_unreadable)
    api.add_exception_handler(UnreadablePostError, handle_unreadable)
    api.add_exception_handler(Exception, handle_unexpected)


# --- Documentation ---------------------------------------------------------------------------

ERROR_DESCRIPTIONS = {
    400: "Malformed request: a field of the wrong type, a missing field, a bad header.",
    401: "No credentials, or a token that is unknown, revoked or expired.",
    403: "The caller's role does not allow this (or a session without its CSRF token).",
    404: "No such record, or one the caller may not see.",
    409: "Conflict: a stale version (the body carries `current_version`) or a state that forbids it.",
    413: "The body is larger than the server accepts.",
    415: "The body is not JSON in UTF-8 (Content-Type: application/json).",
    422: "Valid JSON that breaks a business rule; `fields` names each field at fault.",
    429: "Too many attempts; wait the seconds in the Retry-After header.",
    503: "The database does not answer; nothing was saved. Retry after the seconds in Retry-After.",
}


def errors(*statuses: int) -> dict[int, type[Error]]:
    """The error statuses an operation returns, for its `response=` map (401 always)."""
    result: dict[int, type[Error]] = {401: Error}
    for status in statuses:
        result[status] = ConflictError if status == 409 else Error
    return dict(sorted(result.items()))
