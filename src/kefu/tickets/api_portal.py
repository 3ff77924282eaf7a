"""The customer's side of the API (API.md "customer portal") and the doors into tickets from
outside: portal links, attachments, public requests and the telephony screen pop.

Operations under `public/` need no credentials: `public/tickets/{token}` opens only the ticket
its signed token names (tickets.portal), `public/requests` is limited per client address. They
never show an internal note, a private file, a staff member's name or anything of the
customer's record.
"""

from typing import Annotated, Literal

from django.http import HttpRequest, HttpResponseRedirect
from django.urls import NoReverseMatch, reverse
from django.utils.http import urlencode
from ninja import Field, File, Form, Path, Query, Router, Schema
from ninja.files import UploadedFile
from ninja.responses import Status

from kefu.core.api.errors import errors
from kefu.core.api.helpers import LocalDateTime, require
from kefu.core.api.idempotency import IdempotencyKeyHeader, create_once
from kefu.core.api.parser import text_problem
from kefu.core.api.schema import TEXT_MAX, StrictSchema, max_length
from kefu.core.clientip import client_ip
from kefu.core.errors import InvalidRequest
from kefu.customers import lookups
from kefu.customers import selectors as customer_selectors
from kefu.customers.models import Customer, ProductCategory
from kefu.tickets import portal, selectors, services
from kefu.tickets.api import TicketPath
from kefu.tickets.models import Attachment, Ticket, TicketType

router = Router(tags=["customer portal"])

Token = Annotated[
    str,
    Path(
        max_length=portal.TOKEN_MAX,
        pattern=r"^[0-9A-Za-z:_-]+$",
        description="The signed token of the customer's link (its last path part).",
    ),
]
PHONE_MAX = 40
# A reply's files: optional, at most as many as the service takes at once.
REPLY_FILES = File(None, max_length=services.MAX_FILES)


# --- Schemas ----------------------------------------------------------------------------------


class PortalLinkOut(Schema):
    url: str
    expires_at: LocalDateTime


class AttachmentOut(Schema):
    id: int
    ticket: int
    name: str
    content_type: str
    size: int
    sha256: str
    public: bool
    created_at: LocalDateTime


class StepOut(Schema):
    code: Literal["received", "in_progress", "resolved", "closed"]
    label: str
    state: Literal["done", "current", "todo"]
    at: LocalDateTime | None
    note: str


class PublicFileOut(Schema):
    id: int
    name: str
    content_type: str
    size: int
    url: str


class PublicEntryOut(Schema):
    at: LocalDateTime
    kind: Literal["reply", "customer_reply", "opened", "status", "urged", "file"]
    by: Literal["staff", "customer", "system"]
    text: str
    files: list[PublicFileOut]


class PublicTicketOut(Schema):
    number: str
    subject: str
    type: str
    type_label: str
    status: str
    status_label: str
    status_text: str
    opened_at: LocalDateTime
    steps: list[StepOut]
    entries: list[PublicEntryOut]
    merged_from: list[str]
    urge_count: int
    can_reply: bool
    can_urge: bool


class PublicReplyOut(Schema):
    at: LocalDateTime
    text: str
    files: list[PublicFileOut]


class UrgeOut(Schema):
    urge_count: int
    already_urged_recently: bool
    message: str


class PublicRequestIn(StrictSchema):
    name: str = Field(max_length=100, description="The name to address the customer by.")
    phone: str = Field(max_length=PHONE_MAX, description="A phone number we can call back.")
    subject: str = Field(max_length=max_length(Ticket, "subject"))
    description: str = Field("", max_length=TEXT_MAX)
    category: str = Field(
        "", max_length=max_length(ProductCategory, "code"), description="A product category code, if known."
    )
    product: str = Field(
        "", max_length=portal.PRODUCT_TEXT_MAX, description="The product in the customer's words."
    )
    type: TicketType = TicketType.REPAIR


class PublicRequestOut(Schema):
    number: str
    url: str
    expires_at: LocalDateTime


# --- Helpers ----------------------------------------------------------------------------------


def _files_out(files: list[portal.PublicFile], request: HttpRequest) -> list[dict]:
    return [
        {
            "id": item.id,
            "name": item.name,
            "content_type": item.content_type,
            "size": item.size,
            "url": portal.absolute(item.url, request),
        }
        for item in files
    ]


def public_ticket_data(view: portal.PublicTicket, request: HttpRequest) -> dict:
    ticket = view.ticket
    return {
        "number": ticket.number,
        "subject": ticket.subject,
        "type": ticket.type,
        "type_label": str(ticket.get_type_display()),
        "status": ticket.status,
        "status_label": str(ticket.get_status_display()),
        "status_text": view.status_text,
        "opened_at": ticket.created_at,
        "steps": [vars(step) for step in view.steps],
        "entries": [
            {
                "at": entry.at,
                "kind": entry.kind,
                "by": entry.by,
                "text": entry.text,
                "files": _files_out(entry.files, request),
            }
            for entry in view.entries
        ],
        "merged_from": view.merged_from,
        "urge_count": ticket.urge_count,
        "can_reply": view.can_reply,
        "can_urge": view.can_urge,
    }


def _refuse_nul(**texts: str) -> None:
    """A form field holds no NUL or lone surrogate (the JSON parser checks JSON bodies)."""
    problems = {name: [problem] for name, value in texts.items() if (problem := text_problem(value or ""))}
    if problems:
        raise InvalidRequest(problems)


def _attachment_data(attachment: Attachment) -> dict:
    return {
        "id": attachment.pk,
        "ticket": attachment.ticket_id,
        "name": attachment.name,
        "content_type": attachment.content_type,
        "size": attachment.size,
        "sha256": attachment.sha256,
        "public": attachment.is_public,
        "created_at": attachment.created_at,
    }


# --- Staff: links and files -----------------------------------------------------------------


@router.post(
    "/tickets/{ticket}/portal-link",
    response={201: PortalLinkOut, **errors(403, 404)},
    operation_id="create_portal_link",
    summary="A link for the customer to follow and answer the ticket",
    description=(
        "A signed link that opens this ticket's page for its customer, without an account, until "
        "`expires_at` (TICKET_LINK_MAX_AGE, 30 days by default). Each link issued is audited. "
        "Anyone who may see the ticket may issue one."
    ),
)
def create_portal_link(request: HttpRequest, ticket: TicketPath):
    found = selectors.access_ticket(request.auth, ticket)
    url, expires_at = portal.portal_link(found, by=request.auth, request=request)
    return Status(201, {"url": url, "expires_at": expires_at})


@router.post(
    "/tickets/{ticket}/attachments",
    response={201: AttachmentOut, **errors(400, 403, 404, 409, 413, 415, 422)},
    operation_id="add_ticket_attachment",
    summary="Add a file (a photo or a PDF) to a ticket",
    description=(
        "Multipart: `file` and `public` (`true` or `false`; false keeps it for staff only). "
        "The type is read from the content: JPEG, PNG, GIF, WebP or PDF; anything else, or a file over "
        "TICKET_ATTACHMENT_MAX_BYTES (10 MiB by default), is a 422 with nothing written. With an "
        "`Idempotency-Key`, a retried upload (the same file and fields) answers the first one and "
        "stores the file once."
    ),
)
def add_ticket_attachment(
    request: HttpRequest,
    ticket: TicketPath,
    file: File[UploadedFile],
    public: Form[Literal["true", "false"]] = "true",
    idempotency_key: IdempotencyKeyHeader = None,
):
    found = selectors.access_ticket(request.auth, ticket, action="attach")

    def create():
        attachment = services.add_attachment(
            ticket=found, by=request.auth, upload=file, public=public == "true"
        )
        return _attachment_data(attachment)

    return create_once(request, idempotency_key, AttachmentOut, create)


# --- The customer: their link -----------------------------------------------------------------


@router.get(
    "/public/tickets/{token}",
    auth=None,
    response={200: PublicTicketOut, **errors(400, 404, 429)},
    operation_id="get_public_ticket",
    summary="The ticket a customer's link opens",
    description=(
        "Progress as steps (received → in progress → resolved → closed, a waiting state shown "
        "as it is), the public replies and files and the public events. Never an internal note, "
        "a staff member's name or the customer's record. A tampered or expired token is a 404."
    ),
)
def get_public_ticket(request: HttpRequest, token: Token):
    portal.refuse_link_request_over_limit(request)
    ticket = portal.open_link(token)
    return public_ticket_data(portal.public_ticket(ticket, token), request)


@router.post(
    "/public/tickets/{token}/replies",
    auth=None,
    response={201: PublicReplyOut, **errors(400, 404, 409, 413, 415, 422, 429)},
    operation_id="create_public_reply",
    summary="The customer answers through their link",
    description=(
        "Multipart: `body` and up to 10 `files` (photos or PDF). A ticket waiting for the "
        "customer goes back to open; the owner is told. A closed ticket takes no reply (409)."
    ),
)
def create_public_reply(
    request: HttpRequest,
    token: Token,
    body: Form[Annotated[str, Field(max_length=TEXT_MAX)]],
    files: list[UploadedFile] | None = REPLY_FILES,
):
    portal.refuse_link_request_over_limit(request)
    ticket = portal.open_link(token)
    _refuse_nul(body=body)
    comment = services.add_customer_reply(ticket=ticket, body=body, files=files or [])
    stored = [
        portal.PublicFile(
            id=item.pk,
            name=item.name,
            content_type=item.content_type,
            size=item.size,
            url=portal.public_file_url(token, item.pk),
        )
        for item in comment.attachments.order_by("pk")
    ]
    return Status(201, {"at": comment.created_at, "text": comment.body, "files": _files_out(stored, request)})


@router.post(
    "/public/tickets/{token}/urge",
    auth=None,
    response={200: UrgeOut, **errors(400, 404, 409, 429)},
    operation_id="urge_public_ticket",
    summary="The customer urges (催办) through their link",
    description=(
        "Every urge counts (urge_count + 1, on the timeline, the owner told). When an urge was "
        "already passed on in the last TICKET_URGE_NOTED_MINUTES, `already_urged_recently` is "
        "true and the message says so. A resolved or closed ticket takes no urge (409)."
    ),
)
def urge_public_ticket(request: HttpRequest, token: Token):
    portal.refuse_link_request_over_limit(request)
    ticket = portal.open_link(token)
    already = portal.urge(ticket)
    ticket.refresh_from_db(fields=["urge_count"])
    return {
        "urge_count": ticket.urge_count,
        "already_urged_recently": already,
        "message": str(portal.urge_message(already)),
    }


@router.post(
    "/public/requests",
    auth=None,
    response={201: PublicRequestOut, **errors(400, 422, 429)},
    operation_id="create_public_request",
    summary="Ask for service without an account",
    description=(
        "Opens a ticket in the unassigned queue for the customer with this phone number, or for "
        "a new customer. The answer is the same whether the number was known or not: the new "
        "ticket's number and the customer's link to it. Limited per client address "
        "(PUBLIC_REQUESTS_PER_HOUR, PUBLIC_REQUESTS_PER_DAY): beyond, 429 with Retry-After."
    ),
)
def create_public_request(request: HttpRequest, payload: PublicRequestIn):
    address = client_ip(request)
    ticket = portal.open_public_request(address=address, **payload.model_dump())
    url, expires_at = portal.portal_link(ticket, by=None, request=request)
    return Status(201, {"number": ticket.number, "url": url, "expires_at": expires_at})


# --- The telephony system's screen pop ------------------------------------------------------------


def _new_ticket_url(customer_id: int) -> str:
    try:
        base = reverse("tickets:create")
    except NoReverseMatch:
        base = "/tickets/new/"
    return f"{base}?{urlencode({'customer': customer_id})}"


def screen_pop_target(user, caller: str) -> str:
    """Where the agent's screen goes when `caller` rings: the new-ticket form for the one customer
    with that number, the search results when several have it, the new-customer form with the
    number filled in when none has (or when the number is withheld). The lookup of a whole
    number is audited and limited like any other (customers.lookups)."""
    kind, number = customer_selectors.search_kind(caller, suffixes=True)
    if kind != "phone":
        return reverse("customers:create")
    lookups.record_phone_lookup(by=user, text=caller)
    ids = customer_selectors.customers_with_phones([number])
    visible = list(
        Customer.objects.visible_to(user).filter(pk__in=ids).order_by("pk").values_list("pk", flat=True)[:2]
    )
    if len(visible) == 1:
        return _new_ticket_url(visible[0])
    if visible:
        return f"{reverse('customers:search')}?{urlencode({'q': number})}"
    return f"{reverse('customers:create')}?{urlencode({'phone': number})}"


@router.get(
    "/channels/cti/screen-pop",
    response={302: None, **errors(400, 403, 429)},
    operation_id="cti_screen_pop",
    summary="Where the agent's screen goes when a call rings",
    description=(
        "Called by the telephony system (or the agent's softphone) with the caller's number: "
        "redirects (302) to the new-ticket form for the one customer with that number, to the "
        "search results when several have it, or to the new-customer form with the number "
        "filled in when none has (an empty or withheld number: the empty form). Audited like "
        "any lookup by a whole number; a role that may not see numbers may make only so many "
        "(429 with Retry-After)."
    ),
)
def cti_screen_pop(
    request: HttpRequest,
    caller: Annotated[
        str, Query(max_length=PHONE_MAX, description="The caller's number as the exchange gives it.")
    ] = "",
):
    require(request.auth, "customers.view_customer")
    return HttpResponseRedirect(screen_pop_target(request.auth, caller))
