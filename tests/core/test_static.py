"""Every asset is vendored and served by us: intranet users and the test browser have no internet."""

import re
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src" / "kefu"
STATIC = SRC / "static"
TEMPLATES = sorted(path for path in SRC.rglob("templates/**/*.html") if "static/vendor" not in str(path))
STATIC_TAG = re.compile(r"""{%\s*static\s+["']([^"']+)["']\s*%}""")
# A script, stylesheet, font or image fetched from another host (a CDN), with or without a scheme.
REMOTE_ASSET = re.compile(
    r"""<(?:script|link|img|iframe)\b[^>]*\b(?:src|href)\s*=\s*["']?(?:https?:)?//""", re.IGNORECASE
)
REMOTE_CSS = re.compile(r"""(?:@import|url\()\s*["']?(?:https?:)?//""", re.IGNORECASE)


def static_references(template: Path) -> list[str]:
    return STATIC_TAG.findall(template.read_text(encoding="utf-8"))


def test_base_template_loads_its_styles_and_scripts_from_our_static_files():
    references = static_references(SRC / "templates" / "base.html")

    assert any(ref.endswith(".css") for ref in references), references
    assert any(ref.endswith(".js") for ref in references), references


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda path: str(path.relative_to(SRC)))
def test_every_static_file_a_template_names_exists(template):
    missing = [ref for ref in static_references(template) if not (STATIC / ref).is_file()]

    assert missing == []


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda path: str(path.relative_to(SRC)))
def test_no_template_loads_anything_from_another_host(template):
    text = template.read_text(encoding="utf-8")

    assert REMOTE_ASSET.findall(text) == []
    assert REMOTE_CSS.findall(text) == []


def test_no_stylesheet_imports_anything_from_another_host():
    sheets = sorted(STATIC.rglob("*.css"))

    offenders = [str(path) for path in sheets if REMOTE_CSS.search(path.read_text(encoding="utf-8"))]
    assert offenders == []
