"""The project's URLs plus two views that raise a domain error, for tests/core/test_web.py."""

from django.urls import path

from kefu.core import errors
from kefu.core.web import domain_errors
from kefu.urls import urlpatterns as project_urlpatterns

RAISED = {
    "invalid": lambda: errors.InvalidRequest({"cursor": ["Not a cursor we issued."]}),
    "forbidden": lambda: errors.PermissionDenied(),
    "not_found": lambda: errors.NotFound(),
    "conflict": lambda: errors.Conflict(),
    "stale_version": lambda: errors.StaleVersion(current_version=7),
    "rule_broken": lambda: errors.DomainError(),
    "throttled": lambda: errors.TooManyRequests(retry_after=90),
}


@domain_errors
def decorated(request, kind):
    raise RAISED[kind]()


def undecorated(request, kind):
    raise RAISED[kind]()


urlpatterns = [
    *project_urlpatterns,
    path("refusals/<str:kind>/", decorated, name="refusal_decorated"),
    path("refusals-without-decorator/<str:kind>/", undecorated, name="refusal_undecorated"),
]
