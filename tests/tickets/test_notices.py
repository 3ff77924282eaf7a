"""Who tickets tell what (tickets.notices): transfers, urges, customer replies and mentions reach
the people concerned through the notifications outbox, in the transaction of the change."""

import pytest
from django.db import transaction

from kefu.accounts.models import Team
from kefu.notifications.models import Notification, OutboxMessage
from kefu.tickets import notices, services
from tests.factories import customer_with_phone, make_user

pytestmark = pytest.mark.django_db


def open_one(by):
    return services.open_ticket(
        by=by, customer=customer_with_phone(), subject="空调不制冷", type="repair", channel="phone"
    )


def notes_of(user, kind):
    return list(Notification.objects.filter(recipient=user, kind=kind))


def test_a_transfer_tells_the_new_owner_in_the_bell_and_by_email(agent):
    colleague = make_user("agent", username="colleague", email="colleague@example.com")
    ticket = open_one(agent)

    services.transfer_ticket(ticket=ticket, by=agent, to_user=colleague, reason="片区调整")

    [note] = notes_of(colleague, notices.TRANSFERRED)
    assert ticket.number in note.title
    assert "片区调整" in note.body
    assert note.link == f"/tickets/{ticket.number}/"
    assert not notes_of(agent, notices.TRANSFERRED)
    emails = OutboxMessage.objects.filter(kind=notices.TRANSFERRED, address="colleague@example.com")
    assert emails.count() == 1


def test_the_second_transfer_tells_the_teams_supervisor_that_the_ticket_bounces(agent):
    boss = make_user("supervisor", username="boss")
    team = Team.objects.create(name="重庆热线", supervisor=boss)
    first = make_user("agent", username="first", team=team)
    second = make_user("agent", username="second", team=team)
    ticket = open_one(agent)

    ticket = services.transfer_ticket(ticket=ticket, by=agent, to_user=first, reason="片区调整")
    assert not notes_of(boss, notices.BOUNCING)
    services.transfer_ticket(ticket=ticket, by=first, to_user=second, reason="不是本组产品")

    [note] = notes_of(boss, notices.BOUNCING)
    assert ticket.number in note.title


def test_an_urge_tells_the_owner(agent):
    ticket = open_one(agent)

    services.urge_ticket(ticket=ticket, by=None, via="portal", note="三天了还没人来")

    [note] = notes_of(agent, notices.URGED)
    assert ticket.number in note.title
    assert "三天了还没人来" in note.body


def test_a_customer_reply_tells_the_owner_and_the_collaborators(agent):
    helper = make_user("agent", username="helper")
    ticket = open_one(agent)
    services.add_collaborator(ticket=ticket, by=agent, user=helper)

    services.add_customer_reply(ticket=ticket, body="师傅下午几点到？")

    for person in (agent, helper):
        [note] = notes_of(person, notices.CUSTOMER_REPLIED)
        assert "师傅下午几点到" in note.body


def test_a_mention_tells_the_person_named_and_not_the_author(agent):
    make_user("agent", username="xiaowang")
    ticket = open_one(agent)

    services.add_comment(ticket=ticket, by=agent, body="@xiaowang 请帮忙查一下备件", public=False)

    assert Notification.objects.filter(kind=notices.MENTIONED, recipient__username="xiaowang").count() == 1
    assert not notes_of(agent, notices.MENTIONED)


def test_a_change_that_rolls_back_leaves_no_notice(agent):
    colleague = make_user("agent", username="colleague")
    ticket = open_one(agent)

    def transfer_then_fail():
        with transaction.atomic():
            services.transfer_ticket(ticket=ticket, by=agent, to_user=colleague, reason="片区调整")
            raise RuntimeError("the caller's transaction fails after the transfer")

    with pytest.raises(RuntimeError):
        transfer_then_fail()

    assert not Notification.objects.filter(kind=notices.TRANSFERRED).exists()
