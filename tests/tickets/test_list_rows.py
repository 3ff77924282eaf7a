"""The lists of tickets build their rows themselves, without a model method or a schema per row:
the API's list (schemas.ticket_list_data) must write exactly what its schema would, and the
queue page's rows (views.queue_rows) must say what the ticket says, in either language."""

import datetime
import json

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from kefu.accounts.models import Team
from kefu.tickets import selectors, services
from kefu.tickets.models import Priority, Status
from kefu.tickets.schemas import TicketList, ticket_data
from kefu.tickets.views import queue_rows
from tests.factories import OwnedProductFactory, customer_with_phone, make_user
from tests.tickets.factories import TicketFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def scene(agent, supervisor):
    """Tickets of every shape a row can take: with and without product, team, tags, flags,
    resolved and closed times."""
    team = Team.objects.create(name="热线一组", supervisor=supervisor)
    agent.team = team
    agent.display_name = "王客服"
    agent.save()
    product = OwnedProductFactory()
    tickets = [
        TicketFactory(owner=agent, customer=product.customer, product=product, priority=Priority.URGENT),
        TicketFactory(owner=agent, team=None, channel="email", type="complaint", priority=Priority.LOW),
        TicketFactory(owner=agent, status=Status.PENDING_PARTS, bounce_count=2, urge_count=3),
        TicketFactory(owner=agent, status=Status.PENDING_CUSTOMER, bounce_count=1, urge_count=1),
        TicketFactory(
            owner=agent,
            status=Status.RESOLVED,
            resolved_at=timezone.now() - datetime.timedelta(hours=3),
            last_activity_at=None,
        ),
        TicketFactory(
            owner=agent, status=Status.CLOSED, resolved_at=timezone.now(), closed_at=timezone.now()
        ),
    ]
    tickets[0].tags.create(name="空调")
    tickets[0].tags.create(name="保内")
    # Owners named by their full name, or only by their username.
    named = make_user("agent", username="li", first_name="四", last_name="李", display_name="")
    bare = make_user("agent", username="zhang", display_name="")
    tickets += [TicketFactory(owner=named), TicketFactory(owner=bare)]
    return tickets


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"queue": "mine"},
        {"limit": 2},
        {"status": "pending_parts"},
        {"q": "空调"},
        {"queue": "mine", "q": "空调"},
    ],
)
def test_the_api_list_writes_what_its_schema_would(agent_client, agent, scene, params):
    services.open_ticket(
        by=agent, customer=customer_with_phone(), subject="空调不制冷", type="repair", channel="phone"
    )
    for language in ("en", "zh-hans"):
        response = agent_client.get("/api/v1/tickets", params, headers={"Accept-Language": language})

        assert response.status_code == 200, response.content
        assert response["Content-Type"] == "application/json; charset=utf-8"
        written = TicketList.model_validate(response.json()).model_dump(mode="json")
        assert response.content == json.dumps(written).encode()
        assert response.json()["items"]


def test_an_api_list_row_is_the_ticket_as_its_own_answer_gives_it(agent_client, agent, scene):
    """Each row holds what GET /tickets/{id} holds, in the caller's language."""
    page = selectors.ticket_queue(user=agent, limit=50)
    listed = {
        row["id"]: row
        for row in agent_client.get("/api/v1/tickets", HTTP_ACCEPT_LANGUAGE="zh-hans").json()["items"]
    }
    assert set(listed) == {ticket.pk for ticket in scene}
    with translation.override("zh-hans"):
        for ticket in page.items:
            whole = TicketList.model_validate({"items": [ticket_data(ticket)], "next_cursor": None})
            assert listed[ticket.pk] == whole.model_dump(mode="json")["items"][0]
    assert listed[scene[0].pk]["status_label"] == "新建"
    assert [listed[ticket.pk]["owner_name"] for ticket in scene[-2:]] == ["四 李", "zhang"]
    assert listed[scene[0].pk]["tags"] == ["保内", "空调"]


def test_the_queue_rows_say_what_the_ticket_says(agent, scene):
    tickets = selectors.ticket_queue(user=agent, queue="mine", limit=50, rows=True).items
    with translation.override("zh-hans"):
        rows = {row.id: row for row in queue_rows(agent, tickets)}
    urgent, email, bouncing, once = (rows[ticket.pk] for ticket in scene[:4])
    assert urgent.url == reverse("tickets:detail", args=[scene[0].number])
    assert urgent.status_label == "新建"
    assert (urgent.priority_label, urgent.priority_class) == (str(Priority.URGENT.label), "kf-bad")
    assert urgent.product_name == scene[0].product.model.name
    assert urgent.owner_name == "王客服"
    assert email.product_name == ""
    assert (bouncing.bounces, bouncing.is_bouncing, bouncing.urges) == ("转派 2 次", True, "催办 3 次")
    assert (once.bounces, once.is_bouncing, once.urges) == ("转派 1 次", False, "催办 1 次")
    assert (urgent.bounces, urgent.urges) == ("", "")
    created = timezone.localtime(scene[0].created_at)
    assert urgent.created_iso == created.isoformat()
    assert urgent.created_text == created.strftime("%Y-%m-%d %H:%M")
    with pytest.raises(AttributeError):
        _ = urgent.nothing


def test_the_queue_page_shows_the_rows(client, agent, scene):
    customer = customer_with_phone("+8613812345678")
    ticket = services.open_ticket(
        by=agent, customer=customer, subject="冰箱噪音大", type="repair", channel="phone", priority="high"
    )
    client.force_login(agent)

    page = client.get(reverse("tickets:queue"), {"queue": "mine"}, HTTP_ACCEPT_LANGUAGE="en").content.decode()

    assert f'href="{reverse("tickets:detail", args=[ticket.number])}"' in page
    assert "138****5678" in page
    assert "13812345678" not in page
    for flag in ("2 transfers", "urged 3 times", "1 transfer<", "urged 1 time<"):
        assert flag in page
    assert '<span aria-hidden="true">▲ </span>High' in page


def test_the_filter_bar_is_drawn_as_django_draws_it(client, agent, scene):
    """Its fields' HTML is kept per language and value (views.filter_fields): the same as the
    form draws, for a blank bar, a chosen value, a bad value and another language."""
    from kefu.tickets.forms import QueueFilterForm
    from kefu.tickets.views import filter_fields

    for data, language in (({}, "en"), ({"status": "open", "q": "空调"}, "zh-hans"), ({"status": "x"}, "en")):
        with translation.override(language):
            for _ in range(2):  # drawn, then kept
                form = QueueFilterForm(data)
                form.filters()
                assert [html for _field, html in filter_fields(form)] == [
                    str(field) for field in QueueFilterForm(data)
                ]
    client.force_login(agent)
    page = client.get(reverse("tickets:queue"), {"queue": "mine", "status": "open"}).content.decode()
    assert '<option value="open" selected>' in page
