"""The tickets' admin: every add and change goes through the services; the records the services
write are read-only."""

import pytest

from kefu.core.models import AuditEvent
from kefu.tickets import services
from kefu.tickets.models import Ticket, TicketEvent, Transfer
from tests.admin_pages import admin_url, form_data
from tests.factories import customer_with_phone

pytestmark = pytest.mark.django_db


@pytest.fixture
def ticket(agent):
    return services.open_ticket(
        by=agent, customer=customer_with_phone(), subject="空调不制冷", type="repair", channel="phone"
    )


def test_an_admin_add_opens_the_ticket_through_the_service(admin_client, admin_user):
    customer = customer_with_phone()
    response = admin_client.post(
        admin_url(Ticket, "add"),
        {
            "customer": customer.pk,
            "subject": "洗衣机漏水",
            "type": "repair",
            "channel": "phone",
            "priority": "normal",
            "status": "new",
        },
    )
    assert response.status_code == 302, response.content
    ticket = Ticket.objects.get()
    assert ticket.number.startswith("KF")
    assert ticket.owner == admin_user
    assert TicketEvent.objects.filter(ticket=ticket, kind="ticket_opened").exists()


def test_an_admin_change_updates_and_transitions_through_the_services(admin_client, ticket):
    page = admin_client.get(admin_url(Ticket, "change", ticket.pk))
    assert page.status_code == 200
    data = {**form_data(page), "priority": "urgent", "status": "open"}
    response = admin_client.post(admin_url(Ticket, "change", ticket.pk), data)
    assert response.status_code == 302, response.content
    ticket.refresh_from_db()
    assert (ticket.priority, ticket.status, ticket.version) == ("urgent", "open", 3)
    kinds = set(TicketEvent.objects.filter(ticket=ticket).values_list("kind", flat=True))
    assert {"ticket_updated", "ticket_status_changed"} <= kinds


def test_an_illegal_status_in_the_admin_writes_nothing(admin_client, ticket):
    page = admin_client.get(admin_url(Ticket, "change", ticket.pk))
    audit_rows = AuditEvent.objects.count()
    response = admin_client.post(
        admin_url(Ticket, "change", ticket.pk), {**form_data(page), "status": "closed", "priority": "low"}
    )
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert (ticket.status, ticket.priority, ticket.version) == ("new", "normal", 1)
    assert AuditEvent.objects.count() == audit_rows


def test_the_records_services_write_are_read_only(admin_client, ticket):
    for model in (TicketEvent, Transfer):
        assert admin_client.get(admin_url(model, "changelist")).status_code == 200
        assert admin_client.get(admin_url(model, "add")).status_code == 403
