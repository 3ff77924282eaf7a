"""The tickets' generator step (`manage.py generate_data --tickets N`): counts, mixes, the
invariants the services keep, the day counters, search rows and repeatability. No timing here:
the generator's speed is a figure of bench/, never of a test."""

import datetime
import io
import itertools
import json
import re
from collections import Counter
from importlib import import_module
from unittest import mock

import pytest
from django.apps import apps as django_apps
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django.db.models import Count, F, Max, Min, Q
from django.utils import timezone

from kefu.accounts.models import User
from kefu.core.generation import GenerateError, generate
from kefu.tickets import generate as ticket_generator
from kefu.tickets import search, services, timeline
from kefu.tickets.models import (
    OPEN_STATUSES,
    Comment,
    Status,
    Ticket,
    TicketEvent,
    TicketNumberCounter,
    TicketType,
    Transfer,
)

pytestmark = pytest.mark.django_db

NUMBER = re.compile(r"^KF(\d{6})(\d{4,5})$")


def tickets(n: int, *, customers: int = 0, products: int = 0, seed: int = 1):
    return generate({"customers": customers, "products": products, "tickets": n}, seed=seed)


@pytest.fixture
def generated(db):
    """One generated data set shared by the invariant tests (each test is its own transaction)."""
    result = tickets(1500, customers=150, products=300, seed=7)
    return result


def intake() -> User:
    return User.objects.get(username="intake")


# --- counts ------------------------------------------------------------------------------------


def test_the_command_writes_exactly_the_tickets_asked_for_and_says_what_else():
    out = io.StringIO()
    call_command(
        "generate_data",
        "--customers",
        "40",
        "--products",
        "80",
        "--tickets",
        "300",
        "--seed",
        "2",
        stdout=out,
    )
    assert Ticket.objects.count() == 300
    output = out.getvalue()
    assert "300 tickets" in output
    for kind, model in (("comments", Comment), ("transfers", Transfer), ("ticket events", TicketEvent)):
        assert f"{model.objects.count():,} {kind}" in output


def test_reported_rows_are_the_rows_written(generated):
    step = dict(generated.written)["tickets"]
    assert step.rows == {
        "tickets": Ticket.objects.count(),
        "comments": Comment.objects.count(),
        "transfers": Transfer.objects.count(),
        "ticket events": TicketEvent.objects.count(),
    }
    assert step.main == 1500
    # a few timeline rows per ticket, not one and not dozens
    assert 3 <= step.rows["ticket events"] / 1500 <= 6


def test_no_tickets_asked_writes_none():
    tickets(0, customers=10, products=10)
    assert not Ticket.objects.exists()
    assert not User.objects.filter(username__startswith=ticket_generator.AGENT_PREFIX).exists()


def test_tickets_without_any_customer_are_refused_and_nothing_is_written():
    with pytest.raises(CommandError, match="no customers"):
        call_command("generate_data", "--tickets", "10", stdout=io.StringIO())
    assert not Ticket.objects.exists()
    assert not User.objects.filter(username__startswith=ticket_generator.AGENT_PREFIX).exists()


def test_customers_without_products_still_get_tickets_without_a_product():
    tickets(50, customers=20)
    assert Ticket.objects.count() == 50
    assert not Ticket.objects.filter(product__isnull=False).exists()


# --- mixes -------------------------------------------------------------------------------------


def share(counter: Counter, *keys) -> float:
    return sum(counter[key] for key in keys) / sum(counter.values())


def test_realistic_mixes(generated):
    statuses = Counter(Ticket.objects.values_list("status", flat=True))
    types = Counter(Ticket.objects.values_list("type", flat=True))
    channels = Counter(Ticket.objects.values_list("channel", flat=True))
    priorities = Counter(Ticket.objects.values_list("priority", flat=True))
    # most are done; some are still open or waiting, in every open state
    assert share(statuses, Status.CLOSED, Status.RESOLVED) > 0.9
    assert statuses[Status.CLOSED] > statuses[Status.RESOLVED]
    assert 0 < share(statuses, *OPEN_STATUSES) < 0.1
    # repairs most, then installations; every type appears
    assert types.most_common(1)[0][0] == TicketType.REPAIR
    assert types.most_common(2)[1][0] == TicketType.INSTALLATION
    assert set(types) == set(TicketType.values)
    assert channels.most_common(1)[0][0] == "phone"
    assert 0.45 < share(channels, "phone") < 0.65
    assert priorities.most_common(1)[0][0] == "normal"
    assert set(priorities) == {"low", "normal", "high", "urgent"}


def test_ages_spread_over_three_years_and_the_open_ones_are_recent(generated):
    now = timezone.now()
    span = Ticket.objects.aggregate(first=Min("created_at"), last=Max("created_at"))
    assert now - span["first"] > datetime.timedelta(days=1000)
    assert now - span["last"] < datetime.timedelta(days=3)
    assert span["last"] <= now
    # the open tickets are the young ones: none waits more than four months
    open_ages = [now - at for at in Ticket.objects.open().values_list("created_at", flat=True)]
    assert open_ages
    assert max(open_ages) < datetime.timedelta(days=120)


def test_subjects_and_texts_are_chinese_and_fit_the_product(generated):
    ticket = (
        Ticket.objects.filter(type=TicketType.REPAIR, product__model__category__code="air_conditioner")
        .select_related("product__model__category")
        .first()
    )
    assert ticket is not None
    assert ticket.subject in ticket_generator.words.FAULTS["air_conditioner"]
    assert ticket.description.startswith(ticket.subject)
    for comment in Comment.objects.all()[:50]:
        assert re.search(r"[\u4e00-\u9fff]", comment.body)


# --- invariants ---------------------------------------------------------------------------------


def test_owners_are_generated_agents_or_the_intake_account(generated):
    agents = set(
        User.objects.filter(username__startswith=ticket_generator.AGENT_PREFIX).values_list("id", flat=True)
    )
    assert len(agents) == len(ticket_generator.TEAMS) * ticket_generator.AGENTS_PER_TEAM
    owners = set(Ticket.objects.values_list("owner_id", flat=True))
    assert None not in owners
    assert owners <= agents | {intake().pk}
    assert len(owners) > 30  # spread over the agents
    # every agent is in a team whose supervisor is a supervisor
    for user in User.objects.filter(pk__in=agents).select_related("team__supervisor"):
        assert user.team is not None
        assert user.team.supervisor.groups.filter(name="supervisor").exists()
        assert user.groups.filter(name="agent").exists()


def test_the_team_is_the_owners_and_the_unassigned_queue_holds_open_intake_tickets(generated):
    assert not Ticket.objects.exclude(owner=intake()).exclude(team_id=F("owner__team_id")).exists()
    unassigned = Ticket.objects.filter(owner=intake())
    assert not unassigned.exclude(status__in=OPEN_STATUSES).exists()
    assert not unassigned.filter(team__isnull=False).exists()
    assert not unassigned.filter(opened_by__isnull=False).exists()
    assert not unassigned.filter(bounce_count__gt=0).exists()
    # what came in by phone was opened by the agent who took the call
    assert not Ticket.objects.filter(channel="phone", opened_by__isnull=True).exists()


def test_some_open_tickets_wait_in_the_unassigned_queue():
    """Open tickets are the youngest few per thousand: enough tickets to find some."""
    tickets(8000, customers=100, products=200, seed=11)
    unassigned = Ticket.objects.filter(owner=intake())
    assert unassigned.exists()
    assert not unassigned.exclude(status__in=OPEN_STATUSES).exists()
    assert Ticket.objects.open().exclude(owner=intake()).exists()


def test_bounce_count_is_the_number_of_bounce_transfers(generated):
    counted = Ticket.objects.annotate(
        bounces=Count("transfers", filter=Q(transfers__is_bounce=True), distinct=True)
    ).exclude(bounces=F("bounce_count"))
    assert not counted.exists()
    bouncing = Ticket.objects.filter(bounce_count__gte=2)
    assert bouncing.exists()
    assert Ticket.objects.filter(bounce_count=1).exists()


def test_each_chain_of_owners_ends_with_the_owner_and_claims_come_first(generated):
    for ticket in (
        Ticket.objects.filter(Q(bounce_count__gt=0) | Q(opened_by__isnull=True))
        .exclude(owner=intake())
        .prefetch_related("transfers")[:300]
    ):
        chain = sorted(ticket.transfers.all(), key=lambda transfer: (transfer.at, not transfer.is_bounce))
        assert chain, ticket.number
        assert chain[-1].to_user_id == ticket.owner_id
        for before, after in itertools.pairwise(chain):
            assert before.to_user_id == after.from_user_id
        claims = [transfer for transfer in chain if not transfer.is_bounce]
        if ticket.opened_by_id is None:
            assert len(claims) == 1
            assert chain[0] == claims[0]
            assert claims[0].from_user_id == intake().pk
        else:
            assert not claims
        for transfer in chain:
            assert ticket.created_at <= transfer.at
            assert transfer.reason


def test_urge_count_is_the_number_of_urge_events(generated):
    counted = Ticket.objects.annotate(
        urges=Count("events", filter=Q(events__kind=timeline.TICKET_URGED), distinct=True)
    ).exclude(urges=F("urge_count"))
    assert not counted.exists()
    assert Ticket.objects.filter(urge_count__gt=0).exists()


def test_numbers_are_unique_and_follow_the_opening_day(generated):
    rows = list(Ticket.objects.order_by("created_at", "id").values_list("number", "created_at"))
    assert len({number for number, _at in rows}) == len(rows)
    per_day: dict[str, list[int]] = {}
    for number, created_at in rows:
        match = NUMBER.match(number)
        assert match, number
        assert match[1] == timezone.localtime(created_at).strftime("%y%m%d")
        per_day.setdefault(match[1], []).append(int(match[2]))
    for serials in per_day.values():
        assert serials == list(range(1, len(serials) + 1))  # in order of opening, from 0001


def test_the_day_counters_hold_the_last_serial_so_new_tickets_continue(generated, agent):
    counters = dict(TicketNumberCounter.objects.values_list("day", "last"))
    per_day = Counter(
        timezone.localtime(at).date() for at in Ticket.objects.values_list("created_at", flat=True)
    )
    assert counters == dict(per_day)
    customer = Ticket.objects.first().customer
    opened = services.open_ticket(
        by=agent, customer=customer, subject="空调不制冷", type="repair", channel="phone"
    )
    today = timezone.localdate()
    assert opened.number == f"KF{today:%y%m%d}{per_day.get(today, 0) + 1:04d}"


def test_events_follow_their_ticket(generated):
    mismatched = TicketEvent.objects.exclude(customer_id=F("ticket__customer_id"))
    assert not mismatched.exists()
    assert (
        not TicketEvent.objects.exclude(product_id=F("ticket__product_id"))
        .filter(ticket__product__isnull=False)
        .exists()
    )
    assert not TicketEvent.objects.filter(product__isnull=False, ticket__product__isnull=True).exists()
    assert not TicketEvent.objects.filter(occurred_at__lt=F("ticket__created_at")).exists()
    assert not TicketEvent.objects.filter(occurred_at__gt=timezone.now()).exists()
    # every ticket opens its own timeline, once
    opened = Counter(
        TicketEvent.objects.filter(kind=timeline.TICKET_OPENED).values_list("ticket_id", flat=True)
    )
    assert set(opened.values()) == {1}
    assert len(opened) == Ticket.objects.count()
    for event in TicketEvent.objects.select_related("ticket")[:200]:
        assert event.data["number"] == event.ticket.number


def test_status_changes_and_times_agree_with_the_status(generated):
    done = Ticket.objects.filter(status__in=(Status.RESOLVED, Status.CLOSED))
    assert not done.filter(resolved_at__isnull=True).exists()
    assert not done.filter(resolved_at__lt=F("created_at")).exists()
    assert (
        not Ticket.objects.filter(status=Status.CLOSED)
        .filter(Q(closed_at__isnull=True) | Q(closed_at__lt=F("resolved_at")))
        .exists()
    )
    assert (
        not Ticket.objects.filter(status__in=OPEN_STATUSES)
        .filter(Q(resolved_at__isnull=False) | Q(closed_at__isnull=False))
        .exists()
    )
    changes = TicketEvent.objects.filter(kind=timeline.TICKET_STATUS_CHANGED)
    for ticket in Ticket.objects.exclude(status=Status.NEW).order_by("?")[:100]:
        last = changes.filter(ticket=ticket).order_by("occurred_at", "id").last()
        assert last is not None
        assert last.data["to"] == ticket.status
    assert not changes.filter(ticket__status=Status.NEW).exists()


def test_comments_have_their_event_and_the_customers_words_are_public(generated):
    comments = Comment.objects.all()
    assert comments.filter(is_public=True, by_customer=False).exists()
    assert comments.filter(is_public=False).exists()
    assert comments.filter(by_customer=True).exists()
    assert not comments.filter(by_customer=True, author__isnull=False).exists()
    assert not comments.filter(by_customer=False).exclude(author_id=F("ticket__owner_id")).exists()
    kinds = {
        (True, True): timeline.TICKET_CUSTOMER_REPLIED,
        (False, True): timeline.TICKET_REPLIED,
        (False, False): timeline.TICKET_NOTED,
    }
    events = {event.data["comment"]: event for event in TicketEvent.objects.filter(kind__in=kinds.values())}
    assert len(events) == comments.count()
    for comment in comments[:200]:
        event = events[comment.pk]
        assert event.kind == kinds[(comment.by_customer, comment.is_public)]
        assert event.ticket_id == comment.ticket_id
        assert event.is_public == comment.is_public
        assert event.occurred_at == comment.created_at


def test_generated_tickets_are_found_by_search(generated):
    ticket = Ticket.objects.filter(subject="空调不制冷").first() or Ticket.objects.first()
    found = search.matching(Ticket.objects.all(), ticket.subject)
    assert ticket in found
    assert list(search.matching(Ticket.objects.all(), ticket.number)) == [ticket]
    reply = Comment.objects.filter(is_public=True, by_customer=False).select_related("ticket").first()
    assert reply.ticket in search.matching(Ticket.objects.all(), "师傅") or "师傅" not in reply.body
    with connection.cursor() as cursor:
        column = "ticket_id" if connection.vendor == "postgresql" else "rowid"
        cursor.execute(f"SELECT COUNT(DISTINCT {column}) FROM {search.TABLE}")
        assert cursor.fetchone()[0] == Ticket.objects.count()


# --- repeatability and growth ------------------------------------------------------------------


def snapshot() -> list[tuple]:
    return list(
        Ticket.objects.order_by("number").values_list(
            "number",
            "subject",
            "status",
            "type",
            "channel",
            "priority",
            "owner__username",
            "bounce_count",
            "urge_count",
            "customer__name",
            "created_at",
        )
    )


def test_the_same_seed_gives_the_same_tickets():
    """The same seed at the same moment gives the same data set (its dates are relative to now)."""
    tickets(0, customers=30, products=60, seed=5)
    moment = timezone.now()
    runs = []
    for _attempt in range(2):
        with transaction.atomic(), mock.patch("django.utils.timezone.now", return_value=moment):
            tickets(200, seed=9)
            runs.append(
                (
                    snapshot(),
                    sorted(Comment.objects.values_list("ticket__number", "body")),
                    sorted(TicketEvent.objects.values_list("ticket__number", "kind", "occurred_at")),
                )
            )
            transaction.set_rollback(True)
    assert runs[0][0]
    assert runs[0] == runs[1]
    with transaction.atomic():
        tickets(200, seed=10)
        assert snapshot() != runs[0][0]
        transaction.set_rollback(True)


def test_a_second_run_appends_and_continues_each_days_numbers():
    tickets(300, customers=30, products=60, seed=3)
    tickets(300, seed=4)
    assert Ticket.objects.count() == 600
    numbers = list(Ticket.objects.values_list("number", flat=True))
    assert len(set(numbers)) == 600
    counters = dict(TicketNumberCounter.objects.values_list("day", "last"))
    per_day = Counter(
        timezone.localtime(at).date() for at in Ticket.objects.values_list("created_at", flat=True)
    )
    assert counters == dict(per_day)
    # the same agents serve both runs
    assert User.objects.filter(username__startswith=ticket_generator.AGENT_PREFIX).count() == 40


# --- the benchmark suite's queue measurement (no timing asserted) -------------------------------


def test_bench_queue_measurement_runs_on_a_generated_data_set(generated):
    from bench import ticket_queue

    figures = ticket_queue.measure(samples=3, warmup=1, say=lambda message: None)
    by_name = {figure.name: figure for figure in figures}
    assert by_name["agent queue 'mine': the agent's open tickets"].value == (
        Ticket.objects.open().filter(owner__username=ticket_queue.AGENT).count()
    )
    statements = [figure for figure in figures if figure.unit == "queries"]
    assert len(statements) == 4
    assert all(figure.met for figure in statements)  # the same number of statements on each page


def test_bench_queue_measurement_skips_a_data_set_without_tickets():
    from bench import ticket_queue

    assert ticket_queue.measure(samples=1, say=lambda message: None) == []


# --- the benchmark suite's options (no data set built) ------------------------------------------


def test_bench_only_and_tickets_choose_the_figures_and_name_a_data_set_of_its_own(tmp_path, monkeypatch):
    import bench
    from bench import __main__ as cli

    calls = []
    monkeypatch.setattr(cli, "run_database", lambda size, database, **options: calls.append(options) or [])
    monkeypatch.setattr(cli, "RESULTS_PATH", tmp_path / "results.json")
    monkeypatch.setattr(cli, "REPO_DIR", tmp_path)
    assert cli.main(["--size", "small", "--database", "postgres", "--only", "generate,ticket_queue"]) == 0
    assert cli.main(["--size", "small", "--database", "postgres", "--tickets", "1_000_000"]) == 0
    assert calls == [
        {"tickets": None, "only": ("generate", "ticket_queue")},
        {"tickets": 1_000_000, "only": ()},
    ]
    # the default data set keeps its name; another number of tickets is another data set
    assert bench.dataset_name("large") == "large"
    assert bench.dataset_name("large", 1_000_000) == "large_t1000000"
    assert cli._postgres_url(bench.dataset_name("large", 100)).endswith("/kefu_bench_large_t100")
    for wrong in (
        ["--only", "nothing"],
        ["--tickets", "-3"],
        ["--database", "sqlite", "--tickets", "200000"],
    ):
        with pytest.raises(SystemExit):
            cli.main(["--size", "small", *wrong])
    assert len(calls) == 2


# --- the comments and events on a connection of their own (PostgreSQL, a run that is its own
# transaction), the search rows from the tickets written


@pytest.fixture
def parallel_search(monkeypatch):
    """Runs that are their own transaction, with the comments and events on their own connection
    even for a few tickets; the search table is not a model, so no flush empties it: empty it before (an
    earlier transactional test on this worker may have left rows) and after."""
    monkeypatch.setattr(ticket_generator, "PARALLEL_FROM", 1)
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {search.TABLE}")
    yield
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {search.TABLE}")


def search_rows() -> dict[int, str]:
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT ticket_id, array_to_string(tsvector_to_array(document), ' ') FROM {search.TABLE}"
        )
        return dict(cursor.fetchall())


@pytest.mark.postgresql
@pytest.mark.django_db(transaction=True)
def test_search_rows_written_beside_the_tickets_are_what_index_ticket_writes(parallel_search):
    # A transactional test before this one on the same worker may have flushed the migrations'
    # categories: put them back the way the migration does.
    import_module("kefu.customers.migrations.0002_shipped_categories").create_categories(django_apps, None)
    result = tickets(400, customers=40, products=80, seed=11)
    assert result.count("tickets") == 400
    ids = list(Ticket.objects.values_list("id", flat=True))
    # The same words (a word in two texts appears twice in a generated row: read as one).
    written = {ticket_id: set(words.split()) for ticket_id, words in search_rows().items()}
    assert written == {ticket_id: set(words.split()) for ticket_id, words in search._ticket_texts(ids)}
    ticket = Ticket.objects.order_by("id")[123]
    assert ticket in search.matching(Ticket.objects.all(), ticket.subject)


class _RolledBack(Exception):
    pass


def timeline_rows() -> tuple[Counter, Counter, Counter]:
    """The events, comments and transfers, without what a sequence numbers (user and comment ids are read
    as the username and the comment)."""
    names = dict(User.objects.values_list("id", "username"))
    comments = {
        pk: (number, body, created_at)
        for pk, number, body, created_at in Comment.objects.values_list(
            "id", "ticket__number", "body", "created_at"
        )
    }

    def readable(data: dict) -> str:
        data = dict(data)
        if "comment" in data:
            data["comment"] = comments[data["comment"]]
        for key in ("from", "to"):
            if isinstance(data.get(key), int):
                data[key] = names[data[key]]
        return json.dumps(data, sort_keys=True, default=str, ensure_ascii=False)

    events = Counter(
        (number, customer, product, at, kind, names.get(actor), public, readable(data))
        for number, customer, product, at, kind, actor, public, data in TicketEvent.objects.values_list(
            "ticket__number",
            "customer_id",
            "product_id",
            "occurred_at",
            "kind",
            "actor_id",
            "is_public",
            "data",
        )
    )
    written = Counter(
        (number, at, names.get(author), by_customer, public, body)
        for number, at, author, by_customer, public, body in Comment.objects.values_list(
            "ticket__number", "created_at", "author_id", "by_customer", "is_public", "body"
        )
    )
    transfers = Counter(
        (number, at, names[frm], names[to], names[by], reason, is_bounce)
        for number, at, frm, to, by, reason, is_bounce in Transfer.objects.values_list(
            "ticket__number", "at", "from_user_id", "to_user_id", "by_id", "reason", "is_bounce"
        )
    )
    return events, written, transfers


@pytest.mark.postgresql
@pytest.mark.django_db(transaction=True)
def test_comments_and_events_written_beside_are_those_of_a_run_in_one_transaction(
    parallel_search, monkeypatch
):
    import_module("kefu.customers.migrations.0002_shipped_categories").create_categories(django_apps, None)
    fixed, localtime = timezone.localtime(), timezone.localtime
    monkeypatch.setattr(
        timezone, "localtime", lambda value=None, tz=None: fixed if value is None else localtime(value, tz)
    )
    in_one = None

    def in_a_callers_transaction() -> None:  # all on one connection, then rolled back
        nonlocal in_one
        with transaction.atomic():
            tickets(400, customers=40, products=80, seed=15)
            in_one = timeline_rows()
            raise _RolledBack

    with pytest.raises(_RolledBack):
        in_a_callers_transaction()
    assert not Ticket.objects.exists()
    tickets(400, customers=40, products=80, seed=15)
    beside = timeline_rows()
    assert sum(beside[0].values()) > 1000
    assert sum(beside[1].values()) > 100
    assert sum(beside[2].values()) > 100
    assert beside == in_one
    from kefu.core import bulk

    unchecked = {name for _table, name in bulk.unvalidated_keys()}
    assert "tickets_ticketevent_ticket_id_b572d14b_fk_tickets_ticket_id" in unchecked
    assert "tickets_comment_ticket_id_36a9497d_fk_tickets_ticket_id" in unchecked
    assert "tickets_transfer_ticket_id_2f4ab539_fk_tickets_ticket_id" in unchecked


@pytest.mark.postgresql
@pytest.mark.django_db(transaction=True)
def test_a_run_that_fails_after_the_search_rows_leaves_neither(parallel_search, monkeypatch):
    def fail(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(ticket_generator.bulk, "reset_sequences", fail)  # after the search rows
    with pytest.raises(RuntimeError):
        tickets(300, customers=30, seed=12)
    assert not Ticket.objects.exists()
    assert search_rows() == {}


@pytest.mark.postgresql
@pytest.mark.django_db(transaction=True)
def test_events_that_cannot_be_written_beside_roll_the_run_back(parallel_search, monkeypatch):
    def fail(*args, **kwargs):
        raise RuntimeError("out of memory")

    monkeypatch.setattr(ticket_generator, "_events_sql", fail)
    with pytest.raises(GenerateError, match="comments, transfers and events could not be written"):
        tickets(300, customers=30, seed=13)
    assert not Ticket.objects.exists()
    assert not Comment.objects.exists()
    assert search_rows() == {}


@pytest.mark.postgresql
def test_keys_come_back_in_force_but_unchecked_until_validate_keys():
    """Decision 0035: the generated rows are not checked against the foreign keys added back;
    every later write is; `manage.py validate_keys` checks the rows when asked."""
    from django.db import IntegrityError

    from kefu.core import bulk

    tickets(200, customers=20, products=40, seed=14)
    unchecked = {name for _table, name in bulk.unvalidated_keys()}
    key = "tickets_ticketevent_ticket_id_b572d14b_fk_tickets_ticket_id"
    assert key in unchecked
    event = TicketEvent.objects.first()

    def point_at_no_ticket() -> None:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("UPDATE tickets_ticketevent SET ticket_id = -1 WHERE id = %s", [event.pk])

    with pytest.raises(IntegrityError):
        point_at_no_ticket()
    out = io.StringIO()
    call_command("validate_keys", stdout=out)
    assert f"{key} checked" in out.getvalue()
    assert bulk.unvalidated_keys() == []
