"""The site's URLs and error handlers, with one page that fails: the 500 page's tests use it."""

from django.urls import path

from kefu.urls import handler400, handler403, handler404, handler500, urlpatterns  # noqa: F401


def boom(request):
    raise RuntimeError("a bug in a view")


# Before the API, whose catch-all answers every other address under /api/v1/.
urlpatterns = [path("api/v1/boom", boom), path("boom/", boom), *urlpatterns]
