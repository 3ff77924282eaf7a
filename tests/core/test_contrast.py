"""Every text colour of the project's CSS passes WCAG AA (4.5:1) on the backgrounds it is shown on.

The pairs below are the ones the templates use. The test reads src/kefu/static/kefu/kefu.css
itself (custom properties resolved), so changing a colour there is checked here; a new rule that
sets a text colour must be added to PAIRS. Tabler's own classes that the templates use (light
badges, alerts, secondary text, placeholders) are overridden in kefu.css and checked the same way.
"""

import re
from pathlib import Path

import pytest

CSS = Path(__file__).resolve().parents[2] / "src/kefu/static/kefu/kefu.css"
AA = 4.5
SURFACE = (":root", "--kf-surface")  # cards, the top bar, menus: Tabler's white surface
PAGE = ("body", "background")
SIDEBAR = (".kf-sidebar", "background")


def on_itself(what: str, selector: str, text: str = "color", background: str = "background"):
    """A pair whose text and background the same rule sets (a badge, a button)."""
    return (what, (selector, text), [(selector, background)])


# (what, (selector, property of the text colour), background layers, bottom first)
PAIRS = [
    ("在保 (in warranty) on a card", (".kf-ok", "color"), [SURFACE]),
    ("过保 (expired) on a card", (".kf-bad", "color"), [SURFACE]),
    ("a grey status on a card", (".kf-grey", "color"), [SURFACE]),
    ("an open ticket's status on a card", (".kf-blue", "color"), [SURFACE]),
    ("a pending ticket's status on a card", (".kf-orange", "color"), [SURFACE]),
    ("a ticket's tag", (".kf-chip", "color"), [(".kf-chip", "background")]),
    ("a bouncing ticket's flag", (".kf-flag", "color"), [(".kf-flag", "background")]),
    ("a tab's count", (".kf-tab-count", "color"), [(".kf-tab-count", "background")]),
    ("a queue tab", (".kf-tab", "color"), [PAGE]),
    ("the current queue tab", ('.kf-tab[aria-current="page"]', "color"), [PAGE]),
    ("a more-actions link on a ticket", (".kf-disclosure-link > summary", "color"), [SURFACE]),
    ("a ticket's subject in a row", (".kf-subject", "color"), [SURFACE]),
    ("an internal note's badge", (".kf-note-badge", "color"), [(".kf-note-badge", "background")]),
    ("a note's time", (".kf-entry-meta time", "color"), [(".kf-entry-note", "background")]),
    ("a reply's time", (".kf-entry-meta time", "color"), [(".kf-entry-reply", "background")]),
    ("a customer's reply's time", (".kf-entry-meta time", "color"), [(".kf-entry-customer", "background")]),
    ("muted text on a card", (".kf-muted", "color"), [SURFACE]),
    ("muted text on the page background", (".kf-muted", "color"), [PAGE]),
    ("an error code on a card", (".kf-error-code", "color"), [SURFACE]),
    ("the VIP tier badge", (".kf-vip", "color"), [(".kf-vip", "background")]),
    ("the regular tier badge", (".kf-tier-regular", "color"), [(".kf-tier-regular", "background")]),
    on_itself("a product category badge (bg-blue-lt)", ".bg-blue-lt", background="background-color"),
    on_itself("the audited badge (bg-orange-lt)", ".bg-orange-lt", background="background-color"),
    ("a danger alert", (".alert-danger", "--tblr-alert-color"), [(".alert-danger", "background-color")]),
    ("a success alert", (".alert-success", "--tblr-alert-color"), [(".alert-success", "background-color")]),
    ("an info alert", (".alert-info", "--tblr-alert-color"), [(".alert-info", "background-color")]),
    ("a warning alert", (".alert-warning", "--tblr-alert-color"), [(".alert-warning", "background-color")]),
    ("Tabler's secondary text on a card", (":root", "--tblr-secondary"), [SURFACE]),
    ("Tabler's secondary text on the page", (":root", "--tblr-secondary"), [PAGE]),
    ("Tabler's muted text on the page", (":root", "--tblr-muted"), [PAGE]),
    ("a placeholder in a field", (".form-control::placeholder", "color"), [SURFACE]),
    ("the / key hint in the search box", (".kf-search kbd", "color"), [(".kf-search kbd", "background")]),
    ("fact labels on the 360° page", (".kf-facts dt", "color"), [SURFACE]),
    ("facts on the 360° page", (".kf-facts", "color"), [SURFACE]),
    ("times on the timeline", (".kf-timeline time", "color"), [SURFACE]),
    ("the skip link", (".kf-skip", "color"), [(".kf-skip", "background")]),
    ("the focused skip link", (".kf-skip:focus", "color"), [(".kf-skip", "background")]),
    ("the menu", (".kf-sidebar", "color"), [SIDEBAR]),
    ("the brand in the menu", (".kf-brand", "color"), [SIDEBAR]),
    ("the brand under the pointer", (".kf-brand:hover", "color"), [SIDEBAR]),
    ("the brand mark", (".kf-brand-mark", "color"), [(".kf-brand-mark", "background")]),
    (
        "a menu item under the pointer",
        (".kf-nav a:hover", "color"),
        [SIDEBAR, (".kf-nav a:hover", "background")],
    ),
    on_itself("the current menu item", '.kf-nav a[aria-current="page"]'),
    ("the language switch", (".kf-lang button", "color"), [(".kf-lang button", "background")]),
    (
        "the chosen language",
        ('.kf-lang button[aria-pressed="true"]', "color"),
        [('.kf-lang button[aria-pressed="true"]', "background")],
    ),
    ("the avatar's initial", (".kf-avatar", "color"), [(".kf-avatar", "background")]),
    ("the brand on a plain page", (".kf-plain-brand", "color"), [PAGE]),
    ("the brand on a plain page under the pointer", (".kf-plain-brand:hover", "color"), [PAGE]),
    ("the bell", (".kf-bell", "color"), [SURFACE]),
    ("the bell under the pointer", (".kf-bell:hover", "color"), [SURFACE, (".kf-bell:hover", "background")]),
    (
        "the bell on the notifications page",
        ('.kf-bell[aria-current="page"]', "color"),
        [SURFACE, ('.kf-bell[aria-current="page"]', "background")],
    ),
    on_itself("the bell's unread count", ".kf-bell-count"),
    (
        "an unread notification's title",
        (".kf-notification-open", "color"),
        [SURFACE, (".kf-notification.is-unread", "background")],
    ),
    (
        "muted text on an unread notification",
        (".kf-muted", "color"),
        [SURFACE, (".kf-notification.is-unread", "background")],
    ),
]

# Rules whose colour is not text to be read: an aria-hidden icon, and colours inherited.
NOT_TEXT = {".kf-search svg"}


def parse(css: str) -> list[tuple[list[str], dict[str, str]]]:
    """The top-level rules of `css` as (selectors, declarations); @media blocks are left out."""
    css = re.sub(r"/\*.*?\*/", "", css, flags=re.S)
    css = re.sub(r"@media[^{]*\{(?:[^{}]*\{[^{}]*\})*[^{}]*\}", "", css)
    rules = []
    for selectors, body in re.findall(r"([^{}]+)\{([^{}]*)\}", css):
        declarations = {}
        for declaration in body.split(";"):
            if ":" in declaration:
                name, value = declaration.split(":", 1)
                declarations[name.strip()] = value.replace("!important", "").strip()
        rules.append(([s.strip() for s in selectors.split(",")], declarations))
    return rules


RULES = parse(CSS.read_text())


def declared(selector: str, prop: str) -> str:
    """The value the last rule for exactly `selector` gives `prop`."""
    values = [decls[prop] for selectors, decls in RULES if selector in selectors and prop in decls]
    assert values, f"kefu.css sets no {prop} for {selector}"
    return values[-1]


def rgba(value: str) -> tuple[float, float, float, float]:
    """A colour of kefu.css as (r, g, b, alpha), custom properties resolved."""
    value = value.strip()
    if match := re.fullmatch(r"var\((--[\w-]+)\)", value):
        return rgba(declared(":root", match.group(1)))
    if match := re.fullmatch(r"#([0-9a-fA-F]{3}|[0-9a-fA-F]{6})", value):
        digits = match.group(1)
        if len(digits) == 3:
            digits = "".join(d * 2 for d in digits)
        return (*(int(digits[i : i + 2], 16) for i in (0, 2, 4)), 1.0)
    if match := re.fullmatch(r"rgba\(([\d.\s]+),([\d.\s]+),([\d.\s]+),([\d.\s]+)\)", value):
        return tuple(float(part) for part in match.groups())  # type: ignore[return-value]
    raise AssertionError(f"not a colour this test reads: {value!r}")


def over(layers: list[tuple[float, float, float, float]]) -> tuple[float, float, float]:
    """The colour seen where `layers` are painted over each other, bottom first."""
    r, g, b = 255.0, 255.0, 255.0
    for lr, lg, lb, alpha in layers:
        r, g, b = (lr * alpha + r * (1 - alpha), lg * alpha + g * (1 - alpha), lb * alpha + b * (1 - alpha))
    return r, g, b


def luminance(rgb: tuple[float, float, float]) -> float:
    def channel(value: float) -> float:
        value /= 255
        return value / 12.92 if value <= 0.04045 else ((value + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(v) for v in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(one: tuple[float, float, float], other: tuple[float, float, float]) -> float:
    light, dark = sorted((luminance(one), luminance(other)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def test_the_contrast_function_matches_known_ratios():
    assert contrast((0, 0, 0), (255, 255, 255)) == pytest.approx(21)
    assert contrast((255, 255, 255), (255, 255, 255)) == pytest.approx(1)
    # Before this check: Tabler's green 在保 was 3.45:1 on white, the old muted grey 4.47:1 on the page.
    assert contrast(over([rgba("#2f9e44")]), (255, 255, 255)) == pytest.approx(3.45, abs=0.01)
    assert contrast(over([rgba("#6b7280")]), over([rgba("#f4f6fa")])) == pytest.approx(4.47, abs=0.01)


@pytest.mark.parametrize(("what", "text", "background"), PAIRS, ids=[pair[0] for pair in PAIRS])
def test_text_passes_wcag_aa_on_its_background(what, text, background):
    back = over([rgba(declared(*layer)) for layer in background])
    fore = over([*(rgba(declared(*layer)) for layer in background), rgba(declared(*text))])

    ratio = contrast(fore, back)

    assert ratio >= AA, f"{what}: {ratio:.2f}:1"


def test_every_text_colour_in_the_css_is_checked():
    checked = {text[0] for _what, text, _background in PAIRS}
    unchecked = {
        selector
        for selectors, decls in RULES
        if decls.get("color", "inherit") not in ("inherit", "currentColor")
        for selector in selectors
        if selector not in checked | NOT_TEXT
    }
    assert not unchecked, f"add these rules' text colours to PAIRS: {sorted(unchecked)}"
