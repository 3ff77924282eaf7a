"""Chinese full-text search over tickets (decision 0023): subject, description, every comment
and the number, on SQLite (FTS5) and PostgreSQL (tsvector + GIN); odd input never raises."""

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from kefu.tickets import search, services
from kefu.tickets.models import Ticket
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


def open_ticket(agent, subject, description=""):
    return services.open_ticket(
        by=agent,
        customer=CustomerFactory(),
        subject=subject,
        description=description,
        type="repair",
        channel="phone",
    )


def found(q, queryset=None):
    return set(search.matching(queryset or Ticket.objects.all(), q).values_list("number", flat=True))


def search_rows():
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COUNT(*) FROM {search.TABLE}")
        return cursor.fetchone()[0]


@pytest.fixture
def tickets(agent):
    return {
        "aircon": open_ticket(agent, "空调不制冷", "客户说开机半小时还是吹热风，型号 KFR-35GW/BP"),
        "washer": open_ticket(agent, "上门检查", "全自动洗衣机脱水时漏水，地上一滩水"),
        "fridge": open_ticket(agent, "冰箱噪音大", "晚上压缩机声音很响"),
        "heater": open_ticket(agent, "热水器打不着火", "燃气热水器点火没反应"),
    }


def test_words_of_the_subject_and_of_the_description_find_the_ticket(tickets):
    assert found("空调 不制冷") == {tickets["aircon"].number}
    assert found("空调不制冷") == {tickets["aircon"].number}
    assert found("洗衣机 漏水") == {tickets["washer"].number}
    assert found("洗衣机漏水") == {tickets["washer"].number}
    assert found("压缩机") == {tickets["fridge"].number}
    assert found("热水器") == {tickets["heater"].number}
    # Every word must be there: 空调 is in one ticket, 漏水 in another.
    assert found("空调 漏水") == set()


def test_model_numbers_and_latin_words_are_found_in_any_case(tickets):
    assert found("KFR-35GW") == {tickets["aircon"].number}
    assert found("kfr 35gw bp") == {tickets["aircon"].number}


def test_a_reply_or_an_internal_note_added_later_is_found(agent, tickets):
    ticket = tickets["fridge"]
    assert found("门封条") == set()
    services.add_comment(ticket=ticket, by=agent, body="师傅检查后发现门封条老化，需要更换", public=True)
    assert found("门封条") == {ticket.number}
    services.add_comment(ticket=ticket, by=agent, body="配件库存不足，已申请调拨", public=False)
    assert found("调拨") == {ticket.number}
    services.add_customer_reply(ticket=ticket, body="换了以后还是有异响")
    assert found("异响") == {ticket.number}
    # Earlier words stay found.
    assert found("噪音") == {ticket.number}


def test_a_changed_subject_is_found_by_its_new_words_only(agent, tickets):
    ticket = tickets["heater"]
    services.update_ticket(ticket=ticket, by=agent, version=ticket.version, subject="燃气灶打不着火")
    assert found("燃气灶") == {ticket.number}
    assert found("热水器 点火") == {ticket.number}  # still in the description
    services.update_ticket(
        ticket=Ticket.objects.get(pk=ticket.pk),
        by=agent,
        version=Ticket.objects.get(pk=ticket.pk).version,
        description="灶具点火针脏了",
    )
    assert found("热水器") == set()
    assert found("点火针") == {ticket.number}


def test_the_last_word_is_a_prefix_while_it_is_typed(tickets):
    assert found("洗衣") == {tickets["washer"].number}
    assert found("冰") == {tickets["fridge"].number}
    assert found("空调 不制") == {tickets["aircon"].number}
    assert found("kfr-35") == {tickets["aircon"].number}
    # After a space the word is complete: 不制 alone is no word of any ticket.
    assert found("不制 ") == set()


def test_the_number_finds_its_ticket(tickets):
    ticket = tickets["washer"]
    assert found(ticket.number) == {ticket.number}
    assert found(ticket.number.lower()) == {ticket.number}
    assert found(f"工单 {ticket.number}") == {ticket.number}
    assert tickets["aircon"].number[:8] == ticket.number[:8]
    assert found(ticket.number[:8]) == {t.number for t in tickets.values()}


def test_the_start_of_a_number_narrows_to_the_numbers_it_begins(tickets):
    """Numbers are no index words (decision 0035): their start is a range of the number column,
    alone, with words, in the list of every ticket, and in any case."""
    washer = tickets["washer"]
    day = washer.number[:8]  # KF + yymmdd: every ticket of the fixture was opened today
    assert found(day) == found(day.lower()) == {t.number for t in tickets.values()}
    start = washer.number[:-1]
    assert found(start) == {t.number for t in tickets.values() if t.number.startswith(start)}
    assert found(f"洗衣机 {day}") == found(f"{day} 洗衣机") == {washer.number}
    assert found("KF0") == found("KF99999999999") == set()
    page = search.newest_page(Ticket.objects.all(), start.lower())
    assert [ticket.number for ticket in page.items] == sorted(found(start), reverse=True)
    page = search.newest_page(Ticket.objects.all(), f"{day} 洗衣机")
    assert [ticket.number for ticket in page.items] == [washer.number]


def test_a_model_that_looks_like_the_start_of_a_number_is_a_word(agent, tickets):
    """KF and digits that no day's number can begin with (a year to come, a month 13) are words."""
    model = open_ticket(agent, "空调异响", "挂机型号 KF500，室外机异响")
    assert found("KF500") == found("kf500") == {model.number}
    assert found("空调 kf500") == {model.number}
    assert search._could_begin_a_number("kf2")
    assert search._could_begin_a_number(model.number[:6].lower())  # KF + the year and the month
    assert not search._could_begin_a_number("kf2613")  # no month 13
    assert not search._could_begin_a_number("kf261200")  # no day 0
    assert not search._could_begin_a_number("kf4")  # the 2040s have not come


def test_filler_words_of_a_query_do_not_hide_the_ticket(tickets):
    assert found("空调不制冷了吗") == {tickets["aircon"].number}


@pytest.mark.parametrize(
    ("q", "finds_aircon"),
    [
        ('"', False),
        ('""', False),
        ("'", False),
        ("*", False),
        ("空调*", True),
        ('"空调"', True),
        ('"空调" OR "*', False),  # OR is a word like any other, and no ticket holds it
        ("NEAR(空调 不制冷)", False),
        ("空调 NOT 漏水", False),
        ("-空调", True),
        ("空调-", True),
        ("^空调", True),
        ("words:空调", False),
        ("空调:*", True),
        ("!空调 & | (", True),
        ("'空调' & '不制冷'", True),
        ("\\", False),
        ("空调\x00不制冷", True),
        ("\x00", True),  # blank once the NUL is gone: no filter
        ("％＊（）", False),
        ("\t\n", True),
        ("😀空调", True),
        ("空调" * 5_000, True),
        ("a" * 10_000, False),
        (" ".join(["空调"] * 500), True),
    ],
)
def test_query_syntax_characters_are_plain_text(tickets, q, finds_aircon):
    result = list(search.matching(Ticket.objects.all(), q))
    assert (tickets["aircon"] in result) is finds_aircon


def test_a_blank_query_filters_nothing_and_one_without_words_matches_nothing(tickets):
    assert found("") == {t.number for t in tickets.values()}
    assert found("   ") == {t.number for t in tickets.values()}
    assert found("*** ,。") == set()


def test_matching_narrows_a_queryset_keeps_its_order_and_adds_no_query(agent, tickets):
    services.add_comment(ticket=tickets["washer"], by=agent, body="空调也有点问题", public=True)
    queryset = Ticket.objects.filter(owner=agent).order_by("-created_at", "-id")
    with CaptureQueriesContext(connection) as queries:
        rows = list(search.matching(queryset, "空调"))
    assert len(queries) == 1
    assert rows == [tickets["washer"], tickets["aircon"]]
    assert list(search.matching(queryset.exclude(pk=tickets["washer"].pk), "空调")) == [tickets["aircon"]]


def test_query_terms_are_the_widest_words_of_the_query():
    assert search.query_terms("洗衣机") == (["洗衣机"], True)
    assert search.query_terms("洗衣机 漏水 ") == (["洗衣机", "漏水"], False)
    assert search.query_terms("空调不制冷了") == (["空调", "不", "制冷"], False)
    assert search.query_terms("XQB80-BZ12") == (["xqb80", "bz12"], True)
    assert search.query_terms("a") == (["a"], False)
    assert search.query_terms('"*"') == ([], False)


def test_documents_hold_each_word_once_in_lower_case():
    line = search.document("KF2611240001", "洗衣机漏水", "洗衣机又漏水了 XQB80-BZ12")
    words = line.split(" ")
    assert len(words) == len(set(words))
    assert {"kf2611240001", "洗衣", "洗衣机", "漏水", "xqb80", "bz12"} <= set(words)
    assert "" not in words


def test_index_ticket_reads_and_writes_in_three_statements(tickets):
    with CaptureQueriesContext(connection) as queries:
        search.index_ticket(tickets["aircon"].pk)
    assert len(queries) == (3 if connection.vendor == "postgresql" else 4)
    search.index_ticket(10**12)  # unknown: nothing to index, nothing raised
    assert search_rows() == len(tickets)


def stored_line(ticket_id):
    """The words stored for a ticket, as a line (on PostgreSQL the tsvector's words, sorted)."""
    if connection.vendor == "postgresql":
        words = "array_to_string(tsvector_to_array(document), ' ')"
        sql = f"SELECT {words} FROM {search.TABLE} WHERE ticket_id = %s"
    else:
        sql = f"SELECT words FROM {search.TABLE} WHERE rowid = %s"
    with connection.cursor() as cursor:
        cursor.execute(sql, [ticket_id])
        return cursor.fetchone()[0]


def test_a_new_ticket_is_indexed_from_the_ticket_in_hand_as_index_ticket_would(tickets):
    aircon = tickets["aircon"]  # open_ticket indexed it with index_new_ticket
    line = stored_line(aircon.pk)
    assert {"空调", "制冷", "kfr", "35gw"} <= set(line.split(" "))
    assert aircon.number.lower() not in line  # found through its column (decision 0035)
    search.index_ticket(aircon.pk)
    assert stored_line(aircon.pk) == line
    with CaptureQueriesContext(connection) as queries:
        search.index_new_ticket(aircon)
    assert len(queries) == (1 if connection.vendor == "postgresql" else 2)  # no read
    assert stored_line(aircon.pk) == line


def test_bulk_index_writes_new_rows_and_replaces_earlier_ones(tickets):
    aircon, washer = tickets["aircon"], tickets["washer"]
    written = search.bulk_index(
        [(aircon.pk, search.document(aircon.number, "扫地机器人")), (washer.pk, search.document("洗碗机"))],
        expected=2,
        batch=1,
    )
    assert written == 2
    assert search_rows() == len(tickets)
    assert found("扫地机器人") == {aircon.number}
    assert found("洗碗机") == {washer.number}
    assert found("空调") == set()


def test_reindex_restores_every_ticket_and_drops_rows_of_missing_tickets(agent, tickets):
    services.add_comment(ticket=tickets["fridge"], by=agent, body="门封条老化", public=False)
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {search.TABLE}")
    assert found("门封条") == set()
    search.bulk_index([(10**12, "幽灵")], new=True)

    call_command("reindex_tickets", batch=3, verbosity=0)

    assert search_rows() == len(tickets)
    assert found("门封条") == {tickets["fridge"].number}
    assert found("空调 不制冷") == {tickets["aircon"].number}
    # Again, over an index that is full: each batch replaces its rows.
    assert search.reindex(batch=2) == len(tickets)
    assert search_rows() == len(tickets)
    assert found("洗衣机 漏水") == {tickets["washer"].number}


def test_insert_from_select_indexes_tickets_written_in_sql(tickets):
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {search.TABLE}")
    line = search.document("电视黑屏")
    inserted = search.insert_from_select(
        f"SELECT id, %s || '  ' || lower(number) || ' ' FROM {Ticket._meta.db_table}",
        [line],
        expected=len(tickets),
    )
    assert inserted == len(tickets)
    assert found("电视 黑屏") == {t.number for t in tickets.values()}
    assert found(tickets["heater"].number) == {tickets["heater"].number}
    assert found("热水器") == set()


@pytest.mark.postgresql
def test_bulk_writes_leave_no_range_of_ids_unsummarized(tickets):
    """The windows of the search fence their reads with the ids' BRIN index: a block range
    nobody summarized is read by every window. A bulk write summarizes the ranges it filled."""
    first = max(t.pk for t in tickets.values()) + 1
    line = "空调 不制冷 " + " ".join(f"室外机{number}" for number in range(40))
    rows = [(first + offset, line) for offset in range(3_000)]

    def unsummarized() -> int:
        with connection.cursor() as cursor:
            cursor.execute("SELECT brin_summarize_new_values(%s::regclass)", [search.BRIN_INDEX])
            return cursor.fetchone()[0]

    unsummarized()  # the rows the fixture wrote, one at a time as the services do
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT pg_relation_size('{search.TABLE}') / current_setting('block_size')::int")
        pages_before = cursor.fetchone()[0]
    search.bulk_index(rows, new=True, expected=len(rows))
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT pg_relation_size('{search.TABLE}') / current_setting('block_size')::int")
        assert cursor.fetchone()[0] - pages_before > 32  # the writes filled a range or more
    assert unsummarized() == 0
    search.insert_from_select(
        f"SELECT {first + len(rows)} + g, %s FROM generate_series(0, 2999) AS g",
        [rows[0][1]],
        expected=3_000,
    )
    assert unsummarized() == 0


@pytest.mark.postgresql
def test_the_table_keeps_the_tsvector_alone_and_leaves_an_unchanged_row_as_it_is(tickets):
    """Migration 0111: on PostgreSQL the row is (ticket id, tsvector), the line it was made from
    not kept beside it; indexing a ticket whose words did not change writes nothing."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT attname FROM pg_attribute WHERE attrelid = %s::regclass AND attnum > 0 "
            "AND NOT attisdropped ORDER BY attnum",
            [search.TABLE],
        )
        assert [name for (name,) in cursor.fetchall()] == ["ticket_id", "document"]

    aircon = tickets["aircon"]

    def version() -> str:
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT xmin::text FROM {search.TABLE} WHERE ticket_id = %s", [aircon.pk])
            return cursor.fetchone()[0]

    before = version()
    search.index_ticket(aircon.pk)
    search.bulk_index([(aircon.pk, search.document(aircon.subject, aircon.description))])
    assert version() == before
    search.bulk_index([(aircon.pk, "空调 压缩机")])
    assert version() != before
    assert set(stored_line(aircon.pk).split()) == {"空调", "压缩机"}


# --- The page of every ticket with a search: newest first, from the search table -----------------


@pytest.fixture
def aircons(agent):
    """Nine tickets about an air conditioner, opened one after another, among others."""
    made = []
    for index in range(9):
        made.append(open_ticket(agent, f"空调不制冷 第{index}台"))
        open_ticket(agent, "洗衣机漏水")
    return made


def newest(q, queryset=None, **kwargs):
    return search.newest_page(queryset if queryset is not None else Ticket.objects.all(), q, **kwargs)


def numbers(page):
    return [ticket.number for ticket in page.items]


# (rows walked, windows of ids): the defaults; a short walk and windows too narrow for a page,
# so that every step runs (the last one, every match, finds the rest); a short walk and a window
# that fills the page of a common word (the last step never runs).
STEPS = [(search.WALK_ROWS, search.WINDOW_IDS), (3, (2, 4)), (3, (3, 10_000))]


@pytest.fixture(params=STEPS, ids=["defaults", "every-step", "window-fills"])
def steps(request, monkeypatch):
    walk, windows = request.param
    monkeypatch.setattr(search, "WALK_ROWS", walk)
    monkeypatch.setattr(search, "WINDOW_IDS", windows)
    return request.param


def test_a_search_page_is_the_newest_matches_and_pages_by_keyset(aircons, steps):
    """The walk over the newest rows fills the page of a common word; a short walk leaves the
    rest to the index, by windows of ids and then every match: the same pages either way."""
    expected = [ticket.number for ticket in reversed(aircons)]
    first = newest("空调", limit=4)
    second = newest("空调", limit=4, cursor=first.next_cursor)
    third = newest("空调", limit=4, cursor=second.next_cursor)
    assert numbers(first) + numbers(second) + numbers(third) == expected
    assert third.next_cursor is None
    assert numbers(newest("空调 不制冷", limit=50)) == expected
    assert numbers(newest("空", limit=2)) == expected[:2]  # a prefix
    assert numbers(newest("空调 漏水")) == []


def test_the_callers_filters_apply_before_the_page_is_cut(agent, aircons, steps):
    """The newest matches are resolved: the page of open ones is still full."""
    for ticket in aircons[5:]:
        Ticket.objects.filter(pk=ticket.pk).update(status="resolved")
    open_ones = Ticket.objects.filter(status="new")
    page = newest("空调", open_ones, limit=3)
    assert numbers(page) == [ticket.number for ticket in reversed(aircons[2:5])]
    assert numbers(newest("空调", open_ones, limit=3, cursor=page.next_cursor)) == [
        aircons[1].number,
        aircons[0].number,
    ]


def test_a_search_page_finds_a_number_and_the_words_beside_it(aircons, agent, steps):
    washer = Ticket.objects.filter(subject="洗衣机漏水").order_by("id").first()
    assert numbers(newest(washer.number)) == [washer.number]
    assert numbers(newest(washer.number.lower() + " 第3台")) == [aircons[3].number, washer.number]
    assert numbers(newest("*** ,。")) == []


def test_a_search_page_shows_a_technician_only_their_tickets(agent, technician, aircons, steps):
    theirs = open_ticket(technician, "空调不制冷")
    services.add_collaborator(ticket=aircons[2], by=agent, user=technician)
    page = newest("空调", Ticket.objects.visible_to(technician))
    assert numbers(page) == [theirs.number, aircons[2].number]


def test_a_search_page_is_one_statement_and_refuses_a_cursor_of_another_list(aircons):
    with CaptureQueriesContext(connection) as queries:
        page = newest("空调", limit=5)
    assert len(queries) == 1
    assert len(page.items) == 5
    from kefu.core.errors import InvalidRequest
    from kefu.core.pagination import encode_cursor

    other = encode_cursor([aircons[0].created_at, aircons[0].pk], Ticket, ("-created_at", "-id"))
    with pytest.raises(InvalidRequest):
        newest("空调", cursor=other)


def test_a_search_page_of_nothing_is_empty(aircons):
    assert newest("空调", Ticket.objects.none()).items == []
    assert newest("空调", Ticket.objects.filter(pk__in=[])).items == []


def test_a_chinese_prefix_stands_for_the_words_it_begins():
    """Exactly: with HMM off an index word of Chinese characters is a dictionary word or a single
    character, so the prefix and the dictionary's words that begin with it are all it can match."""
    words = search.prefix_words("洗衣")
    assert words[0] == "洗衣"
    assert "洗衣机" in words
    assert all(word.startswith("洗衣") for word in words)
    assert len(words) <= search.MAX_PREFIX_WORDS + 1
    assert search.prefix_words("热水器") == ["热水器"]
    assert search.prefix_words("压") is None  # a single common character begins too many
    assert search.prefix_words("kf26") is None  # not Chinese: the index's own prefix match


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("洗衣", {"washer"}),  # a prefix the dictionary expands (洗衣机)
        ("全自动洗衣", {"washer"}),
        ("冰箱 压", {"fridge"}),  # a broad prefix after another word: checked on the rows
        ("热水器 燃", {"heater"}),
        ("冰箱 燃", set()),
        ("压", {"fridge"}),  # a broad prefix alone
    ],
)
def test_prefixes_find_the_same_tickets_in_every_form(tickets, steps, q, expected):
    """The queues' filter (matching) and the newest-first page agree, whatever form the prefix
    takes in the index's query; the steps of the page change nothing."""
    want = {tickets[name].number for name in expected}
    assert found(q) == want
    assert set(numbers(newest(q))) == want
