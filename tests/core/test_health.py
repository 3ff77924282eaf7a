"""/healthz: what load balancers and the operations guide rely on (docs/operations.md)."""

import pytest
from django.db import connection
from django.db.utils import OperationalError

from kefu.core import health

pytestmark = pytest.mark.django_db


def test_healthz_answers_200_with_database_queue_and_version(client):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert body["ok"] is True
    assert body["version"]
    assert body["database"]["ok"] is True
    assert body["database"]["vendor"] == connection.vendor
    assert body["queue"]["ok"] is True
    assert {"backend", "pending", "worker_alive"} <= body["queue"].keys()


def test_healthz_needs_no_login_and_is_never_cached(client):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert "no-cache" in response["Cache-Control"]


def test_healthz_answers_503_in_json_when_the_database_is_down(client, monkeypatch):
    monkeypatch.setattr(health, "check_database", lambda: {"ok": False, "error": "OperationalError"})

    response = client.get("/healthz")

    assert response.status_code == 503
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert body["ok"] is False
    assert body["database"] == {"ok": False, "error": "OperationalError"}
    assert b"<html" not in response.content.lower()


def test_healthz_answers_503_when_the_queue_storage_is_down(client, monkeypatch):
    monkeypatch.setattr(health, "check_queue", lambda: {"ok": False, "error": "ConnectionError"})

    response = client.get("/healthz")

    assert response.status_code == 503
    assert response.json()["queue"]["ok"] is False


def test_check_database_reports_a_failing_connection_without_raising(monkeypatch):
    def broken_cursor(*args, **kwargs):
        raise OperationalError("connection refused")

    monkeypatch.setattr(connection, "cursor", broken_cursor)

    assert health.check_database() == {"ok": False, "error": "OperationalError"}


def test_healthz_is_not_redirected_to_https_in_production(client, settings):
    # The values settings.py sets when DEBUG is off (tests/core/test_settings.py checks them).
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_REDIRECT_EXEMPT = [r"^healthz$"]

    assert client.get("/healthz").status_code == 200
    assert client.get("/accounts/login/").status_code == 301
