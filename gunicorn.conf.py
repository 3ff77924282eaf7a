"""gunicorn settings for production (Procfile: `gunicorn --config gunicorn.conf.py kefu.wsgi`).

Each value can be overridden by an environment variable, listed in docs/operations.md.
"""

import os

pythonpath = "src"
bind = os.environ.get("GUNICORN_BIND", f"0.0.0.0:{os.environ.get('PORT', '8000')}")
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
# One thread per worker (gunicorn's sync worker): once a request costs a few milliseconds of
# Python, threads that share a process's interpreter cost more than the waits on PostgreSQL they
# fill (decision 0041, docs/benchmarks.md). More than 1: gunicorn's gthread worker. Scale with
# WEB_CONCURRENCY; put a buffering proxy (nginx) in front, as gunicorn's sync worker wants.
threads = int(os.environ.get("GUNICORN_THREADS", "1"))
# A request that takes longer than this is stuck: the worker is replaced.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = 20
keepalive = 5
# Recycle workers now and then so that a slow leak never reaches the memory limit.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "5000"))
max_requests_jitter = 500
# Load the application once in the master; workers fork from it and start faster.
preload_app = True
accesslog = "-"
errorlog = "-"
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")


def when_ready(server):
    """In the master, after the preloaded application is imported and before any worker forks:
    load what each worker would otherwise load while answering its first requests, so that every
    worker, and every replacement after max_requests, starts with it (copy-on-write pages).

    - jieba's dictionary (tickets' search rows are cut with it on every ticket write): about a
      second of CPU and 50 MB per process otherwise; and the sorted words the search looks a
      Chinese prefix up in (half a second);
    - the URL patterns and the catalogue of the default language.

    Nothing here touches the database: a connection (or psycopg's pool and its threads) opened
    before the fork would be shared by the workers.
    """
    if not server.cfg.preload_app:
        return
    from django.conf import settings
    from django.urls import resolve
    from django.utils import translation

    from kefu.tickets.search import prefix_words, text_words

    text_words("空调不制冷")  # cutting a text loads the dictionary
    prefix_words("空调")  # and a prefix its sorted words
    resolve("/api/v1/tickets")
    with translation.override(settings.LANGUAGE_CODE):
        translation.gettext("Open a ticket")
