"""Settings read from the environment (docs/operations.md), checked in fresh processes."""

import os
import re
import runpy
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SETTINGS = REPO / "src" / "kefu" / "settings.py"
# Variables a developer's shell or CI may have set, which each case below sets itself.
OWN_VARIABLES = (
    "DEBUG",
    "SECRET_KEY",
    "ALLOWED_HOSTS",
    "DATABASE_URL",
    "REDIS_URL",
    "CACHE_URL",
    "CACHE_KEY_PREFIX",
    "KEFU_VAR_DIR",
)


def clean_env(tmp_path, **values) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if key not in OWN_VARIABLES}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    # The browser tests set this in their process (Playwright); production never has it.
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    env["KEFU_VAR_DIR"] = str(tmp_path / "var")
    env.update(values)
    return env


def manage(tmp_path, *args, **env) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(REPO / "manage.py"), *args],
        env=clean_env(tmp_path, **env),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def production_env() -> dict[str, str]:
    return {"DEBUG": "0", "SECRET_KEY": secrets.token_urlsafe(50), "ALLOWED_HOSTS": "kefu.example.com"}


def load_settings(monkeypatch, tmp_path, **values) -> dict:
    """settings.py executed as a plain module with these variables, apart from Django's own settings."""
    for key in OWN_VARIABLES:
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("KEFU_VAR_DIR", str(tmp_path / "var"))
    for key, value in values.items():
        monkeypatch.setenv(key, value)
    return runpy.run_path(str(SETTINGS))


def test_production_settings_pass_the_deploy_check(tmp_path):
    result = manage(tmp_path, "check", "--deploy", "--fail-level", "WARNING", **production_env())

    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_debug_off_without_a_secret_key_refuses_to_start(tmp_path):
    result = manage(tmp_path, "check", DEBUG="0", ALLOWED_HOSTS="kefu.example.com")

    assert result.returncode != 0
    assert "SECRET_KEY must be set when DEBUG is off." in result.stderr


def test_the_default_sqlite_database_runs_in_wal_mode(tmp_path):
    code = (
        "from django.db import connection\n"
        "with connection.cursor() as cursor:\n"
        "    cursor.execute('PRAGMA journal_mode')\n"
        "    print(cursor.fetchone()[0])\n"
    )
    result = manage(tmp_path, "shell", "-c", code)

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "wal"
    assert (tmp_path / "var" / "kefu.sqlite3").exists()


def test_without_database_url_the_database_is_sqlite_under_the_var_dir(monkeypatch, tmp_path):
    settings = load_settings(monkeypatch, tmp_path)

    database = settings["DATABASES"]["default"]
    assert database["ENGINE"] == "django.db.backends.sqlite3"
    assert Path(database["NAME"]) == tmp_path / "var" / "kefu.sqlite3"
    assert "journal_mode=WAL" in database["OPTIONS"]["init_command"]
    assert database["OPTIONS"]["transaction_mode"] == "IMMEDIATE"
    assert settings["HUEY"]["huey_class"] == "huey.SqliteHuey"


def test_database_url_gives_postgresql_with_a_connection_pool(monkeypatch, tmp_path):
    settings = load_settings(
        monkeypatch,
        tmp_path,
        DATABASE_URL="postgresql://kefu:s3cret@db.internal:5433/kefu",
        DB_POOL_MAX="20",
    )

    database = settings["DATABASES"]["default"]
    # Django's PostgreSQL backend, failing fast while the database is down.
    assert database["ENGINE"] == "kefu.core.db.postgresql"
    assert (database["HOST"], database["PORT"], database["NAME"]) == ("db.internal", 5433, "kefu")
    assert database["OPTIONS"]["connect_timeout"] == 3
    assert (database["USER"], database["PASSWORD"]) == ("kefu", "s3cret")
    assert database["OPTIONS"]["pool"] == {"min_size": 2, "max_size": 20, "timeout": 5.0}
    # Django refuses a pool together with persistent connections.
    assert database["CONN_MAX_AGE"] == 0


def test_redis_url_moves_the_queue_to_redis(monkeypatch, tmp_path):
    settings = load_settings(monkeypatch, tmp_path, REDIS_URL="redis://queue.internal:6379/2")

    assert settings["HUEY"]["huey_class"] == "huey.RedisHuey"
    assert settings["HUEY"]["url"] == "redis://queue.internal:6379/2"


def test_without_cache_url_the_cache_is_per_process(monkeypatch, tmp_path):
    settings = load_settings(monkeypatch, tmp_path, REDIS_URL="redis://queue.internal:6379/2")

    assert "CACHES" not in settings  # Django's default: its in-memory cache


def test_cache_url_shares_the_cache_through_redis(monkeypatch, tmp_path):
    settings = load_settings(monkeypatch, tmp_path, CACHE_URL="redis://cache.internal:6379/3")

    assert settings["CACHES"]["default"]["BACKEND"] == "django.core.cache.backends.redis.RedisCache"
    assert settings["CACHES"]["default"]["LOCATION"] == "redis://cache.internal:6379/3"
    assert settings["CACHES"]["default"]["KEY_PREFIX"] == "kefu"


@pytest.mark.parametrize("value", ["0", "false", "no", "off"])
def test_debug_off_turns_on_secure_cookies_and_hsts(monkeypatch, tmp_path, value):
    settings = load_settings(monkeypatch, tmp_path, DEBUG=value, SECRET_KEY=secrets.token_urlsafe(50))

    assert settings["DEBUG"] is False
    assert settings["SESSION_COOKIE_SECURE"] is True
    assert settings["CSRF_COOKIE_SECURE"] is True
    assert settings["SECURE_HSTS_SECONDS"] > 0
    assert settings["SECURE_SSL_REDIRECT"] is True
    assert settings["SECURE_REDIRECT_EXEMPT"] == [r"^healthz$"]


def test_the_operations_guide_names_every_variable_settings_reads():
    read = set(re.findall(r"""(?:environ\.get|env_bool|env_list)\(\s*"([A-Z_]+)\"""", SETTINGS.read_text()))
    guide = (REPO / "docs" / "operations.md").read_text(encoding="utf-8")

    assert read, "no variable found: the pattern above no longer matches settings.py"
    assert sorted(name for name in read if f"`{name}`" not in guide) == []


def test_the_lockout_trusts_no_proxy_and_locks_an_address_at_thirty_failures_by_default(
    monkeypatch, tmp_path
):
    monkeypatch.delenv("TRUSTED_PROXY_COUNT", raising=False)
    monkeypatch.delenv("LOGIN_ADDRESS_FAILURE_LIMIT", raising=False)
    settings = load_settings(monkeypatch, tmp_path)

    assert settings["TRUSTED_PROXY_COUNT"] == 0
    assert settings["LOGIN_ADDRESS_FAILURE_LIMIT"] == 30
    assert settings["AXES_CLIENT_IP_CALLABLE"] == "kefu.core.clientip.client_ip"
    assert settings["AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT"] is False


def test_the_proxy_count_and_the_address_limit_come_from_the_environment(monkeypatch, tmp_path):
    settings = load_settings(
        monkeypatch, tmp_path, TRUSTED_PROXY_COUNT="2", LOGIN_ADDRESS_FAILURE_LIMIT="100"
    )

    assert (settings["TRUSTED_PROXY_COUNT"], settings["LOGIN_ADDRESS_FAILURE_LIMIT"]) == (2, 100)


@pytest.mark.parametrize(
    ("name", "value"), [("TRUSTED_PROXY_COUNT", "-1"), ("LOGIN_ADDRESS_FAILURE_LIMIT", "0")]
)
def test_a_lockout_setting_out_of_range_refuses_to_start(monkeypatch, tmp_path, name, value):
    with pytest.raises(RuntimeError, match=name):
        load_settings(monkeypatch, tmp_path, **{name: value})
