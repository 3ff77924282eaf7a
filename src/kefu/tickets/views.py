"""The ticket screens: the queues, a ticket's page and the forms that act on it, and opening a
ticket for a customer (from the 360° page, or a telephony system's screen pop).

Views stay thin: parse the form, fetch with selectors.access_ticket, call a service, render.
Every page works without JavaScript. A refused action shows the ticket's page again with the
refused form open, what was typed kept and the reason beside the field; nothing is written.
With htmx, the ticket's forms update only the parts of the page that changed (PARTS, UPDATES).
"""

import html
from dataclasses import dataclass, field

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.html import conditional_escape
from django.utils.http import urlencode
from django.utils.safestring import mark_safe
from django.utils.timesince import timesince
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from kefu.core import errors
from kefu.core.forms import show_service_errors
from kefu.core.web import REFUSAL_HEADER, domain_errors, is_htmx, require_perm
from kefu.customers import privacy
from kefu.customers import selectors as customer_selectors
from kefu.customers.models import Customer, OwnedProduct
from kefu.tickets import page_parts, selectors, services, timeline
from kefu.tickets.forms import (
    CollaboratorForm,
    EditForm,
    LinkForm,
    MergeForm,
    NewTicketForm,
    QueueFilterForm,
    ReplyForm,
    StatusForm,
    TagForm,
    TransferForm,
    UrgeForm,
)
from kefu.tickets.labels import labels
from kefu.tickets.models import BOUNCE_FLAG_AT, TRANSITIONS, Attachment, Priority, Status, Ticket

QUEUE_PAGE_SIZE = 50
# The timeline's newest entries shown at first; "Earlier entries" fetches the page before.
TIMELINE_PAGE_SIZE = 50
SIDE_PRODUCTS = 10
SIDE_TICKETS = 10
# A tab's count is exact up to this, "99+" beyond: counting stays one short index read.
COUNT_CAP = 100


# --- What every ticket screen shows the same way ----------------------------------------------

# Status by colour and word together (UI.md): grey new, blue open, orange pending, green resolved.
STATUS_CLASS = {
    Status.NEW: "kf-grey",
    Status.OPEN: "kf-blue",
    Status.PENDING_CUSTOMER: "kf-orange",
    Status.PENDING_PARTS: "kf-orange",
    Status.RESOLVED: "kf-ok",
    Status.CLOSED: "kf-grey",
}
PRIORITY_CLASS = {"urgent": "kf-bad", "high": "kf-orange", "normal": "", "low": "kf-grey"}


def decorate(ticket: Ticket, now=None) -> Ticket:
    """What a ticket is shown with: its status's and priority's classes, its age in one unit."""
    ticket.status_class = STATUS_CLASS.get(ticket.status, "kf-grey")  # type: ignore[attr-defined]
    ticket.priority_class = PRIORITY_CLASS.get(ticket.priority, "")  # type: ignore[attr-defined]
    ticket.age = timesince(ticket.created_at, now or timezone.now(), depth=1)  # type: ignore[attr-defined]
    return ticket


def with_masked_phones(user, tickets: list[Ticket]) -> list[Ticket]:
    """Set `ticket.customer_phone`, the customer's main number as `user` may see it
    (customers.privacy, the one rule): one query for the numbers, an audit row when in full."""
    customers = {ticket.customer_id: ticket.customer for ticket in tickets}
    customer_selectors.attach_phone_numbers(list(customers.values()))
    shown = privacy.shown(user, {c: c.phone_numbers[:1] for c in customers.values()})  # type: ignore[attr-defined]
    now = timezone.now()
    for ticket in tickets:
        decorate(ticket, now)
        ticket.customer_phone = next(iter(shown[ticket.customer_id]), "")  # type: ignore[attr-defined]
    return tickets


# --- Queues ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Tab:
    code: str
    label: object
    empty: object  # what the empty queue says to do next


TABS = (
    Tab(
        "mine",
        gettext_lazy("Mine"),
        gettext_lazy(
            "Nothing waits for you. Open a ticket from a customer's page, "
            "or take one from the unassigned queue."
        ),
    ),
    Tab("team", gettext_lazy("My team"), gettext_lazy("Your team has no open tickets.")),
    Tab(
        "unassigned",
        gettext_lazy("Unassigned"),
        gettext_lazy("Every ticket has an owner. Requests from the customers' form arrive here."),
    ),
    Tab(
        "flagged",
        gettext_lazy("Flagged"),
        gettext_lazy("No ticket bounces between owners, and no customer urged one."),
    ),
    # Promises (the promises app keeps Ticket.due_at): due within the next hours, and past due.
    Tab(
        "due_soon",
        gettext_lazy("Due soon"),
        gettext_lazy("No promise falls due in the next hours."),
    ),
    Tab("breached", gettext_lazy("Breached"), gettext_lazy("No open ticket has missed a promise.")),
    # Every ticket, open or not, newest first: where a search over all tickets goes.
    Tab("all", gettext_lazy("All tickets"), gettext_lazy("No ticket yet.")),
)
# The tabs whose size is counted (open tickets on a partial index); "all" is not.
COUNTED = ("mine", "team", "unassigned", "flagged", "due_soon", "breached")


def tabs_for(user) -> list[Tab]:
    """The queues a user works: their own always; the team's and the unassigned with the right to
    read every ticket; the flagged ones (bouncing, urged) for those who may reassign any ticket."""
    shown = []
    for tab in TABS:
        if tab.code in ("team", "unassigned", "all", "due_soon", "breached") and not user.has_perm(
            "tickets.view_ticket"
        ):
            continue
        if tab.code == "flagged" and not user.has_perm("tickets.transfer_any_ticket"):
            continue
        shown.append(tab)
    return shown


def tab_counts(user, codes: list[str]) -> dict[str, str]:
    """How many open tickets each queue holds, exact up to COUNT_CAP - 1 ("99+" beyond): one
    statement for every tab (selectors.queue_counts)."""
    counts = selectors.queue_counts(user, [code for code in codes if code in COUNTED], cap=COUNT_CAP)
    return {code: f"{COUNT_CAP - 1}+" if n >= COUNT_CAP else str(n) for code, n in counts.items()}


class Row(dict):
    """A queue row: what the template shows, worked out once in Python (no template tag, include
    or get_FOO_display per row). Read as `row.number` in Python; the template's lookup finds the
    key first."""

    __slots__ = ()

    def __getattr__(self, name: str):
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None


@dataclass(eq=False)
class RowCustomer:
    """A row's customer as customers.privacy needs it: the id, the name (for an audit row of a
    number shown in full), the numbers attach_phone_numbers sets. Keyed by identity."""

    pk: int
    name: str
    phone_numbers: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        return self.name


def queue_rows(user, rows) -> list[Row]:
    """The rows of a queue page from the named rows of selectors.ticket_queue(rows=True): the
    customers' main numbers as `user` may see them (one query, customers.privacy), labels from
    one map per language, flags as words, each ticket's address."""
    customers = {row.customer_id: RowCustomer(row.customer_id, row.customer__name) for row in rows}
    customer_selectors.attach_phone_numbers(list(customers.values()))
    shown = privacy.shown(user, {c: c.phone_numbers[:1] for c in customers.values()})
    statuses, priorities = labels(Status), labels(Priority)
    # Every ticket's address is this one with its number in place of the marker.
    marker = "KF00000000000"
    address = reverse("tickets:detail", args=[marker])
    now, zone = timezone.now(), timezone.get_current_timezone()
    shown_rows = []
    for row in rows:
        created = timezone.localtime(row.created_at, zone)
        bounces, urges = row.bounce_count, row.urge_count
        bounced = ngettext("%(n)s transfer", "%(n)s transfers", bounces) % {"n": bounces} if bounces else ""
        urged = ngettext("urged %(n)s time", "urged %(n)s times", urges) % {"n": urges} if urges else ""
        shown_rows.append(
            Row(
                id=row.id,
                number=row.number,
                url=address.replace(marker, row.number),
                subject=row.subject,
                status=row.status,
                status_label=statuses[row.status],
                status_class=STATUS_CLASS.get(row.status, "kf-grey"),
                priority=row.priority,
                priority_label=priorities[row.priority],
                priority_class=PRIORITY_CLASS.get(row.priority, ""),
                customer_name=row.customer__name,
                customer_phone=next(iter(shown[row.customer_id]), ""),
                product_name=row.product__model__name or "",
                owner_name=selectors.owner_name(row),
                bounces=bounced,
                is_bouncing=bounces >= BOUNCE_FLAG_AT,
                urges=urged,
                created_iso=created.isoformat(),
                created_text=created.strftime("%Y-%m-%d %H:%M"),
                age=timesince(row.created_at, now, depth=1),
            )
        )
    return shown_rows


def rows_html(rows: list[Row]) -> str:
    """The queue's table rows as HTML, each cell a link to the ticket (only the number is a tab
    stop), every value escaped here: Django's template engine took about half of the page's CPU
    time for 50 rows of some 25 values each (decision 0023's amendment, issue 12 item 10)."""

    def escape(value) -> str:
        return html.escape(str(value))

    transferred, urged = escape(_("Times transferred")), escape(_("Times the customer urged"))
    drawn = []
    for row in rows:
        url = escape(row["url"])
        link = f'<a class="kf-cell-link" href="{url}" tabindex="-1" aria-hidden="true">'
        priority_label = escape(row["priority_label"])
        if row["priority"] == "normal":
            priority = f'<span class="kf-muted">{priority_label}</span>'
        else:
            arrow = '<span aria-hidden="true">▲ </span>' if row["priority"] in ("urgent", "high") else ""
            priority = (
                f'<span class="kf-priority {escape(row["priority_class"])}">{arrow}{priority_label}</span>'
            )
        product = escape(row["product_name"]) if row["product_name"] else '<span class="kf-muted">—</span>'
        flags = ""
        if row["bounces"]:
            badge = "kf-flag" if row["is_bouncing"] else "kf-chip"
            flags += f'<span class="badge {badge}" title="{transferred}">{escape(row["bounces"])}</span>'
        flags += "\n"
        if row["urges"]:
            flags += f'<span class="badge bg-orange-lt" title="{urged}">{escape(row["urges"])}</span>'
        extra = "".join(
            f'<td class="kf-nowrap">{link}{conditional_escape(cell)}</a></td>'
            for cell in row.get("extra_cells", ())
        )
        drawn.append(
            '<tr class="kf-row-link">'
            f'<td><a class="kf-cell-link" href="{url}">'
            f'<span class="fw-bold kf-mono">{escape(row["number"])}</span>'
            f'<span class="d-block kf-subject">{escape(row["subject"])}</span></a></td>'
            f'<td class="kf-nowrap">{link}<span class="kf-status {escape(row["status_class"])}">'
            f'{escape(row["status_label"])}</span><span class="d-block small">{priority}</span></a></td>'
            f'<td>{link}{escape(row["customer_name"])}<span class="d-block kf-phone small">'
            f"{escape(row['customer_phone'])}</span></a></td>"
            f'<td class="d-none d-md-table-cell">{link}{product}</a></td>'
            f'<td class="d-none d-md-table-cell">{link}{escape(row["owner_name"])}</a></td>'
            f'<td class="d-none d-sm-table-cell">{link}{flags}</a></td>'
            f"{extra}"
            f'<td class="kf-nowrap">{link}<time datetime="{escape(row["created_iso"])}" '
            f'title="{escape(row["created_text"])}">{escape(row["age"])}</time></a></td>'
            "</tr>\n"
        )
    return mark_safe("".join(drawn))  # every value above is escaped


# The filter bar's fields as HTML, kept per language, value and choices: Django draws every
# option of a select through templates (a third of the queue page's rendering), and the bar is
# drawn the same way on almost every page. Bounded: emptied when full.
_FIELD_HTML: dict[tuple, str] = {}
FIELD_HTML_MAX = 2000


def filter_fields(form: QueueFilterForm) -> list[tuple]:
    """(bound field, its widget's HTML) for each field of the filter bar."""
    language = translation.get_language()
    drawn = []
    for bound in form:
        choices = getattr(bound.field, "choices", None)
        key = (
            language,
            bound.name,
            bound.auto_id,
            repr(bound.value()),
            bool(bound.errors),
            None if choices is None else tuple((value, str(label)) for value, label in choices),
        )
        html = _FIELD_HTML.get(key)
        if html is None:
            if len(_FIELD_HTML) >= FIELD_HTML_MAX:
                _FIELD_HTML.clear()
            html = _FIELD_HTML[key] = str(bound)
        drawn.append((bound, html))
    return drawn


@require_GET
@login_required
@domain_errors
def queue(request):
    """A queue of open tickets (mine, my team's, unassigned, flagged) or every ticket, filtered
    and searched (`q`: the words of the subject, description and replies), by keyset pages."""
    if not selectors.may_use_tickets(request.user):
        raise PermissionDenied
    tabs = tabs_for(request.user)
    codes = [tab.code for tab in tabs]
    current = request.GET.get("queue", "mine")
    if current not in codes:
        current = "mine"
    form = QueueFilterForm(request.GET)
    filters = form.filters()
    cursor = request.GET.get("cursor") or None

    def fetch(cursor=None):
        return selectors.ticket_queue(
            user=request.user,
            queue=None if current == "all" else current,
            cursor=cursor,
            limit=QUEUE_PAGE_SIZE,
            rows=True,
            **filters,
        )

    try:
        page = fetch(cursor)
    except errors.InvalidRequest:
        messages.warning(request, _("That page link has expired; here is the first page."))
        cursor = None
        page = fetch()
    counts = tab_counts(request.user, codes)
    rows = queue_rows(request.user, page.items)
    extra_columns = page_parts.row_cells(request.user, rows)
    return render(
        request,
        "tickets/queue.html",
        {
            "tabs": [(tab, counts.get(tab.code)) for tab in tabs],
            "current": next(tab for tab in tabs if tab.code == current),
            "form": form,
            "form_fields": filter_fields(form),
            "filtered": bool(filters),
            "filter_query": filters,
            "tickets": rows,
            # Columns other apps add (a promise's clock): one query each for the whole page.
            "extra_columns": extra_columns,
            "rows_html": rows_html(rows),
            "next_cursor": page.next_cursor,
            "is_next_page": cursor is not None,
        },
    )


# --- A ticket's page --------------------------------------------------------------------------
#
# The page is made of parts, each a template with its own element id: the header (number,
# status, owner, counts, the status buttons, transfer and tags), the timeline, the reply box,
# the other actions, the customer's side column and a line that says what just happened. A form
# posted by htmx (HX-Request) is answered with the part it came from, fresh or with its errors,
# and the other parts the action changed, swapped out of band: no reload, and what was typed in
# the other forms stays. Without JavaScript the same form posts and is redirected to the page.

PARTS = {
    "head": "tickets/page/head.html",
    "timeline": "tickets/page/timeline.html",
    "reply": "tickets/page/reply.html",
    "more": "tickets/page/more.html",
    "flash": "tickets/page/flash.html",
}
# What each action changes besides its own part, and the part its form sits in.
UPDATES = {
    "reply": ("reply", ("timeline", "flash")),
    "status": ("head", ("timeline", "more", "flash")),
    "claim": ("head", ("timeline", "more", "flash")),
    "transfer": ("head", ("timeline", "more", "flash")),
    "tag": ("head", ("timeline", "flash")),
    "urge": ("more", ("head", "timeline", "flash")),
    "collaborate": ("more", ("head", "timeline", "flash")),
    "link": ("more", ("timeline", "flash")),
}


def transition_label(current: str, target: str) -> str:
    """The words of the button that moves a ticket from `current` to `target`."""
    if target == Status.OPEN:
        if current in (Status.RESOLVED, Status.CLOSED):
            return _("Reopen")
        if current == Status.NEW:
            return _("Start work")
        return _("Resume work")
    return {
        Status.PENDING_CUSTOMER: _("Wait for the customer"),
        Status.PENDING_PARTS: _("Wait for parts"),
        Status.RESOLVED: _("Resolve"),
        Status.CLOSED: _("Close"),
    }.get(target, target)


TRANSITION_ORDER = (
    Status.OPEN,
    Status.PENDING_CUSTOMER,
    Status.PENDING_PARTS,
    Status.RESOLVED,
    Status.CLOSED,
)


def allowed_transitions(user, ticket: Ticket) -> list[dict]:
    """The moves the lifecycle allows from the ticket's status (models.TRANSITIONS), as buttons."""
    if not user.has_perm("tickets.change_ticket") or ticket.merged_into_id is not None:
        return []
    allowed = TRANSITIONS.get(ticket.status, frozenset())
    return [
        {
            "status": target,
            "label": transition_label(ticket.status, target),
            "primary": target == Status.RESOLVED,
        }
        for target in TRANSITION_ORDER
        if target in allowed
    ]


def may_transfer(user, ticket: Ticket) -> bool:
    """The owner, or whoever may transfer any ticket, of an open ticket not merged away."""
    if not ticket.is_open or ticket.merged_into_id is not None:
        return False
    if user.has_perm("tickets.transfer_any_ticket"):
        return True
    return ticket.owner_id == user.pk and user.has_perm("tickets.change_ticket")


def side_products(user, customer: Customer) -> list[OwnedProduct]:
    if not user.has_perm("customers.view_ownedproduct"):
        return []
    products = (
        OwnedProduct.objects.visible_to(user)
        .filter(customer=customer)
        .select_related("model__category")
        .order_by("-purchased_on", "-id")
    )
    return list(products[:SIDE_PRODUCTS])


def timeline_events(ticket: Ticket, user, before: str | None = None) -> tuple[list, str | None]:
    """One page of the ticket's timeline as the page shows it: the newest TIMELINE_PAGE_SIZE
    entries (or those just before the cursor `before`), the oldest of them on top; and the cursor
    of the entries before these (None: these reach back to the opening). A file sent with a reply
    is shown in the reply, not a second time on its own. A fixed number of queries per page."""
    page = selectors.ticket_timeline(
        ticket, user=user, cursor=before, limit=TIMELINE_PAGE_SIZE, newest_first=True
    )
    events = []
    for event in reversed(page.items):
        attachment = getattr(event, "attachment", None)
        if event.kind == timeline.TICKET_ATTACHMENT_ADDED and attachment and attachment.comment_id:
            continue
        event.text = timeline.describe(event)
        events.append(event)
    return events, page.next_cursor


def timeline_context(ticket: Ticket, user, before: str | None = None) -> dict:
    events, earlier = timeline_events(ticket, user, before)
    return {"events": events, "timeline_earlier": earlier, "timeline_is_earlier_page": before is not None}


def head_context(request: HttpRequest, ticket: Ticket, refused: dict) -> dict:
    user = request.user
    unassigned = services.is_intake(ticket.owner)
    works = user.has_perm("tickets.change_ticket")
    merged = ticket.merged_into_id is not None
    context = {
        "unassigned": unassigned,
        "transitions": allowed_transitions(user, ticket),
        "can_claim": unassigned and ticket.is_open and works,
        "can_transfer": may_transfer(user, ticket),
        "can_edit": works and not merged,
        "can_unmerge": user.has_perm("tickets.merge_ticket") and merged,
        "status_error": refused.get("status"),
        # What other apps show in the header (the promises' clocks), tickets.page_parts.
        "parts": page_parts.parts_for(request, ticket),
    }
    if context["can_transfer"]:
        context["transfer_form"] = refused.get("transfer") or TransferForm(ticket=ticket)
    if context["can_edit"]:
        context["tag_form"] = refused.get("tag") or TagForm(initial={"version": ticket.version})
    return context


def more_context(user, ticket: Ticket, refused: dict) -> dict:
    works = user.has_perm("tickets.change_ticket")
    merged = ticket.merged_into_id is not None
    context = {}
    if works and ticket.is_open and not merged:
        context["urge_form"] = refused.get("urge") or UrgeForm()
    if user.has_perm("tickets.add_collaborator") and ticket.is_open and not merged:
        context["collaborator_form"] = refused.get("collaborate") or CollaboratorForm(ticket=ticket)
    if user.has_perm("tickets.add_ticketlink"):
        context["link_form"] = refused.get("link") or LinkForm()
    if user.has_perm("tickets.merge_ticket") and not merged:
        context["merge_form"] = refused.get("merge") or MergeForm()
    return context


def side_context(user, ticket: Ticket) -> dict:
    """The customer's card, products and other open tickets. The phones are shown through
    customers.privacy (a reveal row when in full), so only a whole page asks for them."""
    customer = ticket.customer
    phones = privacy.shown_phones(user, customer) if user.has_perm("customers.view_customer") else []
    others = [
        decorate(other)
        for other in selectors.customer_open_tickets(customer, user=user)
        if other.pk != ticket.pk
    ]
    return {
        "phones": phones,
        "products": side_products(user, customer),
        "other_tickets": others[:SIDE_TICKETS],
    }


ALL_PARTS = ("head", "timeline", "reply", "more", "side")


def ticket_context(
    request: HttpRequest,
    ticket: Ticket,
    refused: dict | None = None,
    *,
    parts: tuple[str, ...] = ALL_PARTS,
    before: str | None = None,
) -> dict:
    """What the ticket's page shows, of the `parts` asked for (each read only when asked).
    `refused`: the form a refusal sends back (bound, with its errors) by name, shown open in
    place of an empty one. `before`: the timeline's page before this cursor, not the newest."""
    user = request.user
    refused = refused or {}
    decorate(ticket)
    context: dict = {
        "ticket": ticket,
        "customer": ticket.customer,
        "refused": next(iter(refused), ""),
        "can_reply": user.has_perm("tickets.add_comment") and ticket.merged_into_id is None,
    }
    if "head" in parts:
        context.update(head_context(request, ticket, refused))
    if "timeline" in parts:
        context.update(timeline_context(ticket, user, before))
    if "reply" in parts:
        context["reply_form"] = refused.get("reply") or ReplyForm()
    if "more" in parts:
        context.update(more_context(user, ticket, refused))
    if "side" in parts:
        context.update(side_context(user, ticket))
    return context


def render_ticket(
    request, ticket: Ticket, refused: dict | None = None, *, status: int = 200, before: str | None = None
) -> HttpResponse:
    context = ticket_context(request, ticket, refused, before=before)
    return render(request, "tickets/detail.html", context, status=status)


def render_parts(
    request, ticket: Ticket, action: str, *, refused: dict | None = None, flash: str = "", status: int = 200
) -> HttpResponse:
    """The answer to an htmx form: the part the form sits in (fresh, or `refused` with its
    errors) and, after a success, the other parts `action` changed, out of band. A refusal
    answers only its own part; its 4xx status carries core.web's header so that htmx swaps it."""
    target, others = UPDATES[action]
    if refused:
        others = ()
    context = ticket_context(request, ticket, refused, parts=(target, *others))
    context["flash"] = flash
    html = [render_to_string(PARTS[target], {**context, "oob": False}, request)]
    html += [render_to_string(PARTS[name], {**context, "oob": True}, request) for name in others]
    response = HttpResponse("".join(html), status=status)
    if status >= 400:
        response[REFUSAL_HEADER] = "1"
    return response


def done(request, ticket: Ticket, action: str, message: str, anchor: str = "") -> HttpResponse:
    """A successful action: the changed parts for htmx, else the page again (post/redirect/get)."""
    if is_htmx(request):
        return render_parts(request, fresh(request, ticket), action, flash=message)
    messages.success(request, message)
    return to_ticket(ticket, anchor)


def show_refused(request, ticket: Ticket, action: str, form, *, refetch: bool = False) -> HttpResponse:
    """A refused action: its form again, with the reasons and what was typed (the part for htmx,
    the whole page otherwise). `refetch`: show the ticket as it is now (a stale version)."""
    if refetch:
        ticket = fresh(request, ticket)
    if is_htmx(request):
        return render_parts(request, ticket, action, refused={action: form}, status=refused_status(form))
    return render_ticket(request, ticket, {action: form}, status=refused_status(form))


def fresh(request, ticket: Ticket) -> Ticket:
    """The ticket as it is after the action, with what its header shows."""
    return selectors.ticket_detail(request.user, ticket.pk)


@require_GET
@login_required
@domain_errors
def detail(request, ref: str):
    """The ticket's page; `?before=<cursor>`: its timeline's earlier entries (the link that the
    "Earlier entries" button is without JavaScript)."""
    ticket = selectors.ticket_detail(request.user, ref)
    before = request.GET.get("before") or None
    try:
        return render_ticket(request, ticket, before=before)
    except errors.InvalidRequest:
        messages.warning(request, _("That page link has expired; here is the first page."))
        return render_ticket(request, ticket)


@require_GET
@login_required
@domain_errors
def timeline_page(request, ref: str):
    """The timeline's entries before the cursor `before`, for the "Earlier entries" button: the
    fragment that takes the button's place (htmx), or the ticket's page at that point."""
    ticket = selectors.access_ticket(request.user, ref)
    before = request.GET.get("before") or None
    if not is_htmx(request):
        query = f"?{urlencode({'before': before})}" if before else ""
        return redirect(reverse("tickets:detail", args=[ticket.number]) + query + "#timeline")
    context = {"ticket": ticket, **timeline_context(ticket, request.user, before)}
    return render(request, "tickets/page/timeline_page.html", context)


@require_GET
@login_required
@domain_errors
def attachment(request, ref: str, pk: int):
    """A file of the ticket (or of a duplicate merged into it), to whoever may see the ticket."""
    ticket = selectors.access_ticket(request.user, ref)
    try:
        # The ticket's timeline shows the files of the duplicates merged into it too.
        files = Attachment.objects.filter(Q(ticket=ticket) | Q(ticket__merged_into=ticket))
        file = files.get(pk=pk)
    except Attachment.DoesNotExist:
        raise errors.NotFound() from None
    response = FileResponse(file.file.open("rb"), content_type=file.content_type, filename=file.name)
    response["X-Content-Type-Options"] = "nosniff"
    return response


def to_ticket(ticket: Ticket, anchor: str = "") -> HttpResponse:
    return redirect(reverse("tickets:detail", args=[ticket.number]) + (f"#{anchor}" if anchor else ""))


# The refusals a form shows: a field's value (422) or the record's state (409). A refusal of
# access (403, 404) or a limit (429) is not the form's: @domain_errors answers it.
REFUSALS = (ValidationError, errors.InvalidRequest, errors.Conflict)


def refuse(form, error: Exception) -> None:
    """Put a service's refusal on `form`: beside the fields it names, the rest above it."""
    fields = getattr(error, "fields", None)
    if isinstance(error, ValidationError):
        show_service_errors(error, form)
    elif fields and all(name in form.fields for name in fields):
        show_service_errors(ValidationError(fields), form)
    else:
        form.add_error(None, str(getattr(error, "message", error)))


def refused_status(form) -> int:
    """A form refused because of the record's state (a stale version, a move the lifecycle does
    not allow) answers 409, like the API; a form with a field to correct is shown again (200)."""
    return 409 if getattr(form, "conflict", False) else 200


def attempt(form, call) -> bool:
    """Run the service `call`; on a refusal, put it on `form` and say it failed."""
    try:
        call()
    except REFUSALS as error:
        form.conflict = isinstance(error, errors.Conflict)
        refuse(form, error)
        return False
    return True


@require_POST
@login_required
@domain_errors
def reply(request, ref: str):
    """A public reply or an internal note, with files."""
    ticket = selectors.access_ticket(request.user, ref, action="comment")
    form = ReplyForm(request.POST, request.FILES)
    if form.is_valid():
        data = form.cleaned_data

        def send():
            services.add_comment(
                ticket=ticket, by=request.user, body=data["body"], public=form.is_public, files=data["files"]
            )

        if attempt(form, send):
            return done(
                request, ticket, "reply", _("Reply sent.") if form.is_public else _("Note added."), "reply"
            )
    return show_refused(request, ticket, "reply", form)


@require_POST
@login_required
@domain_errors
def transfer(request, ref: str):
    """Hand the ticket to another person, with a reason (a bounce: counted, flagged at two)."""
    # Only the owner or a supervisor: the service refuses anyone else (403, nothing written).
    ticket = selectors.access_ticket(request.user, ref, action="transfer")
    form = TransferForm(request.POST, ticket=ticket)
    if form.is_valid():
        to_user, reason = form.cleaned_data["to_user"], form.cleaned_data["reason"]
        if attempt(
            form,
            lambda: services.transfer_ticket(ticket=ticket, by=request.user, to_user=to_user, reason=reason),
        ):
            message = _("Ticket %(number)s transferred to %(user)s.") % {
                "number": ticket.number,
                "user": to_user,
            }
            return done(request, ticket, "transfer", message)
    return show_refused(request, ticket, "transfer", form)


@require_POST
@login_required
@domain_errors
def claim(request, ref: str):
    """Take an unassigned ticket: it becomes one's own (not a bounce). A refusal (somebody owns
    it already: 409) is answered by core.web's one mapping of domain errors."""
    ticket = selectors.access_ticket(request.user, ref, action="claim")
    services.claim_ticket(ticket=ticket, by=request.user)
    return done(request, ticket, "claim", _("The ticket is yours now."))


@require_POST
@login_required
@domain_errors
def status(request, ref: str):
    """Move the ticket along its lifecycle (a move the lifecycle does not allow: 409)."""
    ticket = selectors.access_ticket(request.user, ref, action="change")
    form = StatusForm(request.POST)
    if form.is_valid():
        target, version = form.cleaned_data["status"], form.cleaned_data["version"]
        if attempt(
            form,
            lambda: services.transition_ticket(
                ticket=ticket, by=request.user, status=target, version=version
            ),
        ):
            message = _("Ticket %(number)s is now “%(status)s”.") % {
                "number": ticket.number,
                "status": Status(target).label,
            }
            return done(request, ticket, "status", message)
    # As it is now, whatever was refused.
    return show_refused(request, ticket, "status", form, refetch=True)


@require_POST
@login_required
@domain_errors
def add_tag(request, ref: str):
    """Add one tag to the ticket (the edit page changes the whole list)."""
    ticket = selectors.ticket_detail(request.user, ref, action="change")
    form = TagForm(request.POST)
    if form.is_valid():
        names = [tag.name for tag in ticket.tags.all()]
        name, version = form.cleaned_data["tag"], form.cleaned_data["version"]
        if attempt(
            form,
            lambda: services.update_ticket(
                ticket=ticket, by=request.user, version=version, tags=[*names, name]
            ),
        ):
            return done(request, ticket, "tag", _("Tag “%(tag)s” added.") % {"tag": name})
    return show_refused(request, ticket, "tag", form, refetch=True)


@require_POST
@login_required
@domain_errors
def urge(request, ref: str):
    """Record an urge the customer made by phone (催办): on the timeline, counted, the owner told."""
    ticket = selectors.access_ticket(request.user, ref, action="urge")
    form = UrgeForm(request.POST)
    if form.is_valid():
        note = form.cleaned_data["note"]
        if attempt(
            form, lambda: services.urge_ticket(ticket=ticket, by=request.user, via="phone", note=note)
        ):
            return done(request, ticket, "urge", _("The urge is recorded and the owner told."))
    return show_refused(request, ticket, "urge", form)


@require_POST
@login_required
@domain_errors
def add_collaborator(request, ref: str):
    """Ask a colleague to help; the owner stays answerable."""
    ticket = selectors.access_ticket(request.user, ref, action="collaborate")
    form = CollaboratorForm(request.POST, ticket=ticket)
    if form.is_valid():
        user, note = form.cleaned_data["user"], form.cleaned_data["note"]
        if attempt(
            form, lambda: services.add_collaborator(ticket=ticket, by=request.user, user=user, note=note)
        ):
            return done(
                request, ticket, "collaborate", _("%(user)s now helps with this ticket.") % {"user": user}
            )
    return show_refused(request, ticket, "collaborate", form)


def named_ticket(user, form, field: str) -> Ticket | None:
    """The other ticket a form names, as `user` may see it; a hidden or unknown one is refused
    beside the field, in the same words (it is not there for this user)."""
    try:
        return selectors.access_ticket(user, form.cleaned_data[field])
    except errors.NotFound:
        form.add_error(field, _("No ticket has this number."))
        return None


@require_POST
@login_required
@domain_errors
def link(request, ref: str):
    """Mark this ticket a duplicate of, or related to, another one."""
    ticket = selectors.access_ticket(request.user, ref, action="link")
    form = LinkForm(request.POST)
    if form.is_valid():
        other = named_ticket(request.user, form, "to_ticket")
        kind = form.cleaned_data["kind"]
        if other and attempt(
            form, lambda: services.link_tickets(ticket=ticket, to_ticket=other, kind=kind, by=request.user)
        ):
            return done(request, ticket, "link", _("Tickets linked."))
    return show_refused(request, ticket, "link", form)


@require_POST
@login_required
@domain_errors
def merge(request, ref: str):
    """Merge this ticket, a duplicate, into its original: it is closed; nothing moves or is lost."""
    ticket = selectors.access_ticket(request.user, ref, action="merge")
    form = MergeForm(request.POST)
    if form.is_valid():
        original = named_ticket(request.user, form, "into")
        reason = form.cleaned_data["reason"]
        if original and attempt(
            form,
            lambda: services.merge_ticket(duplicate=ticket, into=original, by=request.user, reason=reason),
        ):
            messages.success(
                request,
                _("Merged into %(number)s; its page shows this ticket's replies.")
                % {"number": original.number},
            )
            return to_ticket(original)
    return render_ticket(request, ticket, {"merge": form}, status=refused_status(form))


@require_POST
@login_required
@domain_errors
def unmerge(request, ref: str):
    """Undo a merge: the duplicate is reopened."""
    ticket = selectors.access_ticket(request.user, ref, action="merge")
    services.unmerge_ticket(ticket=ticket, by=request.user)
    messages.success(request, _("The merge is undone and the ticket reopened."))
    return to_ticket(ticket)


@require_http_methods(["GET", "POST"])
@login_required
@domain_errors
def edit(request, ref: str):
    """The ticket's subject, description, type, priority, product and tags."""
    ticket = selectors.ticket_detail(request.user, ref, action="change")
    status = 200
    if request.method == "POST":
        form = EditForm(request.POST, ticket=ticket)
        if form.is_valid():
            data = form.cleaned_data

            def save():
                services.update_ticket(
                    ticket=ticket,
                    by=request.user,
                    version=data["version"],
                    subject=data["subject"],
                    description=data["description"],
                    type=data["type"],
                    priority=data["priority"],
                    product=data["product"],
                    tags=data["tags"],
                )

            if attempt(form, save):
                messages.success(request, _("Changes saved."))
                return to_ticket(ticket)
        status = refused_status(form)
    else:
        form = EditForm(ticket=ticket, initial=EditForm.initial_for(ticket))
    return render(request, "tickets/edit.html", {"ticket": decorate(ticket), "form": form}, status=status)


# --- Opening a ticket ---------------------------------------------------------------------------


def new_ticket_form(request, customer: Customer, data=None) -> NewTicketForm:
    """The new-ticket form for `customer`; `?product=<id>` preselects one of their products."""
    product = request.GET.get("product", "")
    initial = {"product": int(product)} if product.isdigit() and len(product) < 19 else {}
    return NewTicketForm(data, customer=customer, initial=initial, prefix="ticket")


@require_http_methods(["GET", "POST"])
@login_required
@domain_errors
def create(request):
    """Open a ticket for a customer (`?customer=<id>`: the 360° page's button, a screen pop);
    without one, say how to find the customer first."""
    require_perm(request.user, "tickets.add_ticket")
    customer_id = request.GET.get("customer") or request.POST.get("customer")
    if not customer_id:
        return render(request, "tickets/choose_customer.html")
    customer = customer_selectors.access_customer(
        request.user, customer_id, queryset=Customer.objects.prefetch_related("phones")
    )
    status = 200
    if request.method == "POST":
        form = new_ticket_form(request, customer, request.POST)
        if form.is_valid():
            opened = []

            def open_it():
                opened.append(
                    services.open_ticket(by=request.user, customer=customer, **form.service_values())
                )

            if attempt(form, open_it):
                messages.success(request, _("Ticket %(number)s opened.") % {"number": opened[0].number})
                return to_ticket(opened[0])
        status = refused_status(form)
    else:
        form = new_ticket_form(request, customer)
    phones = privacy.shown_phones(request.user, customer)
    return render(
        request, "tickets/new.html", {"form": form, "customer": customer, "phones": phones}, status=status
    )
