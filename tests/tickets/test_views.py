"""The ticket screens through Django's test client: what the owner, a colleague, a supervisor,
an outsider and a technician see and may do; refusals write nothing; queue pages cost the same
queries for 3 and 30 tickets; a list and a detail page never disagree.

Assertions read the records written and the page's structure (ids, links, form errors) rather
than its words, so they hold in every language.
"""

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from kefu.accounts.models import Team
from kefu.core.models import AuditEvent
from kefu.customers import services as customer_services
from kefu.customers.models import ProductCategory, Tier
from kefu.tickets import services
from kefu.tickets.models import (
    Attachment,
    Collaborator,
    Comment,
    Status,
    Ticket,
    TicketEvent,
    TicketLink,
    Transfer,
)
from tests.factories import OwnedProductFactory, ProductModelFactory, customer_with_phone, make_user
from tests.tickets.factories import TicketFactory

pytestmark = pytest.mark.django_db

FULL = "13812345678"
MASKED = "138****5678"
PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
    b"\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82"
)
# Measured once (the test with 2 and 20 replies proves it does not grow with them).
# With the bell's unread COUNT, the promises' clocks, the survey part and the linked problems.
QUERIES_OF_A_TICKET_PAGE = 21
ELF = b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 56


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
def chen(agent):
    """陈女士, a VIP with one phone and one washing machine."""
    customer = customer_services.create_customer(
        by=agent,
        name="陈女士",
        phones=["138 1234 5678"],
        tier=Tier.VIP,
        addresses=[{"province": "重庆市", "city": "重庆市", "district": "南岸区", "detail": "南坪正街 8 号"}],
    )
    washer = ProductModelFactory(
        category=ProductCategory.objects.get(code="washing_machine"), code="XQG100-HB", name="滚筒洗衣机"
    )
    customer_services.register_product(
        by=agent,
        customer=customer,
        model=washer,
        purchased_on=datetime.date(2021, 3, 9),
        serial_number="XQG2021030900042",
    )
    return customer


@pytest.fixture
def washer(chen):
    return chen.products.get()


@pytest.fixture
def ticket(agent, team, chen, washer):
    """A repair ticket of 陈女士's washer, opened (and so owned) by the agent."""
    return services.open_ticket(
        by=agent, customer=chen, product=washer, subject="洗衣机漏水", type="repair", channel="phone"
    )


def url(name, ticket=None, **query):
    path = reverse(f"tickets:{name}", args=[ticket.number] if ticket else [])
    if query:
        path += "?" + "&".join(f"{key}={value}" for key, value in query.items())
    return path


def as_user(client, user):
    client.force_login(user)
    return client


def written(ticket) -> dict:
    """What the ticket's writes leave behind: compared before and after a refusal."""
    ticket.refresh_from_db()
    return {
        "ticket": (ticket.version, ticket.status, ticket.owner_id, ticket.bounce_count, ticket.urge_count),
        "events": TicketEvent.objects.count(),
        "comments": Comment.objects.count(),
        "transfers": Transfer.objects.count(),
        "links": TicketLink.objects.count(),
        "collaborators": Collaborator.objects.count(),
        "attachments": Attachment.objects.count(),
        "audit": AuditEvent.objects.count(),
    }


# --- The queues -----------------------------------------------------------------------------------


def queue(client, **query):
    return client.get(reverse("tickets:queue"), query)


def listed(response) -> list[str]:
    return [ticket.number for ticket in response.context["tickets"]]


def test_my_queue_lists_my_open_tickets_with_the_customer_masked(client, agent, ticket):
    TicketFactory(owner=agent, status=Status.RESOLVED)

    response = queue(as_user(client, agent))

    assert response.status_code == 200
    assert listed(response) == [ticket.number]
    html = response.content.decode()
    assert MASKED in html
    assert FULL not in html
    assert reverse("tickets:detail", args=[ticket.number]) in html


def test_a_queue_row_escapes_what_people_typed_and_links_each_cell(client, agent, chen):
    """The rows are drawn in Python (views.rows_html): every value is escaped, every cell opens the
    ticket, only the number is a tab stop."""
    typed = services.open_ticket(
        by=agent, customer=chen, subject='<script>alert("x")</script> & 漏水', type="repair", channel="phone"
    )
    Ticket.objects.filter(pk=typed.pk).update(priority="urgent", bounce_count=2, urge_count=1)

    html = queue(as_user(client, agent)).content.decode()

    assert "<script>alert" not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; 漏水" in html
    row = html[
        html.index('<tr class="kf-row-link">') : html.index("</tr>", html.index('<tr class="kf-row-link">'))
    ]
    address = reverse("tickets:detail", args=[typed.number])
    assert row.count(f'href="{address}"') == row.count("<td")
    assert row.count('tabindex="-1"') == row.count("<td") - 1
    assert "kf-flag" in row  # two transfers: bouncing
    assert "bg-orange-lt" in row  # urged
    assert "▲" in row  # urgent


def test_the_tabs_follow_the_permissions(client, agent, supervisor, technician):
    def tabs(user):
        return [tab.code for tab, _count in queue(as_user(client, user)).context["tabs"]]

    assert tabs(agent) == ["mine", "team", "unassigned", "due_soon", "breached", "all"]
    assert tabs(supervisor) == ["mine", "team", "unassigned", "flagged", "due_soon", "breached", "all"]
    assert tabs(technician) == ["mine"]


def test_an_outsider_has_no_queue_no_ticket_and_no_form(client, outsider, ticket, chen):
    as_user(client, outsider)

    assert queue(client).status_code == 403
    assert client.get(url("detail", ticket)).status_code == 403
    assert client.get(url("create", customer=chen.pk)).status_code == 403
    assert "tickets:queue" not in client.get(reverse("core:home")).content.decode()


def test_the_team_queue_holds_the_teams_tickets_and_the_supervisor_sees_it(
    client, agent, colleague, supervisor, ticket
):
    theirs = TicketFactory(owner=colleague)
    elsewhere = TicketFactory()

    team = listed(queue(as_user(client, agent), queue="team"))
    supervised = listed(queue(as_user(client, supervisor), queue="team"))

    assert set(team) == {ticket.number, theirs.number}
    assert set(supervised) == {ticket.number, theirs.number}
    assert elsewhere.number not in team


def test_the_unassigned_queue_and_taking_a_ticket(client, agent, chen):
    request = services.open_ticket(
        by=None, customer=chen, subject="官网报修", type="repair", channel="portal"
    )
    as_user(client, agent)

    assert listed(queue(client, queue="unassigned")) == [request.number]
    page = client.get(url("detail", request))
    assert page.context["can_claim"]
    assert client.post(url("claim", request)).status_code == 302

    request.refresh_from_db()
    assert request.owner == agent
    assert request.bounce_count == 0
    assert listed(queue(client, queue="unassigned")) == []
    assert listed(queue(client)) == [request.number]


def test_taking_a_ticket_somebody_owns_is_refused_and_changes_nothing(client, colleague, ticket):
    before = written(ticket)

    response = as_user(client, colleague).post(url("claim", ticket))

    assert response.status_code == 409
    assert written(ticket) == before


def test_flagged_tickets_bouncing_or_urged_for_the_supervisor(
    client, supervisor, agent, colleague, team, ticket
):
    calm = TicketFactory(owner=colleague)
    urged = TicketFactory(owner=colleague, urge_count=1)
    services.transfer_ticket(ticket=ticket, by=agent, to_user=colleague, reason="需要安装组")
    services.transfer_ticket(ticket=ticket, by=colleague, to_user=agent, reason="不是安装问题")

    response = queue(as_user(client, supervisor), queue="flagged")

    assert set(listed(response)) == {ticket.number, urged.number}
    assert calm.number not in listed(response)


def test_filters_narrow_the_queue(client, agent, ticket, chen):
    urgent = services.open_ticket(
        by=agent, customer=chen, subject="空调不制冷", type="complaint", channel="phone", priority="urgent"
    )
    services.update_ticket(ticket=urgent, by=agent, version=urgent.version, tags=["投诉升级"])
    as_user(client, agent)

    assert listed(queue(client, priority="urgent")) == [urgent.number]
    assert listed(queue(client, type="repair")) == [ticket.number]
    assert listed(queue(client, tag="投诉升级")) == [urgent.number]
    assert listed(queue(client, category="washing_machine")) == [ticket.number]
    assert set(listed(queue(client, status="new"))) == {ticket.number, urgent.number}
    assert listed(queue(client, status="resolved")) == []
    # A value the filter does not know is dropped, not an error.
    assert set(listed(queue(client, priority="nonsense"))) == {ticket.number, urgent.number}


def test_searching_every_ticket_and_a_queue_by_words(client, agent, ticket, chen):
    services.open_ticket(by=agent, customer=chen, subject="空调不制冷", type="repair", channel="phone")
    as_user(client, agent)

    everywhere = queue(client, queue="all", q="漏水")
    mine = queue(client, q="空调")

    assert listed(everywhere) == [ticket.number]
    assert listed(mine) == [Ticket.objects.get(subject="空调不制冷").number]
    assert everywhere.context["filtered"]


def test_all_tickets_lists_closed_ones_too_and_is_not_counted(client, agent, ticket):
    services.transition_ticket(ticket=ticket, by=agent, status="resolved")

    response = queue(as_user(client, agent), queue="all")

    assert listed(response) == [ticket.number]
    assert {tab.code: count for tab, count in response.context["tabs"]}["all"] is None


def test_an_empty_queue_says_what_to_do(client, agent):
    response = queue(as_user(client, agent))

    assert response.status_code == 200
    assert response.context["tickets"] == []
    assert 'class="card-body kf-empty"' in response.content.decode()


def test_the_queue_pages_with_a_cursor(client, agent):
    for _ in range(53):
        TicketFactory(owner=agent)
    as_user(client, agent)

    first = queue(client)
    second = queue(client, cursor=first.context["next_cursor"])

    assert len(first.context["tickets"]) == 50
    assert len(second.context["tickets"]) == 3
    assert second.context["next_cursor"] is None
    assert not set(listed(first)) & set(listed(second))
    assert first.context["tabs"][0][1] == "53"


def test_a_bad_cursor_starts_again_at_the_first_page(client, agent, ticket):
    response = queue(as_user(client, agent), cursor="not-a-cursor")

    assert response.status_code == 200
    assert listed(response) == [ticket.number]


@pytest.mark.parametrize("tickets", [3, 30])
def test_the_queue_page_costs_the_same_queries_for_3_and_30_tickets(
    client, agent, django_assert_num_queries, tickets
):
    for n in range(tickets):
        customer = customer_with_phone(f"+86138{n:08d}")
        OwnedProductFactory(customer=customer)
        TicketFactory(owner=agent, customer=customer, product=customer.products.get())
    as_user(client, agent)
    queue(client)  # the session and the intake account exist after the first page

    # session, user, permissions, category choices, the page (its rows show no tags), the
    # phones, the user's teams, the tabs' bounded counts (one statement, due soon and breached
    # among them), the rows' promise clocks, role label, the bell
    with django_assert_num_queries(11):
        response = queue(client)

    assert len(response.context["tickets"]) == tickets


# --- A ticket's page ------------------------------------------------------------------------------


def test_the_owner_sees_the_ticket_with_its_actions(client, agent, ticket):
    response = as_user(client, agent).get(url("detail", ticket))

    assert response.status_code == 200
    context = response.context
    assert context["can_transfer"]
    assert not context["can_claim"]
    assert [move["status"] for move in context["transitions"]] == [
        "open",
        "pending_customer",
        "pending_parts",
        "resolved",
    ]
    html = response.content.decode()
    assert 'id="transfer"' in html
    assert 'id="reply"' in html
    assert MASKED in html
    assert FULL not in html
    assert "XQG2021030900042" in html  # the product at the side


def test_the_ticket_answers_to_its_id_and_to_its_number_in_any_case(client, agent, ticket):
    as_user(client, agent)

    assert client.get(f"/tickets/{ticket.pk}/").status_code == 200
    assert client.get(f"/tickets/{ticket.number.lower()}/").status_code == 200
    assert client.get("/tickets/KF0000000000/").status_code == 404
    assert client.get("/tickets/999999999/").status_code == 404


def test_a_colleague_reads_the_ticket_but_may_not_transfer_it(client, colleague, agent, ticket):
    as_user(client, colleague)
    page = client.get(url("detail", ticket))
    before = written(ticket)

    response = client.post(url("transfer", ticket), {"to_user": colleague.pk, "reason": "我来处理"})

    assert page.status_code == 200
    assert not page.context["can_transfer"]
    assert 'id="transfer"' not in page.content.decode()
    assert response.status_code == 403
    assert written(ticket) == before


def test_a_supervisor_may_transfer_any_ticket(client, supervisor, agent, colleague, ticket):
    as_user(client, supervisor)

    assert client.get(url("detail", ticket)).context["can_transfer"]
    response = client.post(url("transfer", ticket), {"to_user": colleague.pk, "reason": "均衡工作量"})

    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.owner == colleague


def test_a_technician_opens_only_their_own_tickets(client, technician, ticket):
    theirs = TicketFactory(owner=technician)
    as_user(client, technician)

    assert client.get(url("detail", theirs)).status_code == 200
    assert client.get(url("detail", ticket)).status_code == 404
    assert client.get(f"/tickets/{ticket.pk}/").status_code == 404
    assert client.post(url("reply", ticket), {"body": "看看", "visibility": "public"}).status_code == 404
    assert listed(queue(client)) == [theirs.number]


def test_a_technician_helping_on_a_ticket_may_read_it_and_write_a_note(client, technician, agent, ticket):
    services.add_collaborator(ticket=ticket, by=agent, user=technician, note="上门检查")
    as_user(client, technician)

    page = client.get(url("detail", ticket))
    response = client.post(url("reply", ticket), {"body": "已检查，需要换密封圈", "visibility": "internal"})

    assert page.status_code == 200
    assert not page.context["transitions"]  # changing the ticket is the owner's work
    assert response.status_code == 302
    assert Comment.objects.get(ticket=ticket).author == technician


@pytest.mark.parametrize("replies", [2, 20])
def test_the_page_costs_the_same_queries_for_few_and_many_replies(
    client, agent, ticket, django_assert_num_queries, replies
):
    for n in range(replies):
        services.add_comment(ticket=ticket, by=agent, body=f"第{n}次回复", public=n % 2 == 0)
    services.add_comment(
        ticket=ticket, by=agent, body="照片", public=True, files=[SimpleUploadedFile("a.png", PNG)]
    )
    as_user(client, agent)
    client.get(url("detail", ticket))

    # session, user, permissions; the ticket, its tags, its helpers; the events, their comments,
    # the comments' files, the files' events; the phones (masked: no audit row); the customer's
    # open tickets, products; role label; who opened it; the staff to transfer to / ask for help;
    # the promises (tickets.page_parts)
    with django_assert_num_queries(QUERIES_OF_A_TICKET_PAGE):
        response = client.get(url("detail", ticket))

    assert len([e for e in response.context["events"] if e.kind == "ticket_replied"]) == replies // 2 + 1


# --- Replies, notes and files -------------------------------------------------------------------


def test_a_public_reply_and_an_internal_note(client, agent, ticket):
    as_user(client, agent)

    client.post(url("reply", ticket), {"body": "师傅明天上午到", "visibility": "public"})
    client.post(url("reply", ticket), {"body": "客户脾气急，先打电话", "visibility": "internal"})

    public, note = Comment.objects.filter(ticket=ticket).order_by("id")
    assert (public.is_public, note.is_public) == (True, False)
    html = client.get(url("detail", ticket)).content.decode()
    assert "师傅明天上午到" in html
    assert "客户脾气急，先打电话" in html
    assert "kf-entry-note" in html


def test_a_reply_carries_an_image(client, agent, ticket):
    photo = SimpleUploadedFile("漏水.png", PNG, content_type="image/png")

    response = as_user(client, agent).post(
        url("reply", ticket), {"body": "客户发来的照片", "visibility": "internal", "files": [photo]}
    )

    assert response.status_code == 302
    attachment = Attachment.objects.get()
    assert attachment.comment.body == "客户发来的照片"
    page = client.get(url("detail", ticket)).content.decode()
    download = reverse("tickets:attachment", args=[ticket.number, attachment.pk])
    assert download in page
    file = client.get(download)
    assert file.status_code == 200
    assert file["Content-Type"] == "image/png"
    assert b"".join(file.streaming_content) == PNG


def test_a_disguised_executable_is_refused_and_the_reply_kept(client, agent, ticket):
    before = written(ticket)
    fake = SimpleUploadedFile("photo.png", ELF, content_type="image/png")

    response = as_user(client, agent).post(
        url("reply", ticket), {"body": "请看附件", "visibility": "public", "files": [fake]}
    )

    assert response.status_code == 200
    assert response.context["refused"] == "reply"
    assert response.context["reply_form"].errors
    assert "请看附件" in response.content.decode()
    assert written(ticket) == before


def test_an_empty_reply_is_refused(client, agent, ticket):
    before = written(ticket)

    response = as_user(client, agent).post(url("reply", ticket), {"body": "   ", "visibility": "public"})

    assert "body" in response.context["reply_form"].errors
    assert written(ticket) == before


def test_a_file_of_another_ticket_is_not_served_through_this_one(client, agent, ticket):
    other = TicketFactory(owner=agent)
    services.add_comment(
        ticket=other,
        by=agent,
        body="照片",
        public=True,
        files=[SimpleUploadedFile("a.png", PNG, content_type="image/png")],
    )
    attachment = Attachment.objects.get()

    response = as_user(client, agent).get(reverse("tickets:attachment", args=[ticket.number, attachment.pk]))

    assert response.status_code == 404


# --- Transfers, status, urges -------------------------------------------------------------------


def test_transfer_with_a_reason_and_the_new_owner_sees_it(client, agent, colleague, ticket):
    response = as_user(client, agent).post(
        url("transfer", ticket), {"to_user": colleague.pk, "reason": "需要安装组"}
    )

    assert response.status_code == 302
    ticket.refresh_from_db()
    assert (ticket.owner, ticket.bounce_count) == (colleague, 1)
    assert Transfer.objects.get().reason == "需要安装组"
    assert listed(queue(client)) == []
    assert listed(queue(as_user(client, colleague))) == [ticket.number]


@pytest.mark.parametrize("case", ["oneself", "no reason", "inactive"])
def test_a_refused_transfer_changes_nothing_and_keeps_what_was_typed(client, agent, colleague, ticket, case):
    target = {"oneself": agent, "no reason": colleague, "inactive": colleague}[case]
    reason = "" if case == "no reason" else "交给同事"
    if case == "inactive":
        colleague.is_active = False
        colleague.save(update_fields=["is_active"])
    before = written(ticket)

    response = as_user(client, agent).post(url("transfer", ticket), {"to_user": target.pk, "reason": reason})

    assert response.status_code == 200
    assert response.context["refused"] == "transfer"
    assert response.context["transfer_form"].errors
    assert written(ticket) == before
    if reason:
        assert f'value="{reason}"' in response.content.decode()


def test_status_moves_along_the_lifecycle(client, agent, ticket):
    as_user(client, agent)

    client.post(url("status", ticket), {"status": "open", "version": ticket.version})
    ticket.refresh_from_db()
    client.post(url("status", ticket), {"status": "resolved", "version": ticket.version})

    ticket.refresh_from_db()
    assert ticket.status == Status.RESOLVED
    page = client.get(url("detail", ticket))
    assert [move["status"] for move in page.context["transitions"]] == ["open", "closed"]


def test_an_illegal_or_stale_status_move_is_refused_and_changes_nothing(client, agent, ticket):
    as_user(client, agent)
    before = written(ticket)

    illegal = client.post(url("status", ticket), {"status": "closed", "version": ticket.version})
    stale = client.post(url("status", ticket), {"status": "open", "version": ticket.version - 1})
    unversioned = client.post(url("status", ticket), {"status": "open"})

    assert illegal.status_code == 409
    assert stale.status_code == 409
    assert unversioned.status_code == 200
    assert unversioned.context["status_error"].errors
    assert written(ticket) == before


def test_an_urge_taken_by_phone(client, agent, ticket):
    response = as_user(client, agent).post(url("urge", ticket), {"note": "问师傅几点到"})

    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.urge_count == 1
    event = TicketEvent.objects.get(ticket=ticket, kind="ticket_urged")
    assert event.data["via"] == "phone"


def test_an_urge_on_a_resolved_ticket_is_refused(client, agent, ticket):
    services.transition_ticket(ticket=ticket, by=agent, status="resolved")
    before = written(ticket)

    response = as_user(client, agent).post(url("urge", ticket), {"note": "还没修好"})

    assert response.status_code == 409
    assert written(ticket) == before


def test_asking_a_colleague_to_help(client, agent, colleague, ticket):
    as_user(client, agent)

    client.post(url("collaborate", ticket), {"user": colleague.pk, "note": "帮忙联系配件"})
    again = client.post(url("collaborate", ticket), {"user": colleague.pk, "note": "再来一次"})

    assert Collaborator.objects.get().user == colleague
    assert again.context["collaborator_form"].errors
    assert Collaborator.objects.count() == 1


def test_editing_the_ticket_with_tags_and_a_stale_version(client, agent, ticket):
    as_user(client, agent)
    form = {
        "subject": "洗衣机脱水漏水",
        "description": "",
        "type": "repair",
        "priority": "high",
        "product": ticket.product_id,
        "tags": "漏水, 加急",
        "version": ticket.version,
    }

    assert client.post(url("edit", ticket), form).status_code == 302
    ticket.refresh_from_db()
    before = written(ticket)
    stale = client.post(url("edit", ticket), {**form, "subject": "旧版本的修改"})

    assert ticket.subject == "洗衣机脱水漏水"
    assert sorted(tag.name for tag in ticket.tags.all()) == ["加急", "漏水"]
    assert stale.status_code == 409
    assert "旧版本的修改" in stale.content.decode()
    assert written(ticket) == before


# --- Links and merges -----------------------------------------------------------------------------


def test_linking_two_tickets(client, agent, ticket, chen):
    other = services.open_ticket(by=agent, customer=chen, subject="又来电", type="repair", channel="phone")

    as_user(client, agent).post(url("link", other), {"to_ticket": ticket.number, "kind": "related"})

    assert TicketLink.objects.get().to_ticket == ticket


def test_linking_to_an_unknown_ticket_is_refused_beside_the_field(client, agent, ticket):
    before = written(ticket)

    response = as_user(client, agent).post(
        url("link", ticket), {"to_ticket": "KF0000000000", "kind": "related"}
    )

    assert response.context["link_form"].errors["to_ticket"]
    assert response.context["refused"] == "link"
    assert written(ticket) == before


def test_a_supervisor_merges_a_duplicate_and_the_original_shows_its_replies(
    client, supervisor, agent, ticket, chen
):
    duplicate = services.open_ticket(
        by=agent, customer=chen, subject="洗衣机漏水（重复）", type="repair", channel="phone"
    )
    services.add_comment(ticket=duplicate, by=agent, body="重复单里的回复", public=True)
    as_user(client, supervisor)

    response = client.post(url("merge", duplicate), {"into": ticket.number, "reason": "同一故障"})

    assert response.status_code == 302
    duplicate.refresh_from_db()
    assert duplicate.merged_into == ticket
    assert duplicate.status == Status.CLOSED
    assert "重复单里的回复" in client.get(url("detail", ticket)).content.decode()
    page = client.get(url("detail", duplicate))
    assert page.context["can_unmerge"]
    assert not page.context["transitions"]

    client.post(url("unmerge", duplicate))
    duplicate.refresh_from_db()
    assert duplicate.merged_into is None
    assert duplicate.status == Status.OPEN


def test_an_agent_may_not_merge(client, agent, ticket, chen):
    duplicate = services.open_ticket(by=agent, customer=chen, subject="重复", type="repair", channel="phone")
    before = written(ticket)

    page = as_user(client, agent).get(url("detail", duplicate))
    response = client.post(url("merge", duplicate), {"into": ticket.number})

    assert "merge_form" not in page.context
    assert response.status_code == 403
    assert written(ticket) == before


def test_merging_tickets_of_two_customers_is_refused(client, supervisor, ticket):
    stranger = TicketFactory()
    before = written(ticket)

    response = as_user(client, supervisor).post(url("merge", stranger), {"into": ticket.number})

    assert response.context["merge_form"].errors["into"]
    assert written(ticket) == before


# --- Opening a ticket -----------------------------------------------------------------------------


def new_ticket(client, customer, **fields):
    data = {
        "customer": customer.pk,
        "ticket-type": "repair",
        "ticket-priority": "normal",
        "ticket-channel": "phone",
        "ticket-subject": "洗衣机漏水",
        "ticket-description": "",
        **{f"ticket-{name}": value for name, value in fields.items()},
    }
    return client.post(url("create", customer=customer.pk), data)


def test_the_360_page_offers_a_new_ticket_for_the_customer_and_for_each_product(client, agent, chen, washer):
    html = as_user(client, agent).get(reverse("customers:detail", args=[chen.pk])).content.decode()

    assert f'href="/tickets/new/?customer={chen.pk}"' in html
    assert f'href="/tickets/new/?customer={chen.pk}&amp;product={washer.pk}"' in html
    assert 'id="open-tickets"' in html


def test_the_product_button_opens_the_form_with_the_product_chosen(client, agent, chen, washer):
    response = as_user(client, agent).get(url("create", customer=chen.pk, product=washer.pk))

    assert response.status_code == 200
    assert response.context["form"]["product"].value() == washer.pk
    assert [choice.pk for choice in response.context["form"].fields["product"].queryset] == [washer.pk]


def test_opening_a_ticket_from_the_form(client, agent, chen, washer):
    response = new_ticket(as_user(client, agent), chen, product=washer.pk, priority="high")

    ticket = Ticket.objects.get()
    assert response["Location"] == reverse("tickets:detail", args=[ticket.number])
    assert (ticket.owner, ticket.opened_by, ticket.product, ticket.priority) == (agent, agent, washer, "high")
    assert ticket.channel == "phone"


def test_a_product_of_another_customer_is_refused_and_nothing_is_written(client, agent, chen):
    stranger_product = OwnedProductFactory()
    audit = AuditEvent.objects.count()

    response = new_ticket(as_user(client, agent), chen, product=stranger_product.pk, subject="别人的产品")

    assert response.status_code == 200
    assert "product" in response.context["form"].errors
    assert "别人的产品" in response.content.decode()
    assert not Ticket.objects.exists()
    assert AuditEvent.objects.count() == audit


def test_an_empty_subject_is_refused(client, agent, chen):
    response = new_ticket(as_user(client, agent), chen, subject="")

    assert "subject" in response.context["form"].errors
    assert not Ticket.objects.exists()


def test_an_unknown_customer_is_404_and_no_customer_asks_to_find_one(client, agent):
    as_user(client, agent)

    assert client.get(url("create", customer=999999)).status_code == 404
    assert client.get(url("create", customer="x")).status_code == 404
    choose = client.get(url("create"))
    assert choose.status_code == 200
    assert 'action="/customers/"' in choose.content.decode()


def test_a_merged_customer_takes_no_ticket(client, supervisor, agent, chen):
    other = customer_with_phone("+8613900001111", name="陈女士")
    customer_services.merge_customers(by=supervisor, into_id=chen.pk, from_id=other.pk)
    other.refresh_from_db()

    response = new_ticket(as_user(client, agent), other)

    assert response.status_code == 409
    assert not Ticket.objects.exists()


def test_the_screen_pop_targets_open_the_form_or_the_new_customer_with_the_number(client, agent, chen):
    as_user(client, agent)

    ready = client.get(reverse("customers:detail", args=[chen.pk]) + "?new_ticket=1")
    form = client.get(url("create", customer=chen.pk))
    new_customer = client.get(reverse("customers:create") + "?phone=13900001234")

    assert 'id="new-ticket"' in ready.content.decode()
    assert form.status_code == 200
    assert new_customer.context["form"]["phones"].value() == "13900001234"


def test_the_form_on_the_360_page_opens_the_ticket(client, agent, chen, washer):
    as_user(client, agent)
    page = client.get(reverse("customers:detail", args=[chen.pk]) + "?new_ticket=1")
    assert 'name="ticket-subject"' in page.content.decode()

    new_ticket(client, chen, product=washer.pk)

    assert Ticket.objects.get().customer == chen


def test_a_technician_may_not_open_a_ticket(client, technician, chen):
    as_user(client, technician)

    assert client.get(url("create", customer=chen.pk)).status_code == 403
    assert new_ticket(client, chen).status_code == 403
    html = client.get(reverse("customers:detail", args=[chen.pk])).content.decode()
    assert "/tickets/new/" not in html
    assert not Ticket.objects.exists()


# --- The search box, the start page, the 360° card --------------------------------------------------


def test_the_search_box_opens_a_ticket_by_its_number(client, agent, ticket):
    response = as_user(client, agent).get(reverse("customers:search"), {"q": f" {ticket.number.lower()} "})

    assert response.status_code == 302
    assert response["Location"] == reverse("tickets:detail", args=[ticket.number])


def test_a_ticket_number_the_user_may_not_see_opens_nothing(client, technician, ticket):
    as_user(client, technician)

    target = client.get(reverse("customers:search"), {"q": ticket.number})["Location"]

    assert client.get(target).status_code == 404


def test_the_agents_start_page_lists_their_open_tickets(client, agent, ticket, django_assert_max_num_queries):
    as_user(client, agent)
    client.get(reverse("core:home"))

    with django_assert_max_num_queries(8):
        response = client.get(reverse("core:home"))

    html = response.content.decode()
    assert 'data-panel="tickets.mine"' in html
    assert ticket.number in html
    assert 'data-panel="tickets.flagged"' not in html
    assert MASKED in html
    assert FULL not in html


def test_the_supervisors_start_page_shows_the_team_and_the_flagged(client, supervisor, agent, ticket):
    TicketFactory(owner=agent, team=agent.team, urge_count=2)

    html = as_user(client, supervisor).get(reverse("core:home")).content.decode()

    assert 'data-panel="tickets.flagged"' in html
    assert 'data-panel="tickets.team"' in html
    assert ticket.number in html


def test_the_360_card_lists_the_customers_open_tickets(client, agent, ticket, chen):
    services.open_ticket(by=agent, customer=chen, subject="已解决的", type="repair", channel="phone")
    closed = Ticket.objects.get(subject="已解决的")
    services.transition_ticket(ticket=closed, by=agent, status="resolved")

    html = as_user(client, agent).get(reverse("customers:detail", args=[chen.pk])).content.decode()

    assert ticket.number in html
    assert closed.number not in html.split('id="open-tickets"')[1].split("</section>")[0]


# --- A list and a detail page never disagree --------------------------------------------------------


def test_every_listed_ticket_opens_and_every_hidden_one_is_listed_nowhere(
    client, agent, colleague, supervisor, technician, outsider, ticket, chen
):
    services.open_ticket(by=None, customer=chen, subject="官网报修", type="repair", channel="portal")
    helped = TicketFactory(owner=colleague, urge_count=1)
    services.add_collaborator(ticket=helped, by=colleague, user=technician)
    TicketFactory(owner=technician)
    TicketFactory(owner=supervisor, status=Status.RESOLVED)
    everything = list(Ticket.objects.all())

    for user in (agent, colleague, supervisor, technician, outsider):
        as_user(client, user)
        opens = {t.number for t in everything if client.get(url("detail", t)).status_code == 200}
        tabs = queue(client).context["tabs"] if user is not outsider else []
        for tab, _count in tabs:
            shown = set(listed(queue(client, queue=tab.code)))
            assert shown <= opens, (user, tab.code)
        if user is outsider:
            assert opens == set()
        if user is technician:
            assert opens == {t.number for t in everything if t.owner == technician or t == helped}
