from django.contrib.auth.decorators import login_required
from django.core.exceptions import BadRequest
from django.http import HttpRequest, HttpResponseServerError, JsonResponse
from django.shortcuts import render
from django.template import loader
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import requires_csrf_token
from django.views.decorators.http import require_GET

from kefu.core import workbench
from kefu.core.api.errors import error_response, handle_not_found, handle_permission_denied
from kefu.core.health import health
from kefu.core.middleware import API_PREFIX
from kefu.core.web import page_layout


@require_GET
@never_cache
def healthz(request):
    """Database and queue status for load balancers: 200 when both answer, 503 otherwise."""
    report = health()
    return JsonResponse(report, status=200 if report["ok"] else 503)


@login_required
def home(request):
    """The start page: the panels of work that the apps registered and the user's rights allow."""
    return render(request, "core/home.html", {"panels": workbench.panels_for(request)})


def _is_api(request: HttpRequest) -> bool:
    return request.path.startswith(API_PREFIX)


def bad_request(request, exception):
    """The 400 page in the site's frame, saying what was wrong when we know it."""
    reason = str(exception) if isinstance(exception, BadRequest) else ""
    return render(request, "400.html", {"reason": reason, "layout": page_layout(request)}, status=400)


@requires_csrf_token
def permission_denied(request, exception):
    """403: the API's error shape under /api/, otherwise the page in the site's frame."""
    if _is_api(request):
        return handle_permission_denied(request, exception)
    return render(request, "403.html", {"layout": page_layout(request)}, status=403)


@requires_csrf_token
def page_not_found(request, exception):
    """404: the API's error shape under /api/, otherwise the page with the search box."""
    if _is_api(request):
        return handle_not_found(request, exception)
    return render(request, "404.html", {"layout": page_layout(request)}, status=404)


def server_error(request):
    """500: rendered without the request's context (nothing that may have failed is asked again)."""
    if _is_api(request):
        return error_response(500, "server_error", _("Something went wrong on our side. Try again later."))
    return HttpResponseServerError(loader.get_template("500.html").render())
