"""Where tickets show outside their own pages: the start page's panels (core.workbench), the
customer's 360° page (customers.extensions: a new-ticket button, one on each product, the open
tickets) and the search box (a ticket number opens the ticket).

Each is shown by permission, never by role name. TicketsConfig.ready() calls `register_panels()`.
"""

from django.urls import reverse

from kefu.core.workbench import Panel, register
from kefu.customers import extensions
from kefu.tickets import selectors, services
from kefu.tickets.views import decorate, new_ticket_form, with_masked_phones

PANEL_ROWS = 10


def _rows(request, queue: str) -> list:
    page = selectors.ticket_queue(user=request.user, queue=queue, limit=PANEL_ROWS)
    return with_masked_phones(request.user, page.items)


def _mine(request) -> dict:
    return {"tickets": _rows(request, "mine")}


def _team(request) -> dict:
    return {"team": _rows(request, "team"), "flagged": _rows(request, "flagged")}


def _customer_tickets(request, customer) -> dict:
    """The 360° page's card: the customer's open tickets, and the new-ticket form ready when the
    page was opened for it (`?new_ticket=1`: a screen pop, a call)."""
    tickets = [decorate(ticket) for ticket in selectors.customer_open_tickets(customer, user=request.user)]
    form = None
    if (
        request.GET.get("new_ticket")
        and request.user.has_perm("tickets.add_ticket")
        and not customer.is_merged
    ):
        form = new_ticket_form(request, customer)
    return {"tickets": tickets, "form": form}


def ticket_jump(user, text: str) -> str | None:
    """A ticket number typed in the search box opens that ticket (its page says 404 to whoever
    may not see it, as for an unknown number: the box reveals nothing)."""
    number = text.strip().replace(" ", "").upper()
    if not services.NUMBER_PATTERN.match(number) or not selectors.may_use_tickets(user):
        return None
    return reverse("tickets:detail", args=[number])


def register_panels() -> None:
    register(
        Panel(
            key="tickets.mine",
            template="tickets/panels/mine.html",
            order=12,
            shows_for=selectors.may_use_tickets,
            context=_mine,
        )
    )
    register(
        Panel(
            key="tickets.team",
            template="tickets/panels/team.html",
            order=14,
            shows_for=lambda user: (
                user.has_perm("tickets.transfer_any_ticket") and user.has_perm("tickets.view_ticket")
            ),
            context=_team,
        )
    )
    extensions.register_part(
        extensions.Part(
            key="tickets.new_ticket",
            slot=extensions.HEADER,
            template="tickets/parts/new_ticket_button.html",
            order=10,
            shows_for=lambda user: user.has_perm("tickets.add_ticket"),
        )
    )
    extensions.register_part(
        extensions.Part(
            key="tickets.product_ticket",
            slot=extensions.PRODUCT,
            template="tickets/parts/product_button.html",
            order=10,
            shows_for=lambda user: user.has_perm("tickets.add_ticket"),
        )
    )
    extensions.register_part(
        extensions.Part(
            key="tickets.open_tickets",
            slot=extensions.CARDS,
            template="tickets/parts/open_tickets.html",
            order=10,
            shows_for=selectors.may_use_tickets,
            context=_customer_tickets,
        )
    )
    extensions.register_jump("tickets.number", ticket_jump)
