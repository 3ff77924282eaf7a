"""What every request meets before a view: the hygiene checks, and the headers every answer carries."""

from django.conf import settings
from django.core.exceptions import BadRequest, TooManyFieldsSent
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse
from django.http.multipartparser import MultiPartParser
from django.shortcuts import render
from django.utils.http import parse_header_parameters
from django.utils.translation import gettext as _

from kefu.core.api.errors import error_response, outage_retry_after, too_large
from kefu.core.api.parser import NUL

DEFAULT_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self' data:; connect-src 'self'; "
    "frame-ancestors 'none'; base-uri 'self'; form-action 'self'"
)
API_PREFIX = "/api/"
BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})
JSON = "application/json"
MULTIPART = "multipart/form-data"


class ContentSecurityPolicyMiddleware:
    """Scripts only from our own origin: every asset is vendored, nothing comes from a CDN."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.policy = getattr(settings, "KEFU_CSP", DEFAULT_POLICY)

    def __call__(self, request):
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", self.policy)
        return response


class NoStoreMiddleware:
    """Answers meant for one person (a request with a session, an answer that starts one) and
    every API answer are never kept by a cache.

    They carry personal data (a customer's record, the caller's tokens): a shared proxy or the
    browser's back button must not hand them to the next person at the desk. The test reads
    only the request's cookies, never the session itself, so it costs nothing and works while
    the database is down.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        personal = (
            request.path.startswith(API_PREFIX)
            or settings.SESSION_COOKIE_NAME in request.COOKIES
            or bool(response.cookies)
        )
        if personal and "Cache-Control" not in response:
            response["Cache-Control"] = "no-store, private"
        return response


def _refusal(request: HttpRequest, status: int, code: str, message: str, field: str | None = None):
    """The answer to a request refused here: the API's error shape, or the 400 page for the UI."""
    if request.path.startswith(API_PREFIX):
        return error_response(status, code, message, {field: [message]} if field else None)
    raise BadRequest(message)


class RequestHygieneMiddleware:
    """Refuses, before any view runs, the classes of malformed request that no view should meet.

    - Any page: a NUL character in the query string (PostgreSQL cannot store or compare it).
    - The API: a body larger than DATA_UPLOAD_MAX_MEMORY_SIZE, or a multipart body (files)
      larger than KEFU_MULTIPART_MAX_BYTES (413); a body that is not JSON
      in UTF-8 or multipart with a valid boundary (415); a multipart type without a boundary
      (400), which would otherwise break whatever reads the form data first.

    What a JSON body holds is checked by core.api.parser, field by field.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        refused = self._check_query(request)
        if refused is None and request.path.startswith(API_PREFIX) and request.method in BODY_METHODS:
            refused = self._check_api_body(request)
        return refused if refused is not None else self.get_response(request)

    def _check_query(self, request: HttpRequest) -> HttpResponse | None:
        try:
            items = list(request.GET.lists())
        except TooManyFieldsSent:
            return _refusal(request, 400, "invalid", _("The address has too many parameters."))
        for name, values in items:
            if "\x00" in name or any("\x00" in value for value in values):
                return _refusal(
                    request,
                    400,
                    "invalid",
                    str(NUL),
                    field=name.replace("\x00", ""),
                )
        return None

    def _check_api_body(self, request: HttpRequest) -> HttpResponse | None:
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return _refusal(request, 400, "invalid", _("The Content-Length header is not a number."))
        content_type, options = parse_header_parameters(request.META.get("CONTENT_TYPE", ""))
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        if content_type == MULTIPART:
            # Files (ticket attachments) come as multipart: their own, larger limit.
            limit = getattr(settings, "KEFU_MULTIPART_MAX_BYTES", limit)
        if limit is not None and length > limit:
            return too_large()  # only API bodies are checked here
        if content_type == MULTIPART:
            boundary = options.get("boundary", "")
            if not boundary or not MultiPartParser.boundary_re.fullmatch(boundary):
                return _refusal(request, 400, "invalid", _("A multipart body needs a valid boundary."))
            return None
        if length == 0:
            return None
        charset = options.get("charset", "utf-8").strip('"').lower()
        if content_type != JSON or charset not in ("utf-8", "utf8"):
            return _refusal(
                request,
                415,
                "unsupported_media_type",
                _("Send the body as JSON in UTF-8 (Content-Type: application/json)."),
            )
        return None


class DatabaseUnavailableMiddleware:
    """A page that cannot reach the database answers 503 at once, with Retry-After, rather than
    a 500: the load balancer and the person both learn to try again (the API answers the same
    in its own shape, core.api.errors)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, OperationalError | InterfaceError):
            return None
        response = render(request, "503.html", status=503)
        response["Retry-After"] = outage_retry_after()
        return response
