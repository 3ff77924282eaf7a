"""The public REST API at /api/v1/ (API.md): one NinjaAPI, one router per app.

Schema at /api/v1/openapi.json, docs page at /api/v1/docs (Swagger UI from ninja's own
static files, so it works offline and under our script-src 'self' policy).
"""

from kefu.accounts.api import router as accounts_router
from kefu.accounts.auth import TokenAuth
from kefu.complaints.api import router as complaints_router
from kefu.core.api import KefuAPI
from kefu.core.api.auth import SessionAuth
from kefu.customers.api import router as customers_router
from kefu.feedback.api import router as surveys_router
from kefu.feedback.api_followups import router as follow_ups_router
from kefu.insights.api import router as insights_router
from kefu.notifications.api import router as notifications_router
from kefu.promises.api import router as promises_router
from kefu.promises.api_figures import router as promise_figures_router
from kefu.tickets.api import router as tickets_router
from kefu.tickets.api_portal import router as portal_router

api = KefuAPI(
    title="Kefu API",
    version="1",
    description=(
        "The public API of Kefu (客服). Conventions: docs/api.md. Authenticate with "
        "`Authorization: Bearer <token>` (POST /api/v1/auth/tokens) or the UI's session and CSRF token."
    ),
    urls_namespace="api",
    auth=[TokenAuth(), SessionAuth()],
)
api.add_router("/", accounts_router)
api.add_router("/", customers_router)
api.add_router("/", tickets_router)
api.add_router("/", notifications_router)
api.add_router("/", promises_router)
api.add_router("/", portal_router)
api.add_router("/", promise_figures_router)
api.add_router("/", complaints_router)
api.add_router("/", surveys_router)
api.add_router("/", follow_ups_router)
api.add_router("/", insights_router)
