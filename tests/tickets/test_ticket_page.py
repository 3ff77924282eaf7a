"""The ticket's page in parts: each form posted by htmx answers with the part it sits in and the
parts the action changed (out of band), a refusal with its own part and its errors; the same
forms without JavaScript post and redirect. The timeline comes in keyset pages, newest first,
with "Earlier entries" fetching the page before at the same cost whatever the page.

Assertions read the records written and the answer's structure (element ids, swap attributes,
form errors), so they hold in every language.
"""

import datetime
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from kefu.accounts.models import Team
from kefu.core.models import AuditEvent
from kefu.tickets import services, views
from kefu.tickets.models import Comment, Status, Tag, Ticket, TicketEvent
from tests.factories import customer_with_phone, make_user

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}
# Measured once; the test below proves it the same for the second page and the third.
QUERIES_OF_A_TIMELINE_PAGE = 8
# the token with its permissions (one statement, accounts.auth); the ticket; the events, their
# comments, the comments' files, files
QUERIES_OF_AN_API_TIMELINE_PAGE = 6


@pytest.fixture
def team(agent, supervisor):
    hotline = Team.objects.create(name="热线一组", supervisor=supervisor)
    agent.team = hotline
    agent.save(update_fields=["team"])
    return hotline


@pytest.fixture
def colleague(team):
    return make_user("agent", username="colleague", team=team, display_name="李客服")


@pytest.fixture
def ticket(agent, team):
    return services.open_ticket(
        by=agent,
        customer=customer_with_phone(),
        subject="洗衣机漏水",
        description="脱水时漏水，地面有积水。",
        type="repair",
        channel="phone",
    )


@pytest.fixture
def signed_in(client, agent):
    client.force_login(agent)
    return client


def url(name, ticket, **query) -> str:
    path = reverse(f"tickets:{name}", args=[ticket.number])
    if query:
        path += "?" + "&".join(f"{key}={value}" for key, value in query.items())
    return path


def htmx_post(client, path, data):
    return client.post(path, data, headers=HTMX)


def elements(html: str) -> dict[str, bool]:
    """The ids of the answer's top-level parts, each with whether it is swapped out of band."""
    found = {}
    for tag in re.finditer(
        r"<(?:section|div)\b[^>]*\bid=\"(ticket-head|timeline|reply|more-actions|ticket-flash)\"[^>]*>", html
    ):
        found[tag.group(1)] = 'hx-swap-oob="true"' in tag.group(0)
    return found


# --- Partial answers to htmx ----------------------------------------------------------------------


def test_a_reply_by_htmx_answers_the_fresh_reply_box_the_timeline_and_a_line_of_news(signed_in, ticket):
    response = htmx_post(signed_in, url("reply", ticket), {"body": "师傅明天上午到", "visibility": "public"})

    assert response.status_code == 200
    html = response.content.decode()
    assert elements(html) == {"reply": False, "timeline": True, "ticket-flash": True}
    assert Comment.objects.get(ticket=ticket).body == "师傅明天上午到"
    # The reply is on the swapped timeline; the box it was typed in is empty again.
    timeline = html[html.index('id="timeline"') :]
    assert "师傅明天上午到" in timeline
    reply_box = html[: html.index('id="timeline"')]
    assert "师傅明天上午到" not in reply_box
    # The form still carries its CSRF token, so the next reply posts too.
    assert 'name="csrfmiddlewaretoken"' in reply_box
    assert "alert-success" in html


def test_a_reply_without_javascript_still_redirects_to_the_page(signed_in, ticket):
    response = signed_in.post(url("reply", ticket), {"body": "师傅明天上午到", "visibility": "public"})

    assert response.status_code == 302
    assert response["Location"] == url("detail", ticket) + "#reply"


def test_an_empty_reply_by_htmx_answers_only_the_box_with_its_error(signed_in, ticket):
    before = (Comment.objects.count(), TicketEvent.objects.count(), AuditEvent.objects.count())

    response = htmx_post(signed_in, url("reply", ticket), {"body": "  ", "visibility": "internal"})

    assert response.status_code == 200
    html = response.content.decode()
    assert elements(html) == {"reply": False}
    assert "is-invalid" in html
    # What was chosen is kept: the internal switch stays on.
    assert re.search(r'value="internal"[^>]*checked', html)
    assert (Comment.objects.count(), TicketEvent.objects.count(), AuditEvent.objects.count()) == before


def test_a_status_change_by_htmx_answers_the_header_timeline_and_actions(signed_in, ticket):
    response = htmx_post(
        signed_in, url("status", ticket), {"status": Status.RESOLVED, "version": ticket.version}
    )

    assert response.status_code == 200
    html = response.content.decode()
    assert elements(html) == {
        "ticket-head": False,
        "timeline": True,
        "more-actions": True,
        "ticket-flash": True,
    }
    ticket.refresh_from_db()
    assert ticket.status == Status.RESOLVED
    head = html[: html.index('id="timeline"')]
    assert "kf-ok" in head  # the resolved status's colour, with its word
    assert f'name="version" value="{ticket.version}"' in head  # the next move uses the new version
    # A resolved ticket takes no urge: the actions part says so by leaving it out.
    assert 'id="urge"' not in html


def test_a_stale_status_change_by_htmx_is_a_409_the_page_swaps_in(signed_in, ticket, agent):
    services.update_ticket(ticket=ticket, by=agent, version=ticket.version, subject="洗衣机漏水严重")

    response = htmx_post(
        signed_in, url("status", ticket), {"status": Status.RESOLVED, "version": ticket.version}
    )

    assert response.status_code == 409
    assert response["X-Kefu-Refusal"] == "1"  # static/kefu/kefu.js swaps a 4xx that carries it
    html = response.content.decode()
    assert elements(html) == {"ticket-head": False}
    assert "alert-danger" in html
    assert "洗衣机漏水严重" in html  # the header as it is now
    assert Ticket.objects.get(pk=ticket.pk).status == Status.NEW


def test_a_transfer_by_htmx_shows_the_new_owner_in_the_header(signed_in, ticket, colleague):
    response = htmx_post(
        signed_in, url("transfer", ticket), {"to_user": colleague.pk, "reason": "需要安装组处理"}
    )

    assert response.status_code == 200
    html = response.content.decode()
    assert elements(html) == {
        "ticket-head": False,
        "timeline": True,
        "more-actions": True,
        "ticket-flash": True,
    }
    owner = re.search(r'id="ticket-owner">(.*?)</dd>', html, re.S).group(1)
    assert "李客服" in owner
    assert "需要安装组处理" in html[html.index('id="timeline"') :]


def test_a_transfer_without_a_reason_by_htmx_keeps_the_form_open_with_its_error(signed_in, ticket, colleague):
    response = htmx_post(signed_in, url("transfer", ticket), {"to_user": colleague.pk, "reason": ""})

    assert response.status_code == 200
    html = response.content.decode()
    assert elements(html) == {"ticket-head": False}
    assert re.search(r'<details[^>]*id="transfer"[^>]*open', html)
    assert Ticket.objects.get(pk=ticket.pk).owner_id != colleague.pk


def test_claiming_by_htmx_makes_the_header_show_the_new_owner(client, colleague):
    unassigned = services.open_ticket(
        by=None,
        customer=customer_with_phone(),
        owner=services.intake_user(),
        subject="网上报修",
        type="repair",
        channel="portal",
    )
    client.force_login(colleague)

    response = htmx_post(client, url("claim", unassigned), {})

    assert response.status_code == 200
    html = response.content.decode()
    assert "ticket-head" in elements(html)
    assert "李客服" in re.search(r'id="ticket-owner">(.*?)</dd>', html, re.S).group(1)
    assert Ticket.objects.get(pk=unassigned.pk).owner_id == colleague.pk


def test_claiming_a_ticket_somebody_owns_is_core_webs_409(client, ticket, colleague):
    client.force_login(colleague)

    page = client.post(url("claim", ticket), headers={"Referer": f"http://testserver{url('detail', ticket)}"})
    fragment = client.post(
        url("claim", ticket), headers={**HTMX, "HX-Current-URL": f"http://testserver{url('detail', ticket)}"}
    )
    elsewhere = client.post(url("claim", ticket), headers={"Referer": "https://evil.example/"})

    assert page.status_code == fragment.status_code == elsewhere.status_code == 409
    assert fragment["X-Kefu-Refusal"] == "1"
    # "Load it again" leads back to the ticket's page, not to the address the form posted to.
    for answer in (page, fragment):
        assert f'href="{url("detail", ticket)}"' in answer.content.decode()
    assert "evil.example" not in elsewhere.content.decode()
    assert Ticket.objects.get(pk=ticket.pk).owner_id != colleague.pk


def test_a_domain_validation_error_no_form_shows_is_a_422_page():
    from django.core.exceptions import ValidationError
    from django.test import RequestFactory

    from kefu.core.web import domain_errors

    @domain_errors
    def view(request):
        raise ValidationError({"by": ["王师傅 is no longer active."]})

    response = view(RequestFactory().post("/"))

    assert response.status_code == 422
    assert "王师傅 is no longer active." in response.content.decode()


def test_an_urge_by_htmx_counts_in_the_header_and_lands_on_the_timeline(signed_in, ticket):
    response = htmx_post(signed_in, url("urge", ticket), {"note": "客户问几点到"})

    assert response.status_code == 200
    html = response.content.decode()
    assert elements(html) == {
        "more-actions": False,
        "ticket-head": True,
        "timeline": True,
        "ticket-flash": True,
    }
    assert Ticket.objects.get(pk=ticket.pk).urge_count == 1
    assert "bg-orange-lt" in re.search(r'id="ticket-counts">(.*?)</span>\s*</div>', html, re.S).group(1)
    assert "客户问几点到" in html[html.index('id="timeline"') :]


def test_adding_a_tag_by_htmx_shows_it_in_the_header(signed_in, ticket):
    response = htmx_post(signed_in, url("tag", ticket), {"tag": "漏水", "version": ticket.version})

    assert response.status_code == 200
    html = response.content.decode()
    assert elements(html) == {"ticket-head": False, "timeline": True, "ticket-flash": True}
    assert "漏水" in re.search(r'id="ticket-tags">(.*?)</dd>', html, re.S).group(1)
    assert list(Ticket.objects.get(pk=ticket.pk).tags.values_list("name", flat=True)) == ["漏水"]


def test_adding_a_tag_keeps_the_others_and_without_javascript_redirects(signed_in, ticket, agent):
    services.update_ticket(ticket=ticket, by=agent, version=ticket.version, tags=["保内"])
    ticket.refresh_from_db()

    response = signed_in.post(url("tag", ticket), {"tag": "漏水", "version": ticket.version})

    assert response.status_code == 302
    assert sorted(Ticket.objects.get(pk=ticket.pk).tags.values_list("name", flat=True)) == ["保内", "漏水"]


def test_a_tag_with_spaces_or_a_stale_version_is_refused_and_nothing_written(signed_in, ticket, agent):
    spaced = htmx_post(signed_in, url("tag", ticket), {"tag": "漏水 严重", "version": ticket.version})
    old = ticket.version
    services.update_ticket(ticket=ticket, by=agent, version=ticket.version, subject="洗衣机漏水严重")
    stale = htmx_post(signed_in, url("tag", ticket), {"tag": "漏水", "version": old})

    assert spaced.status_code == 200
    assert "is-invalid" in spaced.content.decode()
    assert stale.status_code == 409
    assert re.search(r'<details[^>]*id="tag"[^>]*open', stale.content.decode())
    assert not Tag.objects.exists()


def test_the_page_itself_holds_every_part_once(signed_in, ticket):
    html = signed_in.get(url("detail", ticket)).content.decode()

    assert elements(html) == {
        "ticket-flash": False,
        "ticket-head": False,
        "timeline": False,
        "reply": False,
        "more-actions": False,
    }
    # Each of the page's forms posts without JavaScript and by htmx, to the same address.
    for form in re.finditer(r"<form\b[^>]*>", html):
        tag = form.group(0)
        if "hx-post" in tag:
            action = re.search(r'action="([^"]+)"', tag).group(1)
            assert f'hx-post="{action}"' in tag


# --- The timeline, in pages ------------------------------------------------------------------------


def add_events(ticket, agent, n: int) -> None:
    """`n` events a minute apart, a day ago: urges by phone, and in every ten a note (with its
    comment) and a file: what each page of the timeline reads with its events."""
    start = timezone.now() - datetime.timedelta(days=1)
    notes = Comment.objects.bulk_create(
        Comment(ticket=ticket, author=agent, is_public=False, body=f"第{i}条备注") for i in range(0, n, 10)
    )
    events = []
    for i in range(n):
        data = {"number": ticket.number}
        if i % 10 == 0:
            kind, public = "ticket_noted", False
            data |= {"comment": notes[i // 10].pk, "excerpt": notes[i // 10].body}
        elif i % 10 == 5:
            kind, public = "ticket_attachment_added", True
            data |= {"attachment": 10**9 + i, "name": f"照片{i}.png"}
        else:
            kind, public = "ticket_urged", True
            data |= {"via": "phone", "note": f"第{i}次催办", "urge_count": i}
        events.append(
            TicketEvent(
                ticket=ticket,
                customer_id=ticket.customer_id,
                occurred_at=start + datetime.timedelta(minutes=i),
                kind=kind,
                actor=agent,
                is_public=public,
                data=data,
            )
        )
    TicketEvent.objects.bulk_create(events)


def test_the_page_shows_the_newest_entries_oldest_of_them_on_top(signed_in, ticket, agent):
    add_events(ticket, agent, views.TIMELINE_PAGE_SIZE + 5)

    response = signed_in.get(url("detail", ticket))

    events = response.context["events"]
    assert len(events) == views.TIMELINE_PAGE_SIZE
    times = [event.occurred_at for event in events]
    assert times == sorted(times)
    newest = TicketEvent.objects.filter(ticket=ticket).order_by("-occurred_at", "-id").first()
    assert events[-1].pk == newest.pk
    assert response.context["timeline_earlier"]


def test_earlier_entries_come_page_by_page_back_to_the_opening(signed_in, ticket, agent):
    add_events(ticket, agent, 2 * views.TIMELINE_PAGE_SIZE + 3)
    total = TicketEvent.objects.filter(ticket=ticket).count()
    first = signed_in.get(url("detail", ticket))
    seen = [event.pk for event in first.context["events"]]
    before = first.context["timeline_earlier"]

    pages = 0
    while before:
        response = signed_in.get(url("timeline", ticket), {"before": before}, headers=HTMX)
        assert response.status_code == 200
        html = response.content.decode()
        # A fragment that takes the button's place: no page frame around it.
        assert "<html" not in html
        seen = [event.pk for event in response.context["events"]] + seen
        before = response.context["timeline_earlier"]
        assert ('class="kf-timeline-earlier' in html) == bool(before)
        pages += 1

    assert pages == 2
    assert len(seen) == len(set(seen)) == total
    ordered = TicketEvent.objects.filter(ticket=ticket).order_by("occurred_at", "id")
    assert seen == list(ordered.values_list("pk", flat=True))
    # The last page reaches the opening, so the description stands above it.
    assert "kf-entry-description" in html


def test_earlier_entries_without_javascript_are_the_page_at_that_point(signed_in, ticket, agent):
    add_events(ticket, agent, views.TIMELINE_PAGE_SIZE + 5)
    before = signed_in.get(url("detail", ticket)).context["timeline_earlier"]

    redirected = signed_in.get(url("timeline", ticket), {"before": before})
    page = signed_in.get(redirected["Location"])

    assert redirected.status_code == 302
    assert page.status_code == 200
    assert page.context["timeline_is_earlier_page"]
    # The newest page held the opening and 49 entries; the 6 oldest are on this one.
    assert len(page.context["events"]) == 6


def test_a_forged_earlier_link_gives_the_newest_page(signed_in, ticket):
    page = signed_in.get(url("detail", ticket), {"before": "forged.cursor"})
    fragment = signed_in.get(url("timeline", ticket), {"before": "forged.cursor"}, headers=HTMX)

    assert page.status_code == 200
    assert not page.context["timeline_is_earlier_page"]
    assert fragment.status_code == 400


def test_a_page_of_earlier_entries_costs_the_same_queries_however_deep(
    signed_in, ticket, agent, django_assert_num_queries
):
    add_events(ticket, agent, 3 * views.TIMELINE_PAGE_SIZE)
    services.add_comment(ticket=ticket, by=agent, body="先打电话", public=False)
    before = signed_in.get(url("detail", ticket)).context["timeline_earlier"]
    second = signed_in.get(url("timeline", ticket), {"before": before}, headers=HTMX)
    deeper = second.context["timeline_earlier"]

    # session, user, the user's permissions, the ticket; the events with their actors, the
    # notes among them, the notes' files, the events' own files.
    for cursor in (before, deeper):
        with django_assert_num_queries(QUERIES_OF_A_TIMELINE_PAGE):
            response = signed_in.get(url("timeline", ticket), {"before": cursor}, headers=HTMX)
        assert len(response.context["events"]) == views.TIMELINE_PAGE_SIZE


def test_an_outsider_gets_no_earlier_entries(client, ticket, outsider, agent):
    add_events(ticket, agent, views.TIMELINE_PAGE_SIZE + 1)
    client.force_login(agent)
    before = client.get(url("detail", ticket)).context["timeline_earlier"]
    client.force_login(outsider)

    response = client.get(url("timeline", ticket), {"before": before}, headers=HTMX)

    assert response.status_code in (403, 404)
    assert "备注" not in response.content.decode()


# --- The API's timeline ----------------------------------------------------------------------------


def test_the_api_timeline_pages_oldest_first_with_next_cursor_at_a_constant_cost(
    client, ticket, agent, django_assert_num_queries
):
    from kefu.accounts.services import issue_token

    add_events(ticket, agent, 120)
    headers = {"Authorization": f"Bearer {issue_token(user=agent)[1]}"}
    address = f"/api/v1/tickets/{ticket.number}/timeline"
    client.get("/api/v1/users/me", headers=headers)  # the token's last use is written once a while
    seen, cursor, costs = [], None, []
    while True:
        query = {"limit": 50, **({"cursor": cursor} if cursor else {})}
        with django_assert_num_queries(QUERIES_OF_AN_API_TIMELINE_PAGE) as counted:
            body = client.get(address, query, headers=headers).json()
        costs.append(len(counted.captured_queries))
        seen += [item["id"] for item in body["items"]]
        cursor = body["next_cursor"]
        if not cursor:
            break

    ordered = TicketEvent.objects.filter(ticket=ticket).order_by("occurred_at", "id")
    assert seen == list(ordered.values_list("pk", flat=True))
    assert len(costs) == 3
