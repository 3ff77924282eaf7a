"""The words of the tickets' choices (channel, type, priority, status) in the active language,
each map built once per language.

Django's `get_FOO_display()` builds the field's choices into a dict of lazy translations at every
call and translates the one it returns: a list of 50 rows paid that 200 times, about 40 % of the
list's CPU time. The lists (the API's and the queue pages) read these maps instead.
"""

from django.db import models
from django.utils import translation

_maps: dict[tuple[type[models.TextChoices], str | None], dict[str, str]] = {}


def labels(choices: type[models.TextChoices]) -> dict[str, str]:
    """value → label of `choices`, translated into the active language (built on first use)."""
    key = (choices, translation.get_language())
    found = _maps.get(key)
    if found is None:
        found = _maps[key] = {value: str(label) for value, label in choices.choices}
    return found
