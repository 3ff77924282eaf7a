"""The intake desk (前台受理) owns the requests nobody on staff opened; it is an account, not a
person: nobody chooses it from the users list, and nothing tells it anything."""

import pytest

from kefu.accounts.services import issue_token
from kefu.accounts.system import is_system_account
from kefu.notifications.models import Notification, OutboxMessage
from kefu.tickets import services
from tests.factories import customer_with_phone

pytestmark = pytest.mark.django_db


@pytest.fixture
def intake():
    user = services.intake_user()
    user.email = "intake@example.com"  # even with an address, it is sent nothing
    user.save(update_fields=["email"])
    return user


@pytest.fixture
def unassigned(intake):
    return services.open_ticket(
        by=None,
        customer=customer_with_phone(),
        owner=intake,
        subject="网上报修",
        type="repair",
        channel="portal",
    )


def test_the_intake_desk_is_a_system_account(intake, agent):
    assert is_system_account(intake)
    assert not is_system_account(agent)


def test_the_users_list_leaves_the_intake_desk_out(client, intake, agent):
    headers = {"Authorization": f"Bearer {issue_token(user=agent)[1]}"}

    everyone = client.get("/api/v1/users", {"limit": 200}, headers=headers).json()["items"]
    searched = client.get("/api/v1/users", {"q": "intake"}, headers=headers).json()["items"]

    usernames = {user["username"] for user in everyone}
    assert "agent" in usernames
    assert services.INTAKE_USERNAME not in usernames
    assert searched == []


def test_an_urge_on_an_unassigned_ticket_notifies_nobody(unassigned, agent):
    services.urge_ticket(ticket=unassigned, by=agent, via="phone", note="客户催")
    services.urge_ticket(ticket=unassigned, via="portal")

    assert not Notification.objects.exists()
    assert not OutboxMessage.objects.exists()


def test_a_customer_reply_on_an_unassigned_ticket_notifies_nobody(unassigned):
    services.add_customer_reply(ticket=unassigned, body="还没人联系我")

    assert not Notification.objects.exists()
    assert not OutboxMessage.objects.exists()


def test_a_transfer_from_the_intake_desk_still_tells_the_new_owner(unassigned, supervisor, agent):
    services.transfer_ticket(ticket=unassigned, by=supervisor, to_user=agent, reason="分配给热线")

    assert list(Notification.objects.values_list("recipient__username", flat=True)) == ["agent"]
