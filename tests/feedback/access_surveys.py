"""Who may call the surveys' operations (the role × operation matrix,
tests/guards/test_access_matrix.py), as docs/user-guide.md says: everyone who works tickets
(agents, supervisors, sales, service centres, managers, administrators) reads surveys and
records an answer heard in a call; technicians and staff without a role do not. The customer's
survey is public: the signed token in the path is the credential."""

from kefu.feedback import links
from kefu.feedback.models import Survey
from kefu.tickets import services as ticket_services
from tests.guards.matrix import EVERYONE, Call, Op

READERS = frozenset({"agent", "supervisor", "sales", "centre", "manager", "admin"})


def fresh_survey(world) -> Survey:
    """A new resolved ticket of the world's customer: its unanswered survey (answers are once)."""
    ticket = ticket_services.open_ticket(
        by=world.users["agent"],
        customer=world.customer,
        subject=world.unique("回访测试"),
        type="repair",
        channel="phone",
    )
    ticket_services.transition_ticket(ticket=ticket, by=world.users["agent"], status="resolved")
    return Survey.objects.get(ticket=ticket)


def _survey(world) -> Survey:
    survey = Survey.objects.order_by("id").first()
    return survey if survey is not None else fresh_survey(world)


ACCESS = {
    "list_surveys": Op(READERS, lambda world, user: Call(query={"customer": world.customer.pk})),
    "get_survey": Op(READERS, lambda world, user: Call(path={"survey": _survey(world).pk})),
    "record_survey_answer": Op(
        READERS,
        lambda world, user: Call(path={"survey": fresh_survey(world).pk}, body={"satisfied": True}),
    ),
    "get_public_survey": Op(
        EVERYONE,
        lambda world, user: Call(path={"survey_token": links.make_token(_survey(world))}),
        public=True,
    ),
    "answer_public_survey": Op(
        EVERYONE,
        lambda world, user: Call(
            path={"survey_token": links.make_token(fresh_survey(world))},
            body={"satisfied": False, "reason": "slow", "comment": "等太久"},
        ),
        public=True,
    ),
}
