"""The public REST API at /api/v1/ (API.md): one NinjaAPI, one router per app."""

from ninja import NinjaAPI

api = NinjaAPI(
    title="Kefu API",
    version="1",
    urls_namespace="api",
)
