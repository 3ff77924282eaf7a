"""A database outage is answered 503 at once, in the API's shape or as a page, and the process
stops asking the database for a few seconds instead of stalling every request."""

import json
import os
import subprocess
import sys
from pathlib import Path

from kefu.core.db.postgresql.base import Breaker

REPO = Path(__file__).resolve().parents[2]

# Runs in its own process: the settings read DATABASE_URL once, at start.
OUTAGE = r"""
import json, os, sys
sys.path.insert(0, "src")
os.environ["DJANGO_SETTINGS_MODULE"] = "kefu.settings"
import django
django.setup()
import psycopg_pool
from django.test import Client

asked = []
getconn = psycopg_pool.ConnectionPool.getconn
def counting_getconn(self, *args, **kwargs):
    asked.append(1)
    return getconn(self, *args, **kwargs)
psycopg_pool.ConnectionPool.getconn = counting_getconn

client = Client(raise_request_exception=False)
client.cookies["sessionid"] = "a-session-that-needs-the-database"
answers = []
for path in ["/api/v1/users/me", "/api/v1/customers", "/customers/", "/healthz"]:
    response = client.get(path, HTTP_AUTHORIZATION="Bearer kf_x" if path.startswith("/api/") else "")
    answers.append({
        "path": path,
        "status": response.status_code,
        "type": response["Content-Type"],
        "retry_after": response.get("Retry-After"),
        "body": response.content.decode()[:2000],
    })
print(json.dumps({"answers": answers, "asked": len(asked)}))
"""


def test_an_unreachable_database_is_answered_503_at_once_and_asked_only_once():
    env = {
        **os.environ,
        "DATABASE_URL": "postgresql://kefu@127.0.0.1:1/kefu",  # nothing listens on port 1
        "DB_POOL_TIMEOUT": "0.5",
        "DB_RETRY_SECONDS": "60",
        "DEBUG": "1",
    }
    env.pop("REDIS_URL", None)
    done = subprocess.run(
        [sys.executable, "-c", OUTAGE], cwd=REPO, env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    api_me, api_list, page, health = result["answers"]

    for answer in (api_me, api_list):
        assert answer["status"] == 503, answer
        assert answer["type"].startswith("application/json")
        assert json.loads(answer["body"])["code"] == "unavailable"
        assert answer["retry_after"] == "60"
    assert page["status"] == 503, page
    assert page["type"].startswith("text/html")
    assert page["retry_after"] == "60"
    assert health["status"] == 503
    # One request found out; the others were answered without waiting for the pool.
    assert result["asked"] == 1


def test_the_breaker_stays_open_for_its_seconds_then_lets_one_request_try():
    now = [100.0]
    breaker = Breaker(clock=lambda: now[0])
    assert not breaker.is_open()

    breaker.trip(5)
    now[0] += 4.9
    assert breaker.is_open()
    now[0] += 0.2
    assert not breaker.is_open()

    breaker.trip(5)
    breaker.reset()
    assert not breaker.is_open()
