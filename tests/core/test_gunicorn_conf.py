"""gunicorn.conf.py: the master loads, before the workers fork, what each worker would otherwise
load while answering its first requests, and touches no database doing so."""

import runpy
import types

from django.conf import settings

from kefu.tickets import search

CONF = runpy.run_path(str(settings.REPO_DIR / "gunicorn.conf.py"))


def master(*, preload: bool):
    return types.SimpleNamespace(cfg=types.SimpleNamespace(preload_app=preload))


def test_the_production_settings_preload_the_application():
    assert CONF["preload_app"] is True
    assert CONF["workers"] >= 1


def test_the_master_loads_jiebas_dictionary_before_the_fork_without_a_query(monkeypatch):
    # No django_db mark: pytest-django refuses any database access here, as the fork requires.
    monkeypatch.setattr(search, "_tokenizer", None)
    search._cached_words.cache_clear()
    CONF["when_ready"](master(preload=True))
    assert search._tokenizer is not None


def test_without_preloading_the_master_loads_nothing(monkeypatch):
    monkeypatch.setattr(search, "_tokenizer", None)
    search._cached_words.cache_clear()
    CONF["when_ready"](master(preload=False))
    assert search._tokenizer is None
