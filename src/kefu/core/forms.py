"""What every app's forms start from: Tabler's look, the date input, the version an edit was
made on, and a service's refusal shown beside the fields it names.

Forms parse what a person typed; the services decide. A service refuses with a ValidationError
keyed by field name, and `show_service_errors` puts each message beside its field, so the person
sees why and keeps what they typed.
"""

from collections.abc import Callable

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

__all__ = ["DateInput", "StyledForm", "require_version", "show_service_errors"]


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%d")


class StyledForm(forms.Form):
    """Gives widgets Tabler's classes and marks refused fields, so templates stay plain."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, forms.CheckboxInput):
                css = "form-check-input"
            elif isinstance(widget, forms.Select):
                css = "form-select"
            else:
                css = "form-control"
            widget.attrs["class"] = f"{widget.attrs.get('class', '')} {css}".strip()

    def add_error(self, field, error):
        super().add_error(field, error)
        for name in self.errors:
            if name in self.fields:
                widget = self.fields[name].widget
                if "is-invalid" not in widget.attrs.get("class", ""):
                    widget.attrs["class"] = f"{widget.attrs.get('class', '')} is-invalid".strip()


def require_version(form: forms.Form) -> None:
    """An edit must name the version it was made on, or it would overwrite a newer change
    unseen (the hidden field was removed or the page is broken): refuse it."""
    if form.cleaned_data.get("version") is None and "version" not in form.errors:
        form.add_error(
            None,
            _(
                "This form does not say which version of the record it changes. "
                "Reload the record and apply your change again."
            ),
        )


def show_service_errors(
    error: ValidationError,
    form: forms.Form,
    elsewhere: dict[str, Callable[[list[str]], None]] | None = None,
) -> None:
    """Put a service's refusal beside the fields it names; the rest goes above the form."""
    by_field = error.message_dict if hasattr(error, "error_dict") else {None: error.messages}
    for field, messages in by_field.items():
        if field in form.fields:
            form.add_error(field, messages)
        elif elsewhere and field in elsewhere:
            elsewhere[field](messages)
        else:
            form.add_error(None, messages)
