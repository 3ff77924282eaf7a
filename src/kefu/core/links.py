"""Absolute links: the one place that decides which address a link starts with.

settings.KEFU_SITE_URL (https://kefu.example.com) when set: the address people reach, whatever
proxy or host name the request came through. Unset: the request's own address while answering
one, else the development server's (a worker has no request to ask).
"""

from django.conf import settings

DEVELOPMENT_SITE = "http://127.0.0.1:8000"


def absolute_url(path: str, request=None) -> str:
    """`path` ("/t/abc/", "/tickets/42/") as a link that works from outside the site."""
    base = (getattr(settings, "KEFU_SITE_URL", "") or "").rstrip("/")
    if base:
        return base + path
    if request is not None:
        return request.build_absolute_uri(path)
    return DEVELOPMENT_SITE + path
