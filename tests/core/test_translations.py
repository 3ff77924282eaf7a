"""Simplified Chinese is the default language: every string the code marks must be translated."""

import shutil
import subprocess
import sys
from pathlib import Path

import polib
from django.conf import settings
from django.utils import translation

CATALOGUE = settings.BASE_DIR / "locale" / "zh_Hans" / "LC_MESSAGES"


def entries(po: polib.POFile) -> set[tuple[str | None, str]]:
    return {(entry.msgctxt, entry.msgid) for entry in po if not entry.obsolete}


def test_every_entry_of_the_chinese_catalogue_is_translated():
    po = polib.pofile(str(CATALOGUE / "django.po"))
    assert [entry.msgid for entry in po.untranslated_entries()] == []
    assert [entry.msgid for entry in po.fuzzy_entries()] == []


def test_the_compiled_catalogue_matches_the_source():
    po = polib.pofile(str(CATALOGUE / "django.po"))
    mo = polib.mofile(str(CATALOGUE / "django.mo"))
    compiled = {(entry.msgctxt, entry.msgid): entry.msgstr or entry.msgstr_plural.get(0) for entry in mo}
    written = {(e.msgctxt, e.msgid): e.msgstr or e.msgstr_plural.get(0) for e in po if not e.obsolete}
    assert compiled == written, "run `make messages` to compile the catalogue"


def test_the_catalogue_holds_every_string_the_code_marks(tmp_path):
    """makemessages over a copy of the code finds no string that the catalogue lacks."""
    assert shutil.which("xgettext"), "GNU gettext is missing: `make test` installs it"
    copy = tmp_path / "kefu"
    shutil.copytree(settings.BASE_DIR, copy, ignore=shutil.ignore_patterns("vendor", "__pycache__"))
    subprocess.run(
        [
            sys.executable,
            str(Path(settings.REPO_DIR) / "manage.py"),
            "makemessages",
            "-l",
            "zh_Hans",
            "--no-obsolete",
            "--ignore",
            "static/*",
        ],
        cwd=copy,
        check=True,
        capture_output=True,
    )
    extracted = entries(polib.pofile(str(copy / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po")))
    committed = entries(polib.pofile(str(CATALOGUE / "django.po")))
    assert sorted(extracted - committed, key=str) == [], "run `make messages` and translate the new strings"


def test_chinese_is_the_default_and_english_is_the_second_language():
    assert settings.LANGUAGE_CODE == "zh-hans"
    with translation.override("zh-hans"):
        assert translation.gettext("Customers") == "客户"
    with translation.override("en"):
        assert translation.gettext("Customers") == "Customers"


def test_shipped_categories_read_in_the_readers_language(db):
    from kefu.customers.models import ProductCategory

    phone = ProductCategory.objects.get(code="phone")
    assert phone.name == "Phone"  # stored in the source language
    with translation.override("zh-hans"):
        assert phone.label == "手机"  # a category, not a phone call (电话)
    with translation.override("en"):
        assert phone.label == "Phone"
