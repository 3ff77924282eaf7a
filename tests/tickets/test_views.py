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


# --- Smoke ---------------------------------------------------------------------------------------


def test_the_owner_opens_the_ticket_page(client, agent, ticket):
    response = as_user(client, agent).get(url("detail", ticket))

    assert response.status_code == 200
    html = response.content.decode()
    assert ticket.number in html
    assert MASKED in html
    assert FULL not in html
