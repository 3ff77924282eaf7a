"""What a page's markup holds, for tests that make sure nothing runs that we did not ship.

The Content-Security-Policy allows scripts from our own files only, so every `<script` tag must
load a file (`src=`) or be a JSON data block; anything else is an inline script the browser
would block, or markup that got into the page from a record's text."""

import re

SCRIPT_TAG = re.compile(r"<script\b[^>]*>", re.IGNORECASE)
EVENT_HANDLER = re.compile(r"<[a-z][^>]*\son[a-z]+\s*=", re.IGNORECASE)
LOADS_A_FILE = re.compile(r"\ssrc\s*=", re.IGNORECASE)
JSON_DATA = re.compile(r"\stype\s*=\s*[\"']application/json[\"']", re.IGNORECASE)


def script_tags(html: str) -> list[str]:
    return SCRIPT_TAG.findall(html)


def inline_scripts(html: str) -> list[str]:
    """Every `<script` tag, whatever its attributes, that neither loads a file nor holds JSON data."""
    return [tag for tag in script_tags(html) if not LOADS_A_FILE.search(tag) and not JSON_DATA.search(tag)]


def event_handlers(html: str) -> list[str]:
    """Tags with an inline event handler attribute (onclick=, onerror= …)."""
    return EVENT_HANDLER.findall(html)
