"""One setting decides where absolute links point: KEFU_SITE_URL (KEFU_PUBLIC_URL its old name)."""

import os
import subprocess
import sys

from django.conf import settings as django_settings
from django.test import RequestFactory

from kefu.core.links import DEVELOPMENT_SITE, absolute_url


def test_the_site_address_wins_over_the_request(settings):
    settings.KEFU_SITE_URL = "https://kefu.example.com/"

    assert absolute_url("/t/abc/", RequestFactory().get("/")) == "https://kefu.example.com/t/abc/"


def test_without_it_a_request_gives_its_own_address_and_a_worker_the_development_one(settings):
    settings.KEFU_SITE_URL = ""

    assert absolute_url("/t/abc/", RequestFactory().get("/")) == "http://testserver/t/abc/"
    assert absolute_url("/tickets/1/") == f"{DEVELOPMENT_SITE}/tickets/1/"


def read_site_url(**environ: str) -> str:
    env = {k: v for k, v in os.environ.items() if k not in ("KEFU_SITE_URL", "KEFU_PUBLIC_URL")}
    code = "from django.conf import settings; print(settings.KEFU_SITE_URL)"
    result = subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {code}"],
        env={
            **env,
            **environ,
            "DJANGO_SETTINGS_MODULE": "kefu.settings",
            "PYTHONPATH": str(django_settings.REPO_DIR / "src"),
        },
        capture_output=True,
        text=True,
        check=True,
        cwd=django_settings.REPO_DIR,
    )
    return result.stdout.strip()


def test_the_old_name_is_still_read_and_the_new_one_wins():
    assert read_site_url(KEFU_PUBLIC_URL="https://old.example.com") == "https://old.example.com"
    both = read_site_url(KEFU_PUBLIC_URL="https://old.example.com", KEFU_SITE_URL="https://new.example.com")
    assert both == "https://new.example.com"
