from django.contrib.auth.decorators import login_required
from django.core.exceptions import BadRequest
from django.http import JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from kefu.core.health import health


@require_GET
@never_cache
def healthz(request):
    """Database and queue status for load balancers: 200 when both answer, 503 otherwise."""
    report = health()
    return JsonResponse(report, status=200 if report["ok"] else 503)


@login_required
def home(request):
    return render(request, "core/home.html")


def bad_request(request, exception):
    """The 400 page in the site's frame, saying what was wrong when we know it."""
    reason = str(exception) if isinstance(exception, BadRequest) else ""
    return render(request, "400.html", {"reason": reason}, status=400)
