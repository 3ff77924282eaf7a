"""The customer's pages (no login): the ticket a signed link opens, with its reply box and urge
button, and the public request form. Phone first, plain HTML forms (they work without
JavaScript), Chinese or English by the language switch or the browser's Accept-Language.

Also the staff's door to a stored file (`/t/files/<id>/`): signed in, and allowed to see its
ticket (selectors.access_ticket), else 404.
"""

from functools import wraps

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from kefu.core import errors
from kefu.core.clientip import client_ip
from kefu.core.forms import StyledForm, show_service_errors
from kefu.core.validation import TEXT_MAX
from kefu.core.web import refusal
from kefu.customers.models import ProductCategory
from kefu.tickets import attachments, page_parts, portal, selectors, services
from kefu.tickets.forms import MultipleFileField
from kefu.tickets.models import Attachment, Ticket, TicketType

NOT_FOUND_PAGE = "tickets/portal/not_found.html"
TOO_MANY_PAGE = "tickets/portal/too_many.html"


class PortalReplyForm(StyledForm):
    body = forms.CharField(
        label=gettext_lazy("Your reply"),
        max_length=TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    files = MultipleFileField(
        label=gettext_lazy("Photos or PDF (optional)"),
        required=False,
        help_text=gettext_lazy("Up to 10 files, 10 MB each."),
    )


class PublicRequestForm(StyledForm):
    name = forms.CharField(label=gettext_lazy("Your name"), max_length=100)
    phone = forms.CharField(
        label=gettext_lazy("Phone"),
        max_length=40,
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel", "inputmode": "tel"}),
    )
    type = forms.ChoiceField(
        label=gettext_lazy("What do you need"), choices=TicketType.choices, initial="repair"
    )
    category = forms.ChoiceField(label=gettext_lazy("Product kind"), required=False)
    product = forms.CharField(
        label=gettext_lazy("Product (model, where bought)"),
        max_length=portal.PRODUCT_TEXT_MAX,
        required=False,
    )
    subject = forms.CharField(label=gettext_lazy("In a few words"), max_length=200)
    description = forms.CharField(
        label=gettext_lazy("What happened"),
        max_length=TEXT_MAX,
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        categories = ProductCategory.objects.order_by("sort_order", "code").values_list("code", "name")
        self.fields["category"].choices = [("", _("Not sure")), *categories]


def limit_link_requests(view):
    """A page on a customer's link: counted against its client address's limit first
    (portal.refuse_link_request_over_limit); over it, a plain page that says so (429 with
    Retry-After), and nothing read or written."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        try:
            portal.refuse_link_request_over_limit(request)
        except portal.TooManyPublicRequests as error:
            response = render(request, TOO_MANY_PAGE, {"message": error.message}, status=error.status)
            response["Retry-After"] = str(error.retry_after)
            return response
        return view(request, *args, **kwargs)

    return wrapper


def _not_found(request: HttpRequest) -> HttpResponse:
    """A link that opens nothing: said plainly, nothing else on the page."""
    return render(request, NOT_FOUND_PAGE, {"message": portal.LinkNotFound.default_message}, status=404)


def _open(request: HttpRequest, token: str) -> Ticket | None:
    try:
        return portal.open_link(token)
    except portal.LinkNotFound:
        return None


def _page(request: HttpRequest, token: str, ticket: Ticket, *, form=None, status: int = 200) -> HttpResponse:
    view = portal.public_ticket(ticket, token)
    context = {
        "view": view,
        "ticket": ticket,
        "token": token,
        "form": form or PortalReplyForm(),
        "followed_merge": portal.followed_merge(token, ticket),
        # What other apps tell the customer (what was promised), tickets.page_parts.
        "parts": page_parts.portal_parts(ticket),
    }
    return render(request, "tickets/portal/ticket.html", context, status=status)


@require_GET
@limit_link_requests
def ticket_page(request: HttpRequest, token: str) -> HttpResponse:
    ticket = _open(request, token)
    if ticket is None:
        return _not_found(request)
    return _page(request, token, ticket)


@require_POST
@limit_link_requests
def reply(request: HttpRequest, token: str) -> HttpResponse:
    ticket = _open(request, token)
    if ticket is None:
        return _not_found(request)
    form = PortalReplyForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            services.add_customer_reply(
                ticket=ticket, body=form.cleaned_data["body"], files=form.cleaned_data["files"]
            )
        except ValidationError as error:
            show_service_errors(error, form)
        except errors.Conflict as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("Thank you. Your reply was sent."))
            return redirect("portal:ticket", token=token)
    return _page(request, token, ticket, form=form, status=422)


@require_POST
@limit_link_requests
def urge(request: HttpRequest, token: str) -> HttpResponse:
    ticket = _open(request, token)
    if ticket is None:
        return _not_found(request)
    try:
        already = portal.urge(ticket)
    except errors.Conflict as error:
        messages.error(request, error.message)
    else:
        messages.success(request, portal.urge_message(already))
    return redirect("portal:ticket", token=token)


@require_GET
@limit_link_requests
def public_file(request: HttpRequest, token: str, attachment_id: int) -> HttpResponse:
    ticket = _open(request, token)
    if ticket is None:
        return _not_found(request)
    try:
        attachment = portal.public_attachment(ticket, attachment_id)
    except portal.LinkNotFound:
        return _not_found(request)
    return attachments.file_response(attachment)


@require_http_methods(["GET", "POST"])
def request_form(request: HttpRequest) -> HttpResponse:
    form = PublicRequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            ticket = portal.open_public_request(address=client_ip(request), **form.cleaned_data)
        except ValidationError as error:
            show_service_errors(error, form)
        except errors.TooManyRequests as error:
            return refusal(request, error)
        else:
            url, _expires_at = portal.portal_link(ticket, by=None, request=request)
            messages.success(
                request,
                _(
                    "Your request %(number)s was received. Keep this page's address: it shows "
                    "our progress, and you can answer us here."
                )
                % {"number": ticket.number},
            )
            return redirect(url)
    return render(
        request, "tickets/portal/request.html", {"form": form}, status=422 if form.is_bound else 200
    )


@login_required
@require_GET
def staff_file(request: HttpRequest, attachment_id: int) -> HttpResponse:
    """A stored file for staff who may see its ticket (public or not); 404 for anyone else."""
    attachment = Attachment.objects.filter(pk=attachment_id).only("pk", "ticket_id").first()
    if attachment is None:
        raise errors.NotFound()
    selectors.access_ticket(request.user, attachment.ticket_id)
    return attachments.file_response(Attachment.objects.get(pk=attachment.pk))
