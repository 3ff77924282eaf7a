"""The customer's pages: no login, a signed link or the public request form."""

from django.urls import path  # noqa: F401

app_name = "portal"
urlpatterns: list = []
