"""Who may call each operation of the portal's part of the API (the role × operation matrix,
tests/guards/test_access_matrix.py).

Staff: whoever may see a ticket may issue its customer's link (a technician, on a ticket they
help with); whoever may add files adds them (not a manager, who reads). The screen pop is a
lookup in the archive, open to every role that reads it. The customer's operations are public:
the signed token in the path is the credential, and no caller needs or gets more.
"""

from dataclasses import dataclass, field

from django.core.files.uploadedfile import SimpleUploadedFile

from kefu.tickets import portal
from tests.guards.matrix import EVERY_ROLE, EVERYONE, Call, Op
from tests.tickets.test_attachments import PNG

# Everyone with a role sees some tickets: the world's ticket, which the technician helps with.
LINK_ISSUERS = EVERY_ROLE
# Hotline, supervisors, sales, centres, administrators, and a technician on their tickets.
FILE_ADDERS = EVERY_ROLE - {"manager"}
# Every role reads the archive, so every role may look a caller up (limited when numbers are hidden).
SCREEN_POPPERS = EVERY_ROLE


@dataclass
class FormCall(Call):
    """A multipart request: `form` holds the fields and files."""

    form: dict = field(default_factory=dict)


@dataclass(frozen=True)
class RedirectOp(Op):
    """An operation whose proper answer is a redirect."""

    succeeds_with: tuple[int, ...] = (302,)


def ticket(world, user):
    return Call(path={"ticket": world.ticket.pk})


def attachment(world, user):
    return FormCall(
        path={"ticket": world.ticket.pk},
        form={"file": SimpleUploadedFile("外机.png", PNG, content_type="image/png"), "public": "true"},
    )


def token(world, user):
    return Call(path={"token": portal.make_token(world.ticket)})


def reply(world, user):
    return FormCall(path={"token": portal.make_token(world.ticket)}, form={"body": "师傅几点到？"})


ACCESS = {
    "create_portal_link": Op(LINK_ISSUERS, ticket),
    "add_ticket_attachment": Op(FILE_ADDERS, attachment),
    "get_public_ticket": Op(EVERYONE, token, public=True),
    "create_public_reply": Op(EVERYONE, reply, public=True),
    "urge_public_ticket": Op(EVERYONE, token, public=True),
    "create_public_request": Op(
        EVERYONE,
        lambda world, user: Call(body={"name": "王先生", "phone": "13912345678", "subject": "洗衣机漏水"}),
        public=True,
    ),
    "cti_screen_pop": RedirectOp(SCREEN_POPPERS, lambda world, user: Call(query={"caller": "13971805566"})),
}
