"""Small template helpers any page may use. They import no app: helpers about users and their
roles are in accounts (`{% load kefu_accounts %}`)."""

from django import template

from kefu.core.masking import show_phone

register = template.Library()


@register.filter
def phone(number: str, full: bool = False) -> str:
    """A stored E.164 number as people read it: 138****1234, or in full when `full`."""
    return show_phone(number, full=bool(full))
