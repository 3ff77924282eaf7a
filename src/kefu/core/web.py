"""What every UI view needs, whatever its app: the domain errors as pages, the permission check,
and whether htmx asked for a part of the page.

One mapping turns every `core.errors.DomainError` into what the user sees (`refusal`): the status
the API would answer (InvalidRequest 400, PermissionDenied 403, NotFound 404, Conflict and
StaleVersion 409, a broken rule 422, TooManyRequests 429 with Retry-After) and the error's
translated message, in the site's frame; an htmx request gets the same words as a fragment for
the element it targets. A service's ValidationError that no form of the view shows is a broken
rule (422) with its words, as in the API. Views say they rely on it with `@domain_errors`;
`DomainErrorMiddleware` answers the same for a view that forgot, so a domain error is never a
server error page.
"""

from functools import wraps
from urllib.parse import urlsplit

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _

from kefu.core import errors

# The page for each status. 400, 403 and 404 are the site's own pages (Django's handlers render
# them too), so a record that is not there reads like a page that is not there.
PAGES = {400: "400.html", 403: "403.html", 404: "404.html"}
REFUSAL_PAGE = "refusal.html"
REFUSAL_FRAGMENT = "includes/refusal.html"
# htmx swaps an answer with this header even though its status is 4xx (static/kefu/kefu.js).
REFUSAL_HEADER = "X-Kefu-Refusal"

HEADINGS = {
    400: _("This request cannot be handled"),
    403: _("Your role does not allow this"),
    404: _("This page does not exist"),
    409: _("This cannot be done now"),
    422: _("This breaks a business rule"),
    429: _("Too many requests"),
}


def is_htmx(request: HttpRequest, target: str | None = None) -> bool:
    """htmx sent the request (for the element `target`, when given): answer with a fragment."""
    if request.headers.get("HX-Request") != "true":
        return False
    return target is None or request.headers.get("HX-Target") == target


def require_perm(user, perm: str) -> None:
    """Refuse (403) a user without the model permission `perm` ("customers.add_customer")."""
    if not user.has_perm(perm):
        raise PermissionDenied


def page_layout(request: HttpRequest) -> str:
    """The frame with the menu for a signed-in user, the plain one for everyone else."""
    user = getattr(request, "user", None)
    return "base.html" if user is not None and user.is_authenticated else "base_plain.html"


def reload_url(request: HttpRequest) -> str:
    """The page to load again after a conflict: the page itself for a GET; for a form's POST, the
    page the form was on (htmx's HX-Current-URL, else the Referer) when it is this site's."""
    if request.method in ("GET", "HEAD"):
        return request.path
    page = request.headers.get("HX-Current-URL") or request.headers.get("Referer") or ""
    if page and url_has_allowed_host_and_scheme(page, allowed_hosts={request.get_host()}):
        parts = urlsplit(page)
        return parts.path + (f"?{parts.query}" if parts.query else "")
    return ""


def refusal(request: HttpRequest, error: errors.DomainError) -> HttpResponse:
    """The answer to a request that a service or selector refused: its status, its words."""
    context = {
        "layout": page_layout(request),
        "status": error.status,
        "heading": HEADINGS.get(error.status, HEADINGS[422]),
        "message": error.message,
        # 400.html shows `reason`; a conflict offers to load the record again.
        "reason": error.message,
        "reload_url": reload_url(request) if error.status == 409 else "",
    }
    if is_htmx(request):
        response = render(request, REFUSAL_FRAGMENT, context, status=error.status)
        response[REFUSAL_HEADER] = "1"
    else:
        response = render(request, PAGES.get(error.status, REFUSAL_PAGE), context, status=error.status)
    if isinstance(error, errors.TooManyRequests):
        response["Retry-After"] = str(error.retry_after)
    return response


def domain_errors(view):
    """The view's DomainErrors (NotFound, PermissionDenied, Conflict …) become their pages."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except errors.DomainError as error:
            return refusal(request, error)
        except ValidationError as error:
            # A service's refusal that no form of the view shows: a broken rule (422), its
            # words, as the API answers it (core/api/errors.py).
            return refusal(request, errors.DomainError(" ".join(error.messages)))

    return wrapper


class DomainErrorMiddleware:
    """The same answer for a view without `@domain_errors`. The API answers its own errors in
    JSON (core/api/errors.py) before they reach any middleware."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, errors.DomainError):
            return refusal(request, exception)
        return None
