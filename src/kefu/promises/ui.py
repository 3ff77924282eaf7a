"""Where promises show on the ticket screens (tickets.page_parts): the clocks in a ticket's header
with the policy that set them and why, a clock column on the queues, and the promise sentence on
the customer's link. PromisesConfig.ready() calls `register()`.
"""

from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from kefu.promises import display, selectors
from kefu.tickets import page_parts
from kefu.tickets import selectors as ticket_selectors


def clock_html(clock: display.Clock, *, with_kind: bool = True) -> str:
    """One clock as a badge: colour and word together, the due time in a title and <time>."""
    local = timezone.localtime(clock.due_at)
    return format_html(
        '<span class="kf-clock kf-status {}" data-clock="{}" data-kind="{}">{}'
        '<time datetime="{}" title="{}">{}</time></span>',
        clock.css,
        clock.state,
        clock.kind,
        format_html('<span class="kf-clock-kind">{}</span> ', clock.kind_label) if with_kind else "",
        local.isoformat(),
        local.strftime("%Y-%m-%d %H:%M"),
        clock.text,
    )


def _head(request, ticket):
    promises = selectors.ticket_promises(ticket)
    if not promises:
        return None
    return {"promises": promises, "policy": promises[0].policy}


def _cells(user, tickets) -> dict[int, str]:
    """The most urgent unsettled promise of each ticket (else its last settled one) as a clock."""
    now = timezone.now()
    cells = {}
    for ticket_id, promises in selectors.promises_by_ticket(tickets).items():
        shown = selectors.most_urgent(promises)
        if shown is not None:
            clock = display.clock(shown, now)
            cells[ticket_id] = clock_html(clock)
    return cells


def _portal(ticket):
    promises = selectors.ticket_promises(ticket, with_policy=False)
    if not promises:
        return None
    return {"sentences": [display.customer_sentence(promise) for promise in promises]}


def register() -> None:
    page_parts.register_part(
        page_parts.Part(
            key="promises.clocks",
            slot=page_parts.HEAD,
            template="promises/parts/ticket_clocks.html",
            order=10,
            shows_for=ticket_selectors.may_use_tickets,
            context=_head,
        )
    )
    page_parts.register_row_cell(
        page_parts.RowCell(
            key="promises.clock",
            label=_("Promise"),
            order=10,
            shows_for=ticket_selectors.may_use_tickets,
            cells=_cells,
        )
    )
    page_parts.register_portal_part(
        page_parts.PortalPart(
            key="promises.sentence",
            template="promises/parts/portal_promises.html",
            order=10,
            context=_portal,
        )
    )
