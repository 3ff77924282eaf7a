"""The notification centre: a person's list, and marking read. Works without JavaScript (plain
form posts that redirect); with htmx, marking one read swaps its row and the bell in the top bar
(out of band, with the new count), and the bell asks for its count again every minute (`bell`)."""

from urllib.parse import urlsplit

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from kefu.core import errors
from kefu.core.web import domain_errors, is_htmx
from kefu.notifications import selectors, services

PAGE_SIZE = 30
# htmx stops polling on this status: a signed-out page has no bell to keep up to date.
STOP_POLLING = 286
LIST_TARGET = "kf-notification-list"


def _safe_next(request, fallback: str) -> str:
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return fallback


@require_GET
@login_required
def notification_list(request):
    """Newest first, or only the unread ones (`?unread=1`); keyset pages."""
    unread = request.GET.get("unread") == "1"
    cursor = request.GET.get("cursor") or None
    try:
        page = selectors.notification_page(user=request.user, unread=unread, cursor=cursor, limit=PAGE_SIZE)
    except errors.InvalidRequest:
        messages.warning(request, _("That page link has expired; here is the first page."))
        cursor = None
        page = selectors.notification_page(user=request.user, unread=unread, limit=PAGE_SIZE)
    context = {
        "notifications": page.items,
        "next_cursor": page.next_cursor,
        "is_next_page": cursor is not None,
        "unread_only": unread,
        "list_target": LIST_TARGET,
    }
    template = "notifications/list_items.html" if is_htmx(request, LIST_TARGET) else "notifications/list.html"
    return render(request, template, context)


@require_POST
@login_required
@domain_errors
def mark_read(request, pk: int):
    """Mark one read; then go where `next` says (the thing notified about) or back to the list."""
    notification = selectors.access_notification(request.user, pk)
    services.mark_read(user=request.user, ids=[notification.pk])
    if is_htmx(request) and not request.POST.get("next"):
        notification.refresh_from_db(fields=["read_at"])
        # The row, and the bell with its new count swapped in out of band.
        context = {"notification": notification, "oob": True, **_bell_context(request)}
        return render(request, "notifications/marked_read.html", context)
    return redirect(_safe_next(request, "notifications:list"))


@require_POST
@login_required
def mark_all_read(request):
    marked = services.mark_all_read(user=request.user)
    if marked:
        messages.success(request, _("All notifications are marked read."))
    return redirect("notifications:list")


@require_GET
def bell(request):
    """The bell alone, for the top bar's poll: one COUNT on the partial index of unread rows
    (with the session's and the user's reads, three statements). Signed out (the session ended
    in another tab): no bell, and htmx stops asking, rather than swapping in the sign-in page."""
    if not request.user.is_authenticated:
        return HttpResponse(status=STOP_POLLING)
    return render(request, "notifications/bell.html", _bell_context(request))


def _bell_context(request) -> dict:
    """For the bell drawn outside the page (the poll, a row marked read): whether the page it
    sits on, as htmx names it, is the list's, where the bell is "current"."""
    page = urlsplit(request.headers.get("HX-Current-URL", "")).path
    return {"bell_polled": True, "bell_on_list": page.startswith(reverse("notifications:list"))}
