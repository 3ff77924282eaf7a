from django.contrib import admin
from django.urls import include, path

from kefu.api import api
from kefu.core import views as core_views

urlpatterns = [
    path("", include("kefu.core.urls")),
    path("accounts/", include("kefu.accounts.urls")),
    path("customers/", include("kefu.customers.urls")),
    path("tickets/", include("kefu.tickets.urls")),
    path("notifications/", include("kefu.notifications.urls")),
    path("promises/", include("kefu.promises.urls")),
    path("figures/", include("kefu.insights.urls")),
    path("complaints/", include("kefu.complaints.urls")),
    path("t/", include("kefu.tickets.urls_portal")),
    path("feedback/", include("kefu.feedback.urls")),
    path("s/", include("kefu.feedback.urls_public")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/v1/", api.urls),
    path("admin/", admin.site.urls),
    path("healthz", core_views.healthz, name="healthz"),
]

handler400 = "kefu.core.views.bad_request"
handler403 = "kefu.core.views.permission_denied"
handler404 = "kefu.core.views.page_not_found"
handler500 = "kefu.core.views.server_error"
