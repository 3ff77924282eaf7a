"""The personal-data leak walk: full phone numbers reach only the people allowed to see them, and
every answer that shows one leaves its reveal row in the audit trail (DESIGN.md "Access", ADR 0008).

A customer is seeded through the services with known numbers. Then, as every role, a user without
a role, a user granted `customers.view_full_phone` and a superuser, the walk reads every GET
operation of the API's schema and every page reachable by links from the menu, the search and
the admin, and looks for the numbers in every form they may be printed in. Nothing here names a
page or an operation: a new one is walked the day it is in the schema or linked from a page.

The walk only reads (GET; no form is sent), and each user's walk is rolled back after it, so the
audit rows one user's views write do not become pages of the next user's walk. Each walk (API, UI)
is one test with its own seed, which takes a fraction of a second: a walk shared by several tests
would run once in each pytest-xdist worker that runs one of them.
"""

import datetime
import logging
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from urllib.parse import urlencode

import pytest
from django.apps import apps
from django.conf import settings
from django.contrib.admin.utils import unquote
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.db import models, transaction
from django.http import HttpResponse
from django.test import Client
from django.urls import Resolver404, resolve, reverse

from kefu.accounts.demo import STAFF
from kefu.accounts.models import User
from kefu.core.models import AuditAction, AuditEvent
from kefu.customers import privacy, services
from kefu.customers.models import Customer, LifeEventKind
from kefu.notifications import delivery
from kefu.notifications.kinds import TEST_MESSAGE
from kefu.notifications.services import notify, send_to_customer
from kefu.promises.models import PromisePolicy
from kefu.tickets import portal
from kefu.tickets import services as ticket_services
from kefu.tickets.models import Ticket
from tests.factories import ProductModelFactory
from tests.guards.leakwalk import (
    KnownNumber,
    Link,
    Sighting,
    Walk,
    WalkRules,
    WalkTooLong,
    full_numbers_in,
    known_number,
    leaks,
    links_in,
    masked_numbers_in,
)

MOBILE = "+8613971805566"
LANDLINE = "+862787654321"  # 027-8765 4321, a Wuhan landline
FORMER = "+8618627093318"  # the number the customer gave up: the audit trail still holds it
NEIGHBOUR = "+8615072635566"  # another customer, with the same last four digits as MOBILE
NAME = "陈女士"
LAST_FOUR = MOBILE[-4:]

API_SCHEMA = "/api/v1/openapi.json"
MAX_API_PAGES = 50  # pages of one list; more means the cursor never ends
ID_INTEGER_FIELDS = ("AutoField", "BigAutoField", "SmallAutoField")


# --- The world: users and the seeded archive -----------------------------------------------


@dataclass(frozen=True)
class Viewer:
    name: str
    user: User
    may_see_full: bool  # customers.reveal_phone or customers.view_full_phone
    sees_full: bool  # customers.view_full_phone: numbers in full without asking
    may_view_customers: bool


@dataclass
class World:
    viewers: list[Viewer]
    numbers: list[KnownNumber]
    current: list[KnownNumber]  # the numbers customers have now, which the pages show
    ids: dict[str, int | str]  # a path parameter's name → the id (or token) of a seeded record
    # The highest id of each table before the seed: rows of migrations and the walkers' accounts,
    # which hold no customer's data; the walk renders one admin page per route of them.
    reference: dict[type[models.Model], int]


def reference_rows() -> dict[type[models.Model], int]:
    """The highest id in each table now, before the archive is seeded."""
    return {
        model: model._default_manager.aggregate(top=models.Max("pk"))["top"] or 0
        for model in apps.get_models()
        if model._meta.pk.get_internal_type() in ID_INTEGER_FIELDS
    }


def make_viewers() -> list[Viewer]:
    """One user per role as the demo makes them (staff where the demo's are, but no superuser),
    one with no role, one granted view_full_phone directly, and a superuser. The last three are
    staff, so that the admin is walked with no right at all and with full numbers."""
    users = []
    for role, (_display_name, is_staff, _is_superuser) in STAFF.items():
        user = User.objects.create_user(username=f"walk-{role}", password=None, is_staff=is_staff)
        user.groups.add(Group.objects.get(name=role))
        users.append((str(role), user))
    users.append(("no role", User.objects.create_user(username="walk-nobody", password=None, is_staff=True)))
    full_viewer = User.objects.create_user(username="walk-full-viewer", password=None, is_staff=True)
    full_viewer.groups.add(Group.objects.get(name="agent"))
    full_viewer.user_permissions.add(
        Permission.objects.get(content_type__app_label="customers", codename="view_full_phone")
    )
    users.append(("agent with view_full_phone", full_viewer))
    superuser = User.objects.create_user(
        username="walk-superuser", password=None, is_staff=True, is_superuser=True
    )
    users.append(("superuser", superuser))
    viewers = []
    for name, user in users:
        user = User.objects.get(pk=user.pk)  # permissions are cached per object: read them afresh
        viewers.append(
            Viewer(
                name=name,
                user=user,
                may_see_full=privacy.may_reveal(user),
                sees_full=privacy.sees_in_full(user),
                may_view_customers=user.has_perm("customers.view_customer"),
            )
        )
    return viewers


def seed_archive(by: User) -> tuple[Customer, Customer, dict[str, int | str]]:
    """A customer as real work leaves one: opened, phones changed once, a product, a life event
    and a reveal, each through its service (so the audit trail and the timeline are real); and a
    neighbour whose number ends in the same four digits, so that a search lists both."""
    customer = services.create_customer(
        by=by,
        name=NAME,
        phones=[MOBILE, FORMER],
        addresses=[{"province": "湖北省", "city": "武汉市", "district": "洪山区", "detail": "珞喻路 1 号"}],
        consents={"service": True},
        consent_source="热线电话口头同意",
    )
    customer = services.update_customer(
        by=by,
        customer_id=customer.pk,
        version=customer.version,
        changes={"phones": [MOBILE, "027-8765 4321"]},
    )
    product = services.register_product(
        by=by,
        customer=customer,
        model=ProductModelFactory(),
        purchased_on=datetime.date(2021, 3, 9),
        serial_number="KF2103A7Q9",
    )
    services.record_life_event(
        by=by,
        customer=customer,
        occurred_on=datetime.date(2021, 3, 9),
        description="结婚时买的空调",
        kind=LifeEventKind.WEDDING,
        product=product,
    )
    privacy.shown_phones(by, customer, reveal=True, reason="核对来电")
    neighbour = services.create_customer(by=by, name="陈先生", phones=[NEIGHBOUR])
    ticket = seed_ticket(by, customer, product)
    ids = {
        "customer_id": customer.pk,
        "product_id": product.pk,
        "ticket": ticket.pk,
        "ticket_ref": ticket.pk,
        "token": portal.make_token(ticket),  # the customer's link to it
        "policy": PromisePolicy.objects.order_by("id").values_list("id", flat=True).first(),
    }
    return customer, neighbour, ids


def seed_ticket(by: User, customer: Customer, product) -> Ticket:
    """A ticket as the hotline leaves one: opened for the product, a public reply, an internal
    note, a transfer and an urge by phone; a second ticket merged into it. Its pages and API answers
    name the customer, and must show their numbers as the archive's pages do."""
    ticket = ticket_services.open_ticket(
        by=by, customer=customer, product=product, subject="空调不制冷", type="repair", channel="phone"
    )
    ticket_services.add_comment(ticket=ticket, by=by, body="师傅明天上午上门", public=True)
    ticket_services.add_comment(ticket=ticket, by=by, body="客户希望上午来", public=False)
    duplicate = ticket_services.open_ticket(
        by=by, customer=customer, subject="空调不制冷（重复）", type="repair", channel="portal"
    )
    ticket_services.merge_ticket(duplicate=duplicate, into=ticket, by=None)
    ticket_services.urge_ticket(ticket=ticket, by=by, via="phone", note="客户来电催促")
    colleague = User.objects.create_user(username="walk-colleague", password=None)
    colleague.groups.add(Group.objects.get(name="agent"))
    return ticket_services.transfer_ticket(ticket=ticket, by=by, to_user=colleague, reason="片区调整")


def seed_complaints(by: User, customer: Customer, ids: dict) -> None:
    """A complaint of the customer, classified (resolved although not our fault), compensated and
    escalated to HQ, linked to a problem (ids["problem"]): their cards, lists and answers."""
    from kefu.complaints import services as complaint_services
    from kefu.complaints import services_problems
    from kefu.complaints.models import ComplaintCause

    approver = User.objects.filter(groups__name="supervisor", is_active=True).first()
    ticket = ticket_services.open_ticket(
        by=by, customer=customer, subject="送错型号，客户很生气", type="complaint", channel="phone"
    )
    complaint_services.update_complaint(
        ticket=ticket,
        by=by,
        version=1,
        cause=ComplaintCause.objects.get(code="not_our_fault"),
        fault_party="third_party",
        outcome="resolved_not_our_fault",
    )
    complaint_services.add_compensation(
        ticket=ticket, by=by, kind="gift", value="99.00", approved_by=approver
    )
    complaint_services.escalate_to_hq(ticket=ticket, by=approver, reason="客户投诉到总部")
    problem = services_problems.create_problem(by=approver, title="物流错发型号", owner=approver)
    services_problems.link_ticket(problem=problem, ticket=ticket, by=by)
    ids["problem"] = problem.pk


def seed_notifications(users: list[User], customer: Customer) -> None:
    """A notification for each walker that links to the customer, and a text message to the
    customer's mobile, sent through the local gateway: the outbox's admin pages are walked."""
    notify(kind=TEST_MESSAGE, recipients=users, context={"note": NAME}, link=f"/customers/{customer.pk}/")
    send_to_customer(kind=TEST_MESSAGE, phone=MOBILE, context={"note": NAME})
    delivery.drain()


def seed_figures(customer: Customer, ids: dict) -> None:
    """The figures' rollups hold the customer: the 报表 page lists them among those at risk
    (insights), a link to their page beside their name; the API's CSV of them (ids["figure"])."""
    from django.utils import timezone

    from kefu.feedback.models import CustomerMood, SatisfactionTally
    from kefu.feedback.tallies import week_of

    CustomerMood.objects.create(customer=customer, last_unhappy_at=timezone.now())
    week = week_of(timezone.now())
    SatisfactionTally.objects.create(week=week, dimension="all", answered=3, dissatisfied=1)
    ids["figure"] = "at-risk-customers"


def seed_follow_ups(by: User, customer: Customer, ids: dict) -> None:
    """Two tickets of the customer resolved by `by`: their follow-ups (回访) in `by`'s queue, one
    done (on the customer's timeline), one to do (its page and answer: ids["follow_up"])."""
    from kefu.feedback import services_followups
    from kefu.feedback.models import FollowUp

    made = []
    for subject in ("冰箱不制冷", "洗衣机漏水"):
        ticket = ticket_services.open_ticket(
            by=by, customer=customer, subject=subject, type="repair", channel="phone"
        )
        ticket_services.transition_ticket(ticket=ticket, by=by, status="resolved")
        made.append(FollowUp.objects.get(ticket=ticket))
    services_followups.record_follow_up_outcome(follow_up=made[0], by=by, outcome="reached", notes="客户满意")
    ids["follow_up"] = made[1].pk


def seed_surveys(by: User, customer: Customer, ids: dict) -> None:
    """Two tickets of the customer resolved: one survey answered 不满意 by the link (its recovery
    case, in the supervisors' queue; ids["survey"]), one waiting (its link: ids["survey_token"])."""
    from kefu.accounts.models import Team
    from kefu.feedback import links
    from kefu.feedback import services as feedback_services
    from kefu.feedback.models import Survey

    supervisor = User.objects.filter(groups__name="supervisor", is_active=True).first()
    by.team = Team.objects.create(name="回访测试组", supervisor=supervisor)
    by.save(update_fields=["team"])
    surveys = []
    for subject in ("热水器不出热水", "油烟机噪音大"):
        ticket = ticket_services.open_ticket(
            by=by, customer=customer, subject=subject, type="repair", channel="phone"
        )
        ticket_services.transition_ticket(ticket=ticket, by=by, status="resolved")
        surveys.append(Survey.objects.get(ticket=ticket))
    feedback_services.record_survey_answer(
        survey=surveys[0], satisfied=False, reason="slow", comment="等了三天也没人联系", via="link"
    )
    ids["survey"] = surveys[0].pk
    ids["survey_token"] = links.make_token(surveys[1])


@pytest.fixture
def world(db) -> World:
    viewers = make_viewers()
    reference = reference_rows()
    agent = next(viewer.user for viewer in viewers if viewer.name == "agent")
    customer, neighbour, ids = seed_archive(agent)
    seed_follow_ups(agent, customer, ids)
    seed_notifications([viewer.user for viewer in viewers], customer)
    seed_figures(customer, ids)
    seed_complaints(agent, customer, ids)
    seed_surveys(agent, customer, ids)
    current = [known_number(MOBILE, customer.pk), known_number(LANDLINE, customer.pk)]
    current.append(known_number(NEIGHBOUR, neighbour.pk))
    numbers = [*current, known_number(FORMER, customer.pk)]
    return World(viewers=viewers, numbers=numbers, current=current, ids=ids, reference=reference)


# --- Answers and what they show ------------------------------------------------------------


@dataclass
class Answer:
    viewer: Viewer
    request: str
    status: int
    full: list[Sighting]
    masked: list[KnownNumber]
    audited: set[int]  # customers this request wrote a reveal row for, by this viewer
    leaked: list[Sighting]

    @property
    def full_numbers(self) -> set[KnownNumber]:
        return {sighting.number for sighting in self.full}


def reveal_rows(user: User) -> Counter[int]:
    """The viewer's reveal rows in the audit trail, counted per customer."""
    rows = AuditEvent.objects.filter(
        actor=user, action=AuditAction.REVEAL, target_type=ContentType.objects.get_for_model(Customer)
    ).values_list("target_id", flat=True)
    return Counter(int(target) for target in rows)


def read(client: Client, viewer: Viewer, world: World, link: Link) -> tuple[Answer, HttpResponse]:
    """GET `link` as `viewer` and judge the answer: its body and any redirect's address."""
    before = reveal_rows(viewer.user)
    response = client.get(link.url, headers=link.headers)
    after = reveal_rows(viewer.user)
    audited = {customer for customer, count in after.items() if count > before[customer]}
    text = response.content.decode(response.charset or "utf-8", errors="replace")
    text += "\n" + response.get("Location", "")
    answer = Answer(
        viewer=viewer,
        request=str(link),
        status=response.status_code,
        full=full_numbers_in(text, world.numbers),
        masked=masked_numbers_in(text, world.numbers),
        audited=audited,
        leaked=leaks(text, world.numbers, may_see_full=viewer.may_see_full, audited=audited),
    )
    return answer, response


@contextmanager
def as_viewer(viewer: Viewer) -> Iterator[Client]:
    """A logged-in client whose writes (sessions, reveal rows) are rolled back afterwards."""
    with transaction.atomic():
        client = Client()
        client.force_login(viewer.user)
        yield client
        transaction.set_rollback(True)


# --- The API walk ----------------------------------------------------------------------------


def _minimum(schema: dict) -> int | None:
    if "minimum" in schema:
        return int(schema["minimum"])
    found = [_minimum(branch) for branch in schema.get("anyOf", [])]
    return next((value for value in found if value is not None), None)


def api_requests(world: World, path: str, operation: dict) -> list[str]:
    """The requests that read `operation` for the seeded records: path ids filled, the smallest
    page (so that lists are paged), and with a search text, by last four digits and by name."""
    query: dict[str, dict] = {}
    for parameter in operation.get("parameters", []):
        name = parameter["name"]
        if parameter["in"] == "path":
            if name not in world.ids:
                raise LookupError(f"GET {path}: seed a record for {{{name}}} (World.ids)")
            path = path.replace(f"{{{name}}}", str(world.ids[name]))
        elif parameter["in"] == "query":
            query[name] = parameter
    base: dict[str, str] = {}
    if "limit" in query and (smallest := _minimum(query["limit"]["schema"])) is not None:
        base["limit"] = str(smallest)
    unknown = [name for name, p in query.items() if p.get("required") and name not in ("q", "limit")]
    if unknown:
        raise LookupError(f"GET {path}: no value for the required query parameters {unknown}")
    variants = [base]
    if "q" in query:
        variants += [{**base, "q": LAST_FOUR}, {**base, "q": NAME}]
    return [path + (f"?{urlencode(variant)}" if variant else "") for variant in variants]


def read_api(client: Client, viewer: Viewer, world: World, url: str) -> list[Answer]:
    """One request and, while the answer names a next page, the pages after it."""
    answers = []
    for _page in range(MAX_API_PAGES):
        answer, response = read(client, viewer, world, Link(url))
        answers.append(answer)
        body = response.json() if response.get("Content-Type", "").startswith("application/json") else {}
        cursor = body.get("next_cursor") if isinstance(body, dict) else None
        if not cursor:
            return answers
        url = url.split("&cursor=")[0] + ("&" if "?" in url else "?") + urlencode({"cursor": cursor})
    raise AssertionError(f"{viewer.name}: {url} still has a next page after {MAX_API_PAGES}")


def walk_api(world: World) -> list[Answer]:
    """Every GET operation of the schema, as every viewer."""
    schema = Client().get(API_SCHEMA).json()
    operations = [(path, methods["get"]) for path, methods in schema["paths"].items() if "get" in methods]
    assert operations, "the API schema lists no GET operation"
    requests = [url for path, operation in operations for url in api_requests(world, path, operation)]
    answers = []
    for viewer in world.viewers:
        with as_viewer(viewer) as client:
            for url in requests:
                answers += read_api(client, viewer, world, url)
    return answers


# --- The UI walk -----------------------------------------------------------------------------


def walk_rules(world: World) -> WalkRules:
    def sampled_route(path: str) -> str | None:
        """The route of an admin page of a row that migrations made (business days, roles …)."""
        try:
            match = resolve(path)
        except Resolver404:
            return None
        model_admin = getattr(match.func, "model_admin", None)
        object_id = match.kwargs.get("object_id")
        if model_admin is None or object_id is None:
            return None
        try:
            pk = int(unquote(object_id))
        except ValueError:
            return None
        return match.route if pk <= world.reference.get(model_admin.model, 0) else None

    skip = (settings.STATIC_URL, "/i18n/", reverse("accounts:logout"), reverse("admin:logout"))
    return WalkRules(skip_prefixes=skip, sampled_route=sampled_route)


def ui_starts(viewer: Viewer) -> list[str]:
    starts = ["/", f"/customers/?{urlencode({'q': LAST_FOUR})}", f"/customers/?{urlencode({'q': NAME})}"]
    return [*starts, reverse("admin:index")] if viewer.user.is_staff else starts


def walk_ui(world: World) -> list[Answer]:
    """Every page reachable by links from the starts, as every viewer."""
    answers: list[Answer] = []
    for viewer in world.viewers:
        with as_viewer(viewer) as client:

            def fetch(link: Link, client: Client = client, viewer: Viewer = viewer) -> HttpResponse:
                answer, response = read(client, viewer, world, link)
                answers.append(answer)
                return response

            Walk(walk_rules(world)).run(fetch, ui_starts(viewer))
    return answers


# --- What every answer must keep -------------------------------------------------------------


def leaked(answers: list[Answer]) -> list[str]:
    """Full numbers shown to a user without the right, or without the request's reveal row."""
    found = []
    for answer in answers:
        if answer.leaked:
            why = (
                "this user has no right to full numbers"
                if not answer.viewer.may_see_full
                else "this request wrote no reveal row for the customer"
            )
            shown = ", ".join(str(sighting) for sighting in answer.leaked)
            found.append(f"{answer.viewer.name}: {answer.request} → {answer.status} shows {shown}: {why}")
    return found


def masked_for_full_viewers(answers: list[Answer]) -> list[str]:
    """For a user with view_full_phone, the answers that show numbers show them in full."""
    return [
        f"{answer.viewer.name}: {answer.request} → {answer.status} shows {number} only masked, "
        "to a user who sees numbers in full"
        for answer in answers
        if answer.viewer.sees_full
        for number in answer.masked
        if number not in answer.full_numbers
    ]


def reveals_of_nothing(world: World, answers: list[Answer]) -> list[str]:
    """A reveal row says the viewer saw the customer's numbers: the answer must show one."""
    by_customer: dict[int, list[KnownNumber]] = {}
    for number in world.current:
        by_customer.setdefault(number.customer_id, []).append(number)
    return [
        f"{answer.viewer.name}: {answer.request} → {answer.status} wrote a reveal row for customer "
        f"{customer} but shows none of their numbers in full"
        for answer in answers
        for customer in sorted(answer.audited)
        if not set(by_customer.get(customer, [])) & answer.full_numbers
    ]


def unmet(world: World, answers: list[Answer]) -> list[str]:
    """So that the walk checks something: whoever may read the archive met every current number,
    masked or in full; whoever sees numbers in full met each in full, in an answer that wrote its
    reveal row."""
    missing = []
    for viewer in world.viewers:
        if not viewer.may_view_customers:
            continue
        mine = [answer for answer in answers if answer.viewer == viewer]
        for number in world.current:
            shown = [answer for answer in mine if number in answer.masked or number in answer.full_numbers]
            audited = [
                answer
                for answer in shown
                if number in answer.full_numbers and number.customer_id in answer.audited
            ]
            if not shown:
                missing.append(f"{viewer.name}: the walk never met {number}")
            elif viewer.sees_full and not audited:
                missing.append(f"{viewer.name}: the walk never met {number} in full with its reveal row")
    return missing


def report(kind: str, answers: list[Answer], problems: dict[str, list[str]]) -> str:
    lines = [f"{kind}: {len(answers)} answers walked"]
    for title, found in problems.items():
        if found:
            lines += [f"{title} ({len(found)}):", *(f"  {line}" for line in found)]
    return "\n".join(lines)


@pytest.mark.parametrize(("kind", "walk"), [("API", walk_api), ("UI", walk_ui)])
def test_full_numbers_reach_only_those_allowed_and_every_view_is_audited(kind, walk, world, caplog):
    """In every answer: no full number for a user without reveal_phone or view_full_phone; for
    the others a full number only where the same request wrote the viewer's reveal row for its
    customer, and no reveal row where nothing was shown; for a user with view_full_phone, no
    number masked only. And the walk met every
    number as each user who may read the archive (in full and audited for full viewers), so
    that it checks something. Every problem is listed, by user, request and printed form."""
    caplog.set_level(logging.ERROR, logger="django.request")  # the walk meets refusals (403) by design
    answers = walk(world)
    problems = {
        "full numbers leaked": leaked(answers),
        "masked for a user who sees numbers in full": masked_for_full_viewers(answers),
        "reveal rows for pages that showed no number": reveals_of_nothing(world, answers),
        "numbers the walk never met": unmet(world, answers),
    }
    if any(problems.values()):
        pytest.fail(report(kind, answers, problems), pytrace=False)


# --- The checker itself, on bodies whose answer is known -----------------------------------

CHECKED = [known_number("+8613812345678", 1), known_number("+862788881234", 1)]


@pytest.mark.parametrize(
    ("printed", "form"),
    [
        ("13812345678", "national digits"),
        ("+8613812345678", "E.164"),
        ("8613812345678", "international form"),
        ("+86 138 1234 5678", "international form with separators"),
        ("138 1234 5678", "national digits with separators"),
        ("138-1234-5678", "national digits with separators"),
        ("02788881234", "national digits"),
        ("027-8888 1234", "national digits with separators"),
        ("027-88881234", "national digits with separators"),
        ("(027) 8888-1234", "national digits with separators"),
        ("+862788881234", "E.164"),
        ("+86 27 8888 1234", "international form with separators"),
        ("8888 1234", "subscriber number without area code with separators"),
    ],
)
def test_the_checker_finds_a_full_number_in_any_printed_form(printed, form):
    body = f'<td class="phone">{printed}</td>'
    assert [(str(s.printed), s.form) for s in full_numbers_in(body, CHECKED)] == [(printed, form)]
    assert leaks(body, CHECKED, may_see_full=False, audited=set()) != []
    assert leaks(body, CHECKED, may_see_full=True, audited=set()) != []
    assert leaks(body, CHECKED, may_see_full=True, audited={1}) == []


def test_the_checker_lets_masked_numbers_and_other_digits_through():
    body = '{"phones": ["138****5678", "027****1234"], "id": 13812, "serial": "KF2103A7Q9"}'
    assert full_numbers_in(body, CHECKED) == []
    assert leaks(body, CHECKED, may_see_full=False, audited=set()) == []
    assert masked_numbers_in(body, CHECKED) == CHECKED


def test_a_redacted_audit_record_is_neither_a_leak_nor_a_masked_display():
    body = '{"phones": [null, ["138****5678 #3fa9c10b2e"]]}'

    assert full_numbers_in(body, CHECKED) == []
    assert masked_numbers_in(body, CHECKED) == []


def test_the_checker_catches_the_audit_trail_copying_a_number():
    """The shape of the admin's audit page: the number inside the JSON of a change."""
    body = '<pre>{\n  "phones": [\n    [\n      "+8613812345678"\n    ]\n  ]\n}</pre>'
    (sighting,) = leaks(body, CHECKED, may_see_full=True, audited=set())
    assert str(sighting) == "'+8613812345678' (E.164 of 138****5678)"


def test_the_walk_follows_links_and_htmx_but_not_logout_language_static_or_other_sites():
    html = """
      <a href="/customers/1/">x</a> <a href="/accounts/logout/">out</a> <a href="/i18n/setlang/">中</a>
      <a href="/static/kefu/kefu.css">css</a> <a href="https://example.com/">away</a> <a href="#top">top</a>
      <a href="mailto:a@example.com">m</a> <a href="?show=products&_changelist_filters=o%3D1">f</a>
      <div hx-target="#timeline">
        <p><a href="/customers/1/#timeline" hx-get="/customers/1/?show=x">t</a></p>
      </div>
      <select id="id_model" hx-get="/customers/models/"></select><img src="/media/a.png">
      <form method="post" action="/customers/1/reveal/"><button>reveal</button></form>
    """
    walk = Walk(WalkRules(skip_prefixes=("/static/", "/i18n/", "/accounts/logout/")))
    found = [(walk.normalise(href, "/customers/1/"), target) for href, target in links_in(html)]
    assert [(url, target) for url, target in found if url] == [
        ("/customers/1/", None),
        ("/customers/1/?show=products", None),
        ("/customers/1/", None),
        ("/customers/1/?show=x", "timeline"),
        ("/customers/models/", "id_model"),
    ]


def test_the_walk_follows_redirects_and_pages_keeps_one_variant_of_a_query_and_fails_at_its_bound():
    def page(link: Link) -> HttpResponse:
        number = int(link.url.split("/")[2])
        if link.url.endswith("/moved/"):
            return HttpResponse(status=302, headers={"Location": f"/page/{number}/"})
        links = [f"/page/{number + 1}/moved/", "?o=1", "?o=2", "?o=1&amp;q=x"]
        links += ["?o=&amp;cursor=c2", "?cursor=c3", "?cursor=c4"]
        html = "".join(f'<a href="{href}">{index}</a>' for index, href in enumerate(links))
        return HttpResponse(html, content_type="text/html")

    walk = Walk(WalkRules(skip_prefixes=(), max_pages=8))
    with pytest.raises(WalkTooLong, match="bound of 8 pages"):
        walk.run(page, ["/page/1/"])
    assert [str(link) for link in walk.visited] == [
        "GET /page/1/",
        "GET /page/2/moved/",
        "GET /page/1/?o=1",
        "GET /page/1/?cursor=c2",
        "GET /page/1/?cursor=c3",
        "GET /page/2/",
        "GET /page/3/moved/",
        "GET /page/2/?o=1",
    ]
