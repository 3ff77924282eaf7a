"""Chinese full-text search over tickets (decision 0023): subject, description and every comment
(public replies and internal notes alike: the search is for staff). A ticket's number, whole or
its start, is found through its own unique column (decision 0035), not among the words.

Chinese has no spaces between words, so neither database can cut it into words by itself. Each
ticket's text is cut here with jieba (search mode: a long word and the shorter dictionary words
inside it, 洗衣机 → 洗衣 洗衣机) into a line of distinct lower-case words separated by spaces, kept
in one row per ticket of the table `tickets_ticket_search` (migration 0100_search):

- SQLite: an FTS5 table (unicode61 tokenizer, rowid = ticket id) over that line;
- PostgreSQL: a table (ticket_id, document) whose tsvector is made of the words exactly as they
  are (array_to_tsvector: no parser, no stemming; `_document_of`), with a GIN index on it. The
  line itself is not kept (migration 0111): the tsvector holds the same words, and the table is
  a third smaller without it.

The table is written only here: `index_ticket` after every change of a ticket's text (the
services call it inside their transaction), `bulk_index` for generated tickets, `reindex` for
all of them (manage.py reindex_tickets). `matching` narrows any ticket queryset to a query's
tickets; it keeps the caller's order (the queues' keyset, newest first).

A query is cut the same way; its words are ANDed, the last one as a prefix while it is still
being typed. Every word is made only of letters and digits before it reaches the database, so
quotes, `*`, `-`, `NEAR`, `&`, `:` or a NUL in a query are plain separators, never syntax.
"""

import bisect
import contextlib
import functools
import logging
import re
import threading
import unicodedata
from collections.abc import Iterable, Iterator, Sequence

from django.core.exceptions import EmptyResultSet
from django.db import connection, transaction
from django.db.models import QuerySet
from django.db.models.expressions import RawSQL
from django.utils import timezone

from kefu.core.db.statements import execute_later
from kefu.core.pagination import Page, clamp_limit, decode_cursor, encode_cursor, keyset_page

TABLE = "tickets_ticket_search"
GIN_INDEX = "ticket_search_document_idx"
BRIN_INDEX = "ticket_search_id_brin"  # migration 0106
CREATE_GIN_INDEX = f"CREATE INDEX IF NOT EXISTS {GIN_INDEX} ON {TABLE} USING gin (document)"


def _document_of(line: str) -> str:
    """PostgreSQL's tsvector of an index line (an SQL expression or a placeholder): its words as
    they are, the empty ones (double spaces, a blank line) left out."""
    return f"array_to_tsvector(array_remove(string_to_array({line}, ' '), ''))"


# A ticket's earlier row replaced, and left untouched when its words did not change.
_REPLACE_CHANGED = (
    " ON CONFLICT (ticket_id) DO UPDATE SET document = EXCLUDED.document "
    f"WHERE {TABLE}.document IS DISTINCT FROM EXCLUDED.document"
)
# One ticket's row written or replaced.
_UPSERT = f"INSERT INTO {TABLE} (ticket_id, document) VALUES (%s, {_document_of('%s')}){_REPLACE_CHANGED}"

# Longer queries are cut short: nobody types more, and every word costs an index lookup.
MAX_QUERY_CHARS = 100
MAX_QUERY_TERMS = 12
# A prefix of one Latin letter or digit would read a large part of the index (one Chinese
# character is a word's start: 冰 → 冰箱, 冰柜).
MIN_LATIN_PREFIX_CHARS = 2
# Rows per write batch in bulk_index and reindex.
BATCH = 5_000
# Ticket numbers as services.next_ticket_number gives them (KF + yymmdd + 4 or 5 digits).
NUMBER = re.compile(r"kf\d{10,11}")
# The start of a number (KF and up to eleven digits) as a query word: read on the number column.
NUMBER_START = re.compile(r"kf\d{1,11}")
# Particles that say nothing about a ticket: left out of queries (the index keeps them).
QUERY_STOP_WORDS = frozenset({"的", "了", "吗", "呢", "啊", "吧", "呀", "嘛", "么", "哦", "哈"})

_jieba_lock = threading.Lock()
_tokenizer = None


def _jieba():
    """jieba's tokenizer, its dictionary loaded once per process on first use (about a second),
    with its progress messages kept quiet."""
    global _tokenizer
    if _tokenizer is None:
        with _jieba_lock:
            if _tokenizer is None:
                import jieba

                jieba.setLogLevel(logging.WARNING)
                tokenizer = jieba.Tokenizer()
                tokenizer.initialize()
                _tokenizer = tokenizer
    return _tokenizer


def _is_word_char(char: str) -> bool:
    # The characters SQLite's unicode61 tokenizer keeps in a token (categories L*, N*, Co):
    # cut on everything else here, so that both databases see exactly the words made here.
    category = unicodedata.category(char)
    return category[0] in "LN" or category == "Co"


def _parts(token: str) -> list[str]:
    """A jieba token as index words: lower case, split at anything but letters and digits
    (XQB80-BZ12 → xqb80, bz12)."""
    parts, current = [], []
    for char in token.lower():
        if _is_word_char(char):
            current.append(char)
        elif current:
            parts.append("".join(current))
            current = []
    if current:
        parts.append("".join(current))
    return parts


@functools.lru_cache(maxsize=8192)
def _cached_words(text: str) -> tuple[str, ...]:
    return _segment(text)


def _segment(text: str) -> tuple[str, ...]:
    words: dict[str, None] = {}
    for token in _jieba().cut_for_search(text, HMM=False):
        for part in _parts(token):
            words[part] = None
    return tuple(words)


def text_words(text: str) -> tuple[str, ...]:
    """The distinct index words of one text, in order of first appearance.

    HMM is off: without it jieba cuts the same characters the same way wherever they stand
    (a word it does not know becomes single characters), so a query's words are the document's.
    Short texts are remembered (the generator repeats its phrases).
    """
    if not text:
        return ()
    return _cached_words(text) if len(text) <= 200 else _segment(text)


def document(*texts: str) -> str:
    """The index line of a ticket: the distinct words of its subject, description and comments,
    separated by single spaces (not its number: decision 0035). `bulk_index` takes rows of
    (ticket id, this)."""
    words: dict[str, None] = {}
    for text in texts:
        for word in text_words(text):
            words[word] = None
    return " ".join(words)


def query_terms(q: str) -> tuple[list[str], bool]:
    """The words a query asks for, and whether the last one is a prefix (still being typed).

    The query is cut in search mode like the documents; a word inside a longer word of the query
    (洗衣 in 洗衣机) is left out, since every document holding the longer word also holds it.
    """
    q = q[:MAX_QUERY_CHARS]
    spans = [
        (start, end)
        for word, start, end in _jieba().tokenize(q, mode="search", HMM=False)
        if any(_is_word_char(char) for char in word)
    ]
    widest = [
        (start, end)
        for start, end in spans
        if not any(s <= start and end <= e and (s, e) != (start, end) for s, e in spans)
    ]
    terms: dict[str, None] = {}
    last_end = 0
    for start, end in sorted(set(widest)):
        for part in _parts(q[start:end]):
            if part not in QUERY_STOP_WORDS and (part in terms or len(terms) < MAX_QUERY_TERMS):
                terms.pop(part, None)  # a repeated word moves to the end
                terms[part] = None
                last_end = end
    words = list(terms)
    # The last word is still being typed when nothing follows it.
    still_typing = bool(words) and last_end == len(q) and _is_word_char(q[-1])
    prefix = still_typing and (len(words[-1]) >= MIN_LATIN_PREFIX_CHARS or not words[-1].isascii())
    return words, prefix


def _query_text(terms: list[str], prefix: bool) -> str:
    """The terms as the database's query syntax, each one quoted (they hold letters and digits
    only): a tsquery on PostgreSQL, an FTS5 query on SQLite."""
    if connection.vendor == "postgresql":
        lexemes = [f"'{term}'" for term in terms]
        if prefix:
            lexemes[-1] += ":*"
        return " & ".join(lexemes)
    # FTS5 strings (quotes doubled, though terms hold none).
    strings = ['"{}"'.format(term.replace('"', '""')) for term in terms]
    if prefix:
        strings[-1] += "*"
    return " AND ".join(strings)


# A Chinese prefix is looked up in the GIN index as the words it can begin (below); one that
# begins more than this many (a single common character: 不, 机) is not.
MAX_PREFIX_WORDS = 64
_HAN = re.compile(r"[\u4e00-\u9fd5]+")
_dictionary_lock = threading.Lock()
_dictionary: list[str] | None = None


def _dictionary_words() -> list[str]:
    """Every index word jieba can make of more than one Chinese character, sorted: the parts of
    its dictionary's words (built once per process from the loaded dictionary, 0.2 s)."""
    global _dictionary
    if _dictionary is None:
        with _dictionary_lock:
            if _dictionary is None:
                words = {part for word, freq in _jieba().FREQ.items() if freq for part in _parts(word)}
                _dictionary = sorted(words)
    return _dictionary


def prefix_words(prefix: str) -> list[str] | None:
    """The index words a Chinese prefix can stand for, itself first, or None when it is not all
    Chinese or begins more than MAX_PREFIX_WORDS words.

    Exact, not a guess: with HMM off jieba makes a run of Chinese characters into dictionary
    words or single characters (decision 0023), so an index word of Chinese characters that
    begins with the prefix is the prefix itself or a dictionary word. GIN answers `'a' & ('p' |
    'p1' | …)` by skipping through the posting lists, where `'p':*` first collects every
    match of every word that begins with p (the tail of queries typed to their end: 冰箱 不出热水)."""
    if not _HAN.fullmatch(prefix):
        return None
    words = _dictionary_words()
    start = bisect.bisect_left(words, prefix)
    end = bisect.bisect_left(words, prefix + "\U0010ffff", start)
    if end - start > MAX_PREFIX_WORDS:
        return None
    return [prefix, *(word for word in words[start:end] if word != prefix)]


def _index_query(terms: list[str], prefix: bool) -> tuple[str, bool]:
    """(the tsquery a GIN step asks the index, whether it finds every match of the query exactly)
    on PostgreSQL. A Chinese prefix becomes the words it can begin; a broader one (a single
    common character) stays a prefix match. (The rows an inexact query finds would be checked
    against the whole query: none is made now.)"""
    if not prefix:
        return _query_text(terms, False), True
    expanded = prefix_words(terms[-1])
    if expanded is not None:
        words = " | ".join(f"'{word}'" for word in expanded)
        return " & ".join([*(f"'{term}'" for term in terms[:-1]), f"({words})"]), True
    # A broad prefix stays the index's own prefix match: leaving it out and checking the rows
    # read every match of the other words from the table (a sentence's words that always go
    # together: seconds at 10M), where the index's cost is bounded by its own size.
    return _query_text(terms, True), True


def _match_sql(terms: list[str], prefix: bool) -> tuple[str, list[str]]:
    """The subquery of the ids of the tickets holding every term (the last as a prefix)."""
    if connection.vendor == "postgresql":
        index, exact = _index_query(terms, prefix)
        if exact:
            return f"SELECT ticket_id FROM {TABLE} WHERE document @@ %s::tsquery", [index]
        return (
            f"SELECT ticket_id FROM (SELECT ticket_id, document FROM {TABLE} WHERE document @@ %s::tsquery "
            f"OFFSET 0) found WHERE document @@ %s::tsquery",
            [index, _query_text(terms, prefix)],
        )
    return f"SELECT rowid FROM {TABLE} WHERE {TABLE} MATCH %s", [_query_text(terms, prefix)]


def _parse(q: str) -> tuple[list[str], bool, list[str], list[str]] | None:
    """(terms, last term a prefix, whole ticket numbers, starts of numbers) of a query; None for
    a blank one. Numbers are no index words (decision 0035): a whole one is looked up by the
    unique column, the start of one (KF2611) as a range of it."""
    q = (q or "").replace("\x00", " ").lstrip()
    if not q.strip():
        return None
    numbers = sorted({found.upper() for found in NUMBER.findall(q.lower())})
    terms, prefix = query_terms(q)
    whole = {number.lower() for number in numbers}
    starts = [term.upper() for term in terms if term not in whole and _could_begin_a_number(term)]
    taken = whole | {start.lower() for start in starts}
    prefix = prefix and bool(terms) and terms[-1] not in taken
    terms = [term for term in terms if term not in taken]
    return terms, prefix, numbers, starts


def _could_begin_a_number(term: str) -> bool:
    """Whether a query word (lower case) could be the start of a ticket number: KF and digits that
    a day's number may begin with — a year up to this one, a month 01–12, a day 01–31. Anything
    else that looks like it (a model such as KF500, whose year would be 2050) is a word."""
    if not NUMBER_START.fullmatch(term):
        return False
    from kefu.tickets.services import NUMBER_ZONE  # services import this module

    digits = term[2:]
    this_year = timezone.localdate(timezone=NUMBER_ZONE).year % 100
    parts = (digits[0:2], digits[2:4], digits[4:6])
    highest = (this_year, 12, 31)
    for part, top in zip(parts, highest, strict=True):
        if not part:
            break
        if len(part) == 1:  # its first digit only
            if int(part) > top // 10:
                return False
            break
        if int(part) > top or (top != this_year and int(part) == 0):
            return False
    return True


def _starting(queryset: QuerySet, starts: list[str]) -> QuerySet:
    """The tickets of `queryset` whose number begins with each of `starts` (KF and digits): a
    range of the number column, which its unique index serves under any usual collation (numbers
    hold only capitals and digits, ordered there as in C), and the LIKE that makes it exact, read
    off the rows of that range (there is no LIKE index: decision 0042)."""
    for start in starts:
        digits = start[2:]
        narrowed = queryset.filter(number__gte=start, number__startswith=start)
        if digits.strip("9"):  # below the next start of the same length: KF2611 → KF2612
            narrowed = narrowed.filter(number__lt="KF" + str(int(digits) + 1).zfill(len(digits)))
        queryset = narrowed
    return queryset


def _numbers_sql(numbers: list[str]) -> tuple[str, list[str]]:
    # Also by the number column (one subquery, not an OR beside it: the planner keeps a
    # semi-join), should the number be missing from the index.
    return f"SELECT id FROM tickets_ticket WHERE number IN ({', '.join(['%s'] * len(numbers))})", numbers


def matching(queryset: QuerySet, q: str) -> QuerySet:
    """The tickets of `queryset` whose text holds every word of `q`, or whose number `q` names;
    a start of a number (KF2611) narrows them to the numbers it begins.

    A blank query changes nothing; a query without a word (only punctuation) matches nothing.
    The caller's order stays: it reads the ids of the matching tickets as a subquery. The queues
    use it (their open tickets are few on their partial indexes); the list of every ticket,
    newest first, reads its page with `newest_page`.
    """
    parsed = _parse(q)
    if parsed is None:
        return queryset
    terms, prefix, numbers, starts = parsed
    if not terms and not numbers and not starts:
        return queryset.none()
    queryset = _starting(queryset, starts)
    if not terms and not numbers:
        return queryset
    return queryset.filter(pk__in=_found_ids(_match_sql(terms, prefix) if terms else None, numbers))


def _found_ids(words: tuple[str, list] | None, numbers) -> RawSQL:
    """The ids the words' statement (sql, params) finds, and those the ticket numbers name."""
    statements = [part for part in (words, _numbers_sql(numbers) if numbers else None) if part is not None]
    params: list = []
    for _sql, found in statements:
        params += found
    return RawSQL(" UNION ALL ".join(sql for sql, _found in statements), params)


# The newest search rows a page reads in id order before it asks the GIN index (PostgreSQL):
# a word in one ticket of WALK_ROWS / 50 or more fills its page there.
WALK_ROWS = 20_000
# Then the GIN index, fenced to windows of ids below the cursor: the planner ANDs the GIN bitmap
# with the range of ids (the BRIN index of migration 0105, or the primary key) before it reads a
# row, so only the matches inside the window are read from the table (a word's every match cost
# a table page before: a few thousand of them set the search's tail at 10M tickets). A window
# runs only when no step before it found a page; the last step, every match below the cursor,
# only when the widest window did not. A word in one ticket of WINDOW_IDS[i] / 50 or more stops
# at window i, so the last step reads fewer than 50 × (tickets / the widest window) rows. One
# window: each index step reads the words' lists again, and where the planner misjudges words
# that always go together (it multiplies their frequencies) it reads every match in each step.
WINDOW_IDS = (200_000,)
NEWEST_FIRST = ("-id",)


def newest_page(queryset: QuerySet, q: str, *, cursor: str | None = None, limit: int | None = None) -> Page:
    """A page of the tickets of `queryset` that `q` finds, newest first by id (ids grow with
    the tickets' opening), read from the search table in that order: the list of every ticket
    with a search (the top bar's, the API's `q` without a queue). Keyset on the id.

    One statement for the page (and the caller's prefetches). On PostgreSQL it first walks the
    newest WALK_ROWS search rows below the cursor backwards on the primary key, keeping those
    that match (a common word fills the page after a few hundred rows and stops); only when they
    do not fill the page does it ask the GIN index, first for the matches inside windows of ids
    just below the cursor (WINDOW_IDS, widening), at last for every match below the cursor (then
    few), each step only when the steps before it did not fill the page. The planner never has
    to guess how common a word is. On SQLite, FTS5 reads its matches by rowid, newest first. The
    caller's filters are applied inside every step, so a page is full whenever enough tickets
    match.
    """
    limit = clamp_limit(limit)
    before = decode_cursor(cursor, queryset.model, NEWEST_FIRST)[0] if cursor else None
    parsed = _parse(q)
    if parsed is None:
        return keyset_page(queryset, order=NEWEST_FIRST, cursor=cursor, limit=limit)
    terms, prefix, numbers, starts = parsed
    if not terms and not numbers and not starts:
        return Page(items=[], next_cursor=None)
    queryset = _starting(queryset, starts)
    if not terms and not numbers:
        return keyset_page(queryset, order=NEWEST_FIRST, cursor=cursor, limit=limit)
    caller = None
    if queryset.query.where:  # narrowed (filters, a technician's tickets): inside each step too
        try:
            caller = queryset.order_by().values("pk").query.sql_with_params()
        except EmptyResultSet:  # narrowed to nothing
            return Page(items=[], next_cursor=None)
    words = _newest_sql(terms, prefix, before=before, caller=caller, rows=limit + 1) if terms else None
    tickets = queryset.filter(pk__in=_found_ids(words, numbers))
    if before is not None:
        tickets = tickets.filter(pk__lt=before)
    rows = list(tickets.order_by(*NEWEST_FIRST)[: limit + 1])
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        last = rows[-1]  # a ticket, or a named row (selectors.ticket_queue with rows=True)
        next_cursor = encode_cursor([getattr(last, "pk", None) or last.id], queryset.model, NEWEST_FIRST)
    return Page(items=rows, next_cursor=next_cursor)


def _newest_sql(
    terms: list[str], prefix: bool, *, before: int | None, caller: tuple[str, tuple] | None, rows: int
) -> tuple[str, list]:
    """The subquery of the ids of the `rows` newest tickets holding every term, below the id
    `before`, among the caller's tickets (`caller`: the SQL of their ids and its parameters)."""
    query = _query_text(terms, prefix)
    below, below_params = ("", []) if before is None else (" AND {id} < %s", [before])
    among, among_params = ("", []) if caller is None else (f" AND {{id}} IN ({caller[0]})", list(caller[1]))
    if connection.vendor != "postgresql":
        # FTS5 reads its doclists in rowid order: newest first, and it stops after the page.
        return (
            f"SELECT ticket_id FROM (SELECT rowid AS ticket_id FROM {TABLE} WHERE {TABLE} MATCH %s"
            f"{below.format(id='rowid')}{among.format(id='rowid')} ORDER BY rowid DESC LIMIT %s)",
            [query, *below_params, *among_params, rows],
        )
    below, among = below.format(id="ticket_id"), among.format(id="ticket_id")
    # The index steps ask the GIN index `index` (a Chinese prefix as the words it begins); when it
    # leaves a broad prefix out, the rows it finds are checked against the whole query.
    index, exact = _index_query(terms, prefix)
    check, check_params = ("", []) if exact else (" AND document @@ %s::tsquery", [query])
    columns = "ticket_id" if exact else "ticket_id, document"
    # 1. The walk: the newest WALK_ROWS rows, backwards on the primary key; those that match.
    steps = [
        (
            "walk",
            f"SELECT ticket_id FROM (SELECT ticket_id, document FROM {TABLE} WHERE TRUE{below} "
            f"ORDER BY ticket_id DESC LIMIT %s) recent "
            f"WHERE document @@ %s::tsquery{among} ORDER BY ticket_id DESC LIMIT %s",
            [*below_params, WALK_ROWS, query, *among_params, rows],
        )
    ]
    # The windows end at the cursor (numbers the planner sees: it knows how many rows a window
    # holds) or, on the first page, begin below the newest id (read by the statement: with only a
    # lower bound the planner guesses a third of the table, so it never walks the window on the
    # primary key instead of asking the GIN index).
    if before is None:
        top, top_params = f"(SELECT max(ticket_id) + 1 FROM {TABLE})", []
    else:
        top, top_params = "%s", [before]
    # 2. The windows, then 3. every match below the cursor. Each runs only when no step before
    # it found a page (a one-time filter on their counts), and each is the newest
    # `rows` of its part: together they hold the page. OFFSET 0 keeps the planner from walking
    # the primary key for a window's matches: the index finds them, the range fences the reads.
    for number, window in enumerate((*WINDOW_IDS, None)):
        short = " AND ".join(f"(SELECT count(*) FROM {name}) < %s" for name, _sql, _params in steps)
        if window is None:
            fence, fence_params = below, below_params
        else:
            fence = f" AND ticket_id >= {top} - %s{below}"
            fence_params = [*top_params, window, *below_params]
        steps.append(
            (
                f"step{number}",
                f"SELECT ticket_id FROM (SELECT {columns} FROM {TABLE} WHERE document @@ %s::tsquery"
                f"{fence}{among} OFFSET 0) found WHERE {short}{check} ORDER BY ticket_id DESC LIMIT %s",
                [index, *fence_params, *among_params, *[rows] * len(steps), *check_params, rows],
            )
        )
    ctes = ", ".join(f"{name} AS MATERIALIZED ({sql})" for name, sql, _params in steps)
    params = [param for _name, _sql, step_params in steps for param in step_params]
    union = " UNION ALL ".join(f"SELECT ticket_id FROM {name}" for name, _sql, _params in steps)
    return f"WITH {ctes} {union}", params


def _ticket_texts(ticket_ids: list[int]) -> Iterator[tuple[int, str]]:
    """(id, index line) of the given tickets that exist: two queries for any number of them."""
    from kefu.tickets.models import Comment, Ticket

    bodies: dict[int, list[str]] = {ticket_id: [] for ticket_id in ticket_ids}
    for ticket_id, body in (
        Comment.objects.filter(ticket_id__in=ticket_ids)
        .order_by("ticket_id", "created_at", "id")
        .values_list("ticket_id", "body")
    ):
        bodies[ticket_id].append(body)
    for ticket_id, subject, description in (
        Ticket.objects.filter(pk__in=ticket_ids).order_by("id").values_list("id", "subject", "description")
    ):
        yield ticket_id, document(subject, description, *bodies[ticket_id])


def _upsert(rows: list[tuple[int, str]]) -> None:
    """Write the rows, replacing the tickets' earlier ones (unchanged rows untouched on PG)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.executemany(_UPSERT, rows)
        else:
            cursor.executemany(f"DELETE FROM {TABLE} WHERE rowid = %s", [(row[0],) for row in rows])
            cursor.executemany(f"INSERT INTO {TABLE} (rowid, words) VALUES (%s, %s)", rows)


def index_ticket(ticket_id: int) -> None:
    """Cut the ticket's subject, description and every comment again and store the
    words: three statements (two reads, one write; on SQLite two writes). The services call it
    inside their transaction, so the index changes with the ticket or not at all."""
    rows = list(_ticket_texts([ticket_id]))
    if rows:
        _upsert(rows)


def index_new_ticket(ticket) -> None:
    """Index a ticket just opened from the ticket in hand: its subject and description
    (a new ticket has no comment yet), the same line index_ticket would make, with nothing read
    back: one statement (two on SQLite). open_ticket calls it inside its transaction."""
    row = (ticket.pk, document(ticket.subject, ticket.description))
    if connection.vendor == "postgresql":
        # _upsert's statement for one row with one execute (executemany's pipeline costs more
        # CPU for one row than the statement itself); with the opening's other writes that
        # nobody reads back when they are batched (core.db.statements.batched).
        execute_later(_UPSERT, row)
    else:
        _upsert([row])


def _batched(rows: Iterable[tuple[int, str]], size: int) -> Iterator[list[tuple[int, str]]]:
    batch: list[tuple[int, str]] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def _estimated_rows() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT GREATEST(reltuples, 0)::bigint FROM pg_class WHERE relname = %s", [TABLE])
        row = cursor.fetchone()
    return int(row[0]) if row else 0


def _copy_line(ticket_id: int, words: str) -> str:
    # Words hold letters, digits and single spaces only: nothing COPY would need escaped.
    return f"{int(ticket_id)}\t{words}\n"


@contextlib.contextmanager
def _bulk_writes(cursor, expected: int):
    """On PostgreSQL, when `expected` new rows are many next to the table, drop the GIN index and
    build it once at the end, sorted (DDL is transactional: a failure leaves it as it was), then
    refresh the planner's statistics of the words. Either way, summarize the block ranges of
    the ids that the writes filled. Use inside a transaction."""
    postgresql = connection.vendor == "postgresql"
    rebuild = postgresql and expected > 0 and expected * 4 >= _estimated_rows()
    if rebuild:
        cursor.execute("SET LOCAL maintenance_work_mem = '512MB'")
        cursor.execute(f"DROP INDEX IF EXISTS {GIN_INDEX}")
    yield
    if postgresql:
        # A range of the ids' BRIN index that nobody summarized is read by every window of the
        # search (all of the table after the generator: the windows fenced nothing). Its
        # `autosummarize` asks autovacuum for each range as it fills, after the commit, and
        # keeps only a few hundred such requests: a bulk write fills thousands. This reads the
        # new pages once, the rows of this transaction among them.
        cursor.execute("SELECT brin_summarize_new_values(%s::regclass)", [BRIN_INDEX])
    if rebuild:
        cursor.execute(CREATE_GIN_INDEX)
        # The planner needs the words' frequencies to choose between the index and a scan.
        cursor.execute(f"ANALYZE {TABLE}")


def insert_from_select(select_sql: str | Sequence[str], params=(), *, expected: int = 0) -> int:
    """Index new tickets set-wise from a SELECT of (ticket id, index line) rows, for a generator
    that writes its tickets in SQL from a few texts: it cuts each distinct text once with
    `document`, puts the lines in a table of its own, and selects them joined to its tickets
    (lines may be joined with `||` and spaces: empty words are ignored). Several SELECTs (each
    a batch, without parameters) are inserted in turn, with the GIN index built once after the
    last. No row may exist yet for these tickets. Returns the number of rows inserted."""
    statements = [select_sql] if isinstance(select_sql, str) else list(select_sql)
    if connection.vendor == "postgresql":
        insert = (
            f"INSERT INTO {TABLE} (ticket_id, document) "
            f"SELECT s.ticket_id, {_document_of('s.line')} FROM ({{}}) AS s (ticket_id, line)"
        )
    else:
        insert = f"INSERT INTO {TABLE} (rowid, words) {{}}"
    written = 0
    with transaction.atomic(), connection.cursor() as cursor, _bulk_writes(cursor, expected):
        for statement in statements:
            cursor.execute(insert.format(statement), params or None)
            written += cursor.rowcount
    return written


def bulk_index(
    rows: Iterable[tuple[int, str]], *, new: bool = False, expected: int = 0, batch: int = BATCH
) -> int:
    """Store many tickets' index lines, `rows` of (ticket id, `document(...)`), set-wise.

    On PostgreSQL the lines are COPYed into a staging table and made tsvectors in one statement
    per batch, which replaces the tickets' earlier rows; `new=True` says there are none (a new
    database, a restore), so nothing is compared. When `expected` rows are many next to
    the table, the GIN index is dropped and built once at the end, sorted (PostgreSQL's DDL is
    transactional: a failure leaves the index as it was). On SQLite, batches of executemany.
    Returns the number of rows written. Runs in one transaction (the caller's, if any).
    """
    written = 0
    with transaction.atomic():
        if connection.vendor != "postgresql":
            for chunk in _batched(rows, batch):
                _upsert(chunk)
                written += len(chunk)
            return written
        insert = (
            f"INSERT INTO {TABLE} (ticket_id, document) "
            f"SELECT ticket_id, {_document_of('words')} FROM ticket_search_stage"
        )
        if not new:
            insert += _REPLACE_CHANGED
        with connection.cursor() as cursor, _bulk_writes(cursor, expected):
            cursor.execute(
                "CREATE TEMPORARY TABLE IF NOT EXISTS ticket_search_stage "
                "(ticket_id bigint, words text) ON COMMIT DROP"
            )
            # One COPY per batch: `rows` may read the database (reindex does), which it cannot
            # do on this connection while a COPY is open.
            for chunk in _batched(rows, batch):
                cursor.execute("TRUNCATE ticket_search_stage")
                with cursor.cursor.copy("COPY ticket_search_stage (ticket_id, words) FROM STDIN") as copy:
                    copy.write("".join(_copy_line(*row) for row in chunk))
                cursor.execute(insert)
                written += len(chunk)
    return written


def _all_rows(batch: int, progress, total: int) -> Iterator[tuple[int, str]]:
    from kefu.tickets.models import Ticket

    done, last = 0, 0
    while True:
        ids = list(Ticket.objects.filter(pk__gt=last).order_by("id").values_list("id", flat=True)[:batch])
        if not ids:
            return
        yield from _ticket_texts(ids)
        done, last = done + len(ids), ids[-1]
        if progress:
            progress(done, total)


def reindex(*, batch: int = 2_000, progress=None) -> int:
    """Index every ticket again (manage.py reindex_tickets), `batch` tickets at a time in id
    order, each batch read with two queries; rows of tickets that no longer exist are removed.

    An empty index (a new database, a restore) is filled in one transaction, on PostgreSQL by
    COPY with the GIN index built once at the end. Otherwise each batch replaces its rows in a
    transaction of its own, so that the services' own index writes never wait long behind it.
    Returns the number of tickets indexed.
    """
    from kefu.tickets.models import Ticket

    total = Ticket.objects.count()
    postgres = connection.vendor == "postgresql"
    with connection.cursor() as cursor:
        column = "ticket_id" if postgres else "rowid"
        cursor.execute(f"DELETE FROM {TABLE} WHERE {column} NOT IN (SELECT id FROM tickets_ticket)")
        cursor.execute(f"SELECT EXISTS (SELECT 1 FROM {TABLE})")
        empty = not cursor.fetchone()[0]
    if empty:
        return bulk_index(_all_rows(batch, progress, total), new=True, expected=total, batch=batch)
    done = 0
    for rows in _batched(_all_rows(batch, progress, total), batch):
        done += bulk_index(rows, batch=batch)
    if postgres:
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {TABLE}")
    return done
