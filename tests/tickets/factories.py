"""Factories for tickets: rows built directly, to set a scene (tests of behaviour call the services).

ticket = TicketFactory(owner=agent)                # a new repair ticket of a new customer
TicketFactory(owner=agent, status="resolved")
CommentFactory(ticket=ticket, is_public=True)
"""

import factory
from django.utils import timezone

from kefu.tickets import services
from kefu.tickets.models import Channel, Comment, Priority, Status, Ticket, TicketEvent, TicketType
from tests.factories import CustomerFactory, make_user

_SUBJECTS = ["空调不制冷", "洗衣机漏水", "冰箱噪音大", "热水器不出热水", "电视黑屏", "空调遥控失灵"]


class TicketFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Ticket
        skip_postgeneration_save = True

    number = factory.LazyFunction(services.next_ticket_number)
    customer = factory.SubFactory(CustomerFactory)
    channel = Channel.PHONE
    type = TicketType.REPAIR
    priority = Priority.NORMAL
    status = Status.NEW
    subject = factory.Sequence(lambda n: _SUBJECTS[n % len(_SUBJECTS)])
    description = "客户来电反映故障，需上门检查。"
    owner = factory.Sequence(lambda n: make_user("agent", username=f"ticket-owner-{n}"))
    team = factory.LazyAttribute(lambda ticket: ticket.owner.team)
    opened_by = factory.LazyAttribute(lambda ticket: ticket.owner)
    last_activity_at = factory.LazyFunction(timezone.now)

    @factory.post_generation
    def opened_event(self, create, extracted, **kwargs):
        """Every ticket's timeline starts with its opening, as open_ticket writes it."""
        if create:
            TicketEvent.objects.create(
                ticket=self,
                customer_id=self.customer_id,
                product_id=self.product_id,
                occurred_at=self.created_at,
                kind="ticket_opened",
                actor=self.opened_by,
                is_public=True,
                data={"number": self.number, "subject": self.subject},
            )


class CommentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Comment

    ticket = factory.SubFactory(TicketFactory)
    author = factory.LazyAttribute(lambda comment: comment.ticket.owner)
    is_public = True
    body = "已安排师傅明天上门。"
