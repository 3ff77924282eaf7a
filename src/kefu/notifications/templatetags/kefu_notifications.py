"""The bell in the top bar: the signed-in user's unread count, one COUNT on a partial index."""

from django import template

from kefu.notifications import selectors

register = template.Library()
SHOWN_MAX = 99


@register.simple_tag(takes_context=True)
def unread_notifications(context) -> str:
    """ "" when nothing is unread (and no query at all for someone not signed in), else the count
    ("99+" beyond 99)."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return ""
    count = selectors.unread_count(user)
    if not count:
        return ""
    return f"{SHOWN_MAX}+" if count > SHOWN_MAX else str(count)
