"""The personal-data leak walk's two tools: recognising a full phone number however it is printed,
and walking a site like a person who clicks every link (tests/guards/test_personal_data.py).

Neither knows Kefu's pages or operations: the walk finds pages by following links from where it
starts, so a page is walked the day it is linked from the menu, the admin or another page.
"""

import re
from collections import deque
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit

import phonenumbers
from django.http import HttpResponse

from kefu.core.masking import mask_phone

# What people and formatters put between the digits of a number: spaces, dashes, dots, brackets.
SEPARATOR = r"[\s\-.()/\u00a0\u3000]{0,3}"


# --- Recognising numbers -------------------------------------------------------------------


@dataclass(frozen=True)
class KnownNumber:
    """A number the walk must never find printed in full where its viewer may not see it."""

    e164: str
    customer_id: int
    full: re.Pattern[str]
    local: re.Pattern[str] | None  # a landline's subscriber number, without its area code
    masked: str

    def __str__(self) -> str:
        return self.masked


def known_number(e164: str, customer_id: int) -> KnownNumber:
    """The patterns of every printed form of `e164`: E.164, with or without the country code or
    the trunk 0, grouped by spaces, dashes, dots or brackets, and a landline without its area code.

    The digits of the national significant number must appear in order, separators aside;
    a masked number (138****5678) never matches, since its stars are not separators.
    """
    parsed = phonenumbers.parse(e164, None)
    significant = phonenumbers.national_significant_number(parsed)
    digits = SEPARATOR.join(significant)
    full = re.compile(
        rf"(?P<international>(?:\+|00)?{parsed.country_code}{SEPARATOR})?\(?(?P<trunk>0{SEPARATOR})?{digits}"
    )
    area = phonenumbers.length_of_geographical_area_code(parsed)
    local = re.compile(SEPARATOR.join(significant[area:])) if area else None
    return KnownNumber(e164=e164, customer_id=customer_id, full=full, local=local, masked=mask_phone(e164))


@dataclass(frozen=True)
class Sighting:
    """A full number found in an answer, as it was printed there."""

    number: KnownNumber
    printed: str
    form: str

    def __str__(self) -> str:
        return f"{self.printed!r} ({self.form} of {self.number.masked})"


def _form(printed: str, *, international: bool, local: bool) -> str:
    separated = any(not char.isdigit() and char != "+" for char in printed)
    if local:
        name = "subscriber number without area code"
    elif re.fullmatch(r"\+\d+", printed):
        name = "E.164"
    elif international:
        name = "international form"
    else:
        name = "national digits"
    return f"{name} with separators" if separated else name


def full_numbers_in(text: str, numbers: Iterable[KnownNumber]) -> list[Sighting]:
    """Every distinct printed form of a full number in `text`."""
    found: dict[tuple[str, str], Sighting] = {}
    for number in numbers:
        rest = text
        for match in number.full.finditer(text):
            printed = match.group(0).strip()
            international = match.group("international") is not None
            form = _form(printed, international=international, local=False)
            found.setdefault((number.e164, printed), Sighting(number, printed, form))
            rest = rest.replace(match.group(0), " ")
        if number.local is not None:
            for match in number.local.finditer(rest):
                printed = match.group(0).strip()
                form = _form(printed, international=False, local=True)
                found.setdefault((number.e164, printed), Sighting(number, printed, form))
    return list(found.values())


# How the audit trail keeps a number (core.masking.redact_phone): masked, with a keyed tag. It
# is a record of a number, not a display of it, so nobody is meant to see it in full.
REDACTED_TAG = r" #[0-9a-f]{10}"


def masked_numbers_in(text: str, numbers: Iterable[KnownNumber]) -> list[KnownNumber]:
    """The numbers shown masked in `text` (a redacted audit record does not count)."""
    return [number for number in numbers if re.search(re.escape(number.masked) + f"(?!{REDACTED_TAG})", text)]


def leaks(
    text: str, numbers: Iterable[KnownNumber], *, may_see_full: bool, audited: Collection[int]
) -> list[Sighting]:
    """The full numbers in one answer that its viewer should not have been shown.

    Without a right to full numbers (`may_see_full`) every full number is a leak. With one, a
    full number is shown rightly only when the same request wrote a reveal row for its customer
    (`audited`: the ids of the customers it wrote one for).
    """
    found = full_numbers_in(text, numbers)
    if not may_see_full:
        return found
    return [sighting for sighting in found if sighting.number.customer_id not in audited]


# --- Finding links ---------------------------------------------------------------------------

VOID_ELEMENTS = frozenset(
    {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
)


@dataclass(frozen=True)
class Link:
    """A GET a person can make from a page: a plain link, or htmx's request for a partial."""

    url: str
    htmx_target: str | None = None  # None: a plain link; "": htmx without a target id

    @property
    def headers(self) -> dict[str, str]:
        if self.htmx_target is None:
            return {}
        headers = {"HX-Request": "true"}
        if self.htmx_target:
            headers["HX-Target"] = self.htmx_target
        return headers

    def __str__(self) -> str:
        if self.htmx_target is None:
            return f"GET {self.url}"
        return f"GET {self.url} (htmx, target #{self.htmx_target or '?'})"


class _LinkParser(HTMLParser):
    """`<a href>` and every element's `hx-get`, each htmx request with the id of its target
    (its own hx-target or the nearest ancestor's, as htmx inherits it)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[str, str | None]] = []
        self._open: list[tuple[str, str | None]] = []  # (tag, the hx-target in force inside it)

    def _target_in_force(self) -> str | None:
        return self._open[-1][1] if self._open else None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {name: value or "" for name, value in attrs}
        own_id = attributes.get("id", "")
        target = attributes.get("hx-target", self._target_in_force())
        if target == "this":
            target = f"#{own_id}" if own_id else ""
        if tag == "a" and attributes.get("href"):
            self.found.append((attributes["href"], None))
        if attributes.get("hx-get"):
            self.found.append((attributes["hx-get"], _target_id(target, own_id)))
        if tag not in VOID_ELEMENTS:
            self._open.append((tag, target))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in VOID_ELEMENTS:
            self._open.pop()

    def handle_endtag(self, tag: str) -> None:
        for index in range(len(self._open) - 1, -1, -1):
            if self._open[index][0] == tag:
                del self._open[index:]
                return


def _target_id(target: str | None, own_id: str) -> str:
    """The id htmx sends in HX-Target: the target's when the selector names one by id, else the
    element's own when it has no target (htmx swaps the element itself)."""
    if target is None:
        return own_id
    return target[1:] if re.fullmatch(r"#[\w\-]+", target) else ""


def links_in(html: str) -> list[tuple[str, str | None]]:
    """(href as written, htmx target or None) for each link of a page, in document order."""
    parser = _LinkParser()
    parser.feed(html)
    parser.close()
    return parser.found


# --- Walking ----------------------------------------------------------------------------------


class WalkTooLong(AssertionError):
    """The walk reached its bound with pages still to visit: it fails rather than stop silently."""


@dataclass
class WalkRules:
    """Where a walk may go and how far.

    A query parameter whose name starts with "_" (the admin's `_changelist_filters`, `_popup`)
    changes where a page returns to, not what it shows, and an empty value is no value (a form's
    empty field): both are dropped. A further page of a list (`paging`: a cursor, the admin's `p`)
    is followed `max_further_pages` times per list, which reaches every row a test writes; the
    parameters that filter or order a page are followed when a link sets at most
    `max_query_params` of them (each filter alone, not every combination) and is among the first
    `max_variants` sets of values for its path and parameter names (one sort order, one filter
    value: the others show the same rows, fewer or in another order).

    `sampled_route(path)` names the route of a page that shows a row no test wrote (rows that
    migrations made, such as the business calendar's thousands of days): such pages are walked
    `max_variants` per route. `max_pages` bounds the walk; reaching it with pages still to visit
    fails the walk (WalkTooLong).
    """

    skip_prefixes: tuple[str, ...]
    # Issue 14's apps (surveys, complaints, problems, follow-ups, figures) added ~100 pages and admin rows.
    max_pages: int = 600
    max_query_params: int = 1
    max_variants: int = 1
    max_further_pages: int = 2
    paging: frozenset[str] = frozenset({"cursor", "p"})
    sampled_route: Callable[[str], str | None] = lambda path: None
    host: str = "testserver"


@dataclass
class Walk:
    rules: WalkRules
    visited: list[Link] = field(default_factory=list)
    _seen: set[Link] = field(default_factory=set)
    _variants: dict[tuple, set[str]] = field(default_factory=dict)
    _pages: dict[tuple, set[str]] = field(default_factory=dict)

    def normalise(self, href: str, base: str) -> str | None:
        """The canonical same-site URL of `href` on page `base`, or None when it is not walked."""
        href = href.strip()
        if not href or href.startswith("#") or re.match(r"(?i)(javascript|mailto|tel|data):", href):
            return None
        parts = urlsplit(urljoin(f"http://{self.rules.host}{base}", href))
        if parts.scheme not in ("http", "https") or parts.netloc != self.rules.host:
            return None
        if parts.path.startswith(self.rules.skip_prefixes):
            return None
        query = sorted((k, v) for k, v in parse_qsl(parts.query) if k[:1] != "_")
        return parts.path + (f"?{urlencode(query)}" if query else "")

    def admit(self, link: Link, *, start: bool = False) -> bool:
        """Whether `link` is new and inside the rules; a start is walked whatever its query."""
        if link in self._seen:
            return False
        if not start:
            parts = urlsplit(link.url)
            query = parse_qsl(parts.query)
            chosen = [(name, value) for name, value in query if name not in self.rules.paging]
            page = urlencode([(name, value) for name, value in query if name in self.rules.paging])
            names = tuple(sorted({name for name, _value in chosen}))
            if len(names) > self.rules.max_query_params:
                return False
            route = self.rules.sampled_route(parts.path)
            key = ("route", route, link.htmx_target) if route else (parts.path, names, link.htmx_target)
            variants = self._variants.setdefault(key, set())
            variant = link.url if route else urlencode(chosen)
            if variant not in variants and len(variants) >= self.rules.max_variants:
                return False
            pages = self._pages.setdefault((*key, variant), set())
            if page and page not in pages and len(pages) >= self.rules.max_further_pages:
                return False
            variants.add(variant)
            if page:
                pages.add(page)
        self._seen.add(link)
        return True

    def run(self, fetch: Callable[[Link], HttpResponse], starts: Iterable[str]) -> list[Link]:
        """Breadth first from `starts`: fetch each page once, queue its links and redirects."""
        queue: deque[Link] = deque()
        for start in starts:
            url = self.normalise(start, "/")
            if url is not None and self.admit(Link(url), start=True):
                queue.append(Link(url))
        while queue:
            if len(self.visited) >= self.rules.max_pages:
                waiting = ", ".join(str(link) for link in list(queue)[:5])
                raise WalkTooLong(
                    f"the walk reached its bound of {self.rules.max_pages} pages with {len(queue)} "
                    f"still to visit ({waiting} …): raise the bound or narrow the rules"
                )
            link = queue.popleft()
            self.visited.append(link)
            response = fetch(link)
            for href, target in self._links_of(response):
                url = self.normalise(href, urlsplit(link.url).path)
                if url is not None and self.admit(Link(url, target)):
                    queue.append(Link(url, target))
        return self.visited

    @staticmethod
    def _links_of(response: HttpResponse) -> list[tuple[str, str | None]]:
        if response.has_header("Location"):
            return [(response["Location"], None)]
        if not response.get("Content-Type", "").startswith("text/html"):
            return []
        return links_in(response.content.decode(response.charset or "utf-8", errors="replace"))
