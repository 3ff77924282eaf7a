"""Small template helpers shared by every page's frame."""

from django import template

from kefu.accounts.roles import role_label

register = template.Library()


@register.simple_tag
def role_labels(user) -> str:
    """The user's roles in the reader's language, e.g. "客服专员"."""
    if not user.is_authenticated:
        return ""
    return " · ".join(role_label(code) for code in user.role_codes)


@register.filter
def initial(user) -> str:
    """The first character of the name people know the user by, for the avatar."""
    return (str(user) or "?")[:1].upper()
