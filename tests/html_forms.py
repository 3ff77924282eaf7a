"""What a browser would post for a form as the server rendered it: tests that submit a page
unchanged (or with one change) use this rather than rebuilding the fields by hand."""

from html.parser import HTMLParser


class _FormReader(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.inside = False
        self.forms: list[list[tuple[str, str]]] = []
        self.fields: list[tuple[str, str]] = []
        self._textarea: str | None = None
        self._select: str | None = None
        self._select_value: str | None = None
        self._first_option: str | None = None

    def handle_starttag(self, tag: str, attrs: list) -> None:
        attr = {name: value or "" for name, value in attrs}
        if tag == "form" and attr.get("method", "get").lower() == "post":
            self.inside = True
            self.fields = []
            self.forms.append(self.fields)
        if not self.inside or "disabled" in attr:
            return
        name = attr.get("name")
        if tag == "input" and name:
            kind = attr.get("type", "text").lower()
            if kind in ("checkbox", "radio") and "checked" not in attr:
                return
            if kind in ("submit", "button", "image", "file"):
                return
            default = "on" if kind in ("checkbox", "radio") else ""
            self.fields.append((name, attr.get("value", default)))
        elif tag == "textarea" and name:
            self._textarea, self._text = name, ""
        elif tag == "select" and name:
            self._select, self._select_value, self._first_option = name, None, None
        elif tag == "option" and self._select is not None:
            value = attr.get("value", "")
            if self._first_option is None:
                self._first_option = value
            if "selected" in attr:
                self._select_value = value

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            self._text += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "form" and self.inside:
            self.inside = False
        elif tag == "textarea" and self._textarea is not None:
            # A browser drops the one newline that may follow <textarea>.
            text = self._text[1:] if self._text.startswith("\n") else self._text
            self.fields.append((self._textarea, text))
            self._textarea = None
        elif tag == "select" and self._select is not None:
            value = self._select_value if self._select_value is not None else self._first_option
            if value is not None:
                self.fields.append((self._select, value))
            self._select = None


def posted_form(response) -> dict[str, str]:
    """The fields of the page's main POST form (the one with the most fields, not the log-out
    button of the frame), as a browser would send them."""
    reader = _FormReader()
    reader.feed(response.content.decode())
    return dict(max(reader.forms, key=len))
