"""The first thing a keyboard reaches on every page is a link that jumps to the content."""

from html.parser import HTMLParser

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


class _Focusables(HTMLParser):
    """The page's focusable elements in document order, and the ids its elements carry."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.focusable: list[dict[str, str]] = []
        self.ids: dict[str, str] = {}
        self._text_of: dict[str, str] | None = None

    def handle_starttag(self, tag: str, attrs: list) -> None:
        attr = {name: value or "" for name, value in attrs}
        attr["tag"] = tag
        if "id" in attr:
            self.ids[attr["id"]] = tag
        hidden = attr.get("type") == "hidden" or "disabled" in attr
        tabbable = attr.get("tabindex", "0") != "-1"
        if (
            tabbable
            and not hidden
            and (
                (tag == "a" and "href" in attr) or tag in ("button", "input", "select", "textarea", "summary")
            )
        ):
            attr["text"] = ""
            self.focusable.append(attr)
            self._text_of = attr if tag == "a" else None

    def handle_data(self, data: str) -> None:
        if self._text_of is not None:
            self._text_of["text"] += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "a":
            self._text_of = None


def first_focusable(html: str) -> tuple[dict[str, str], dict[str, str]]:
    reader = _Focusables()
    reader.feed(html)
    return reader.focusable[0], reader.ids


@pytest.mark.parametrize("path", [reverse("core:home"), reverse("customers:search"), "/no-such-page/"])
def test_the_first_focusable_element_skips_to_the_main_content(agent_client, path):
    first, ids = first_focusable(agent_client.get(path).content.decode())

    assert first["tag"] == "a"
    assert first["text"].strip() == "跳到正文"
    assert first["href"] == "#main"
    assert ids["main"] == "main"


def test_the_sign_in_page_has_the_skip_link_too(client):
    first, ids = first_focusable(client.get(reverse("accounts:login")).content.decode())

    assert first["href"] == "#main"
    assert ids["main"] == "main"


def test_the_skip_link_reads_in_english_for_a_reader_of_english(agent_client, settings):
    agent_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"

    first, _ids = first_focusable(agent_client.get(reverse("core:home")).content.decode())

    assert first["text"].strip() == "Skip to content"
