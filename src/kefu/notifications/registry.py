"""The kinds of notification, each registered by the app that sends it, and their words.

An app registers its kinds from its AppConfig.ready():

    register_kind(
        "tickets.transferred",
        label=_("Ticket transferred to you"),
        defaults={
            ("inapp", "zh-hans"): ("工单 {{ number }} 已转给您", "{{ by }}：{{ reason }}"),
            ("inapp", "en"): ("Ticket {{ number }} was transferred to you", "{{ by }}: {{ reason }}"),
            ("email", "zh-hans"): (...), ("email", "en"): (...),
        },
    )

The defaults become NotificationTemplate rows after every migrate (`seed_templates`, idempotent,
never overwriting an administrator's edit). `render()` reads the row, in Django's template syntax,
and falls back to the registered default when the row is missing or no longer compiles, so a
slip in the admin never stops the change that notifies.
"""

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.template import Context, Template, TemplateSyntaxError
from django.utils import timezone

from kefu.notifications.models import Channel, Language, NotificationTemplate

logger = logging.getLogger("kefu.notifications")

Words = tuple[str, str]  # (subject, body)


@dataclass(frozen=True)
class Kind:
    """A kind of notification: its stable code ("tickets.transferred"), its label for people, and
    the registered words per (channel, language)."""

    code: str
    label: Any
    defaults: Mapping[tuple[str, str], Words] = field(default_factory=dict)


_KINDS: dict[str, Kind] = {}


def register_kind(code: str, *, label, defaults: Mapping[tuple[str, str], Words]) -> Kind:
    """Declare a kind and its default words. Registering the same code again replaces it.

    Each key of `defaults` is (channel, language) with channel inapp|email|sms and language
    zh-hans|en; each template must compile.
    """
    for (channel, language), (subject, body) in defaults.items():
        if channel not in Channel.values or language not in Language.values:
            raise ImproperlyConfigured(f"{code}: no channel {channel!r} or language {language!r}")
        for text in (subject, body):
            try:
                Template(text)
            except TemplateSyntaxError as error:
                raise ImproperlyConfigured(f"{code} ({channel}, {language}): {error}") from error
    kind = Kind(code=code, label=label, defaults=dict(defaults))
    _KINDS[code] = kind
    return kind


def get_kind(code: str) -> Kind:
    try:
        return _KINDS[code]
    except KeyError:
        raise LookupError(f"no notification kind {code!r} is registered") from None


def registered_kinds() -> list[Kind]:
    return sorted(_KINDS.values(), key=lambda kind: kind.code)


def kind_label(code: str) -> str:
    kind = _KINDS.get(code)
    return str(kind.label) if kind else code


def seed_templates() -> int:
    """Create the template rows that are missing for the registered defaults; refresh those no
    administrator has changed. Idempotent; returns how many rows were created or refreshed."""
    stored = {
        (row.kind, row.channel, row.language): row
        for row in NotificationTemplate.objects.filter(kind__in=list(_KINDS))
    }
    new, changed = [], []
    for kind in _KINDS.values():
        for (channel, language), (subject, body) in kind.defaults.items():
            row = stored.get((kind.code, channel, language))
            if row is None:
                new.append(
                    NotificationTemplate(
                        kind=kind.code, channel=channel, language=language, subject=subject, body=body
                    )
                )
            elif not row.is_customised and (row.subject, row.body) != (subject, body):
                row.subject, row.body, row.updated_at = subject, body, timezone.now()
                changed.append(row)
    NotificationTemplate.objects.bulk_create(new, ignore_conflicts=True)
    NotificationTemplate.objects.bulk_update(changed, ["subject", "body", "updated_at"])
    return len(new) + len(changed)


def seed_after_migrate(sender, **kwargs) -> None:
    seed_templates()


def language_of(user) -> str:
    """The language a staff user reads: theirs, if the user model keeps one, else the site's."""
    preferred = getattr(user, "language", "") or getattr(user, "preferred_language", "")
    return preferred if preferred in Language.values else settings.LANGUAGE_CODE


def _compile(kind: str, channel: str, language: str, stored: NotificationTemplate | None) -> tuple:
    if stored is not None:
        try:
            return Template(stored.subject), Template(stored.body)
        except TemplateSyntaxError:
            logger.exception("notification template %s is broken; using the default", stored.pk)
    defaults = get_kind(kind).defaults
    subject, body = (
        defaults.get((channel, language)) or defaults.get((channel, settings.LANGUAGE_CODE)) or ("", "")
    )
    return Template(subject), Template(body)


def render(
    kind: str,
    channel: str,
    language: str,
    context: Mapping[str, Any],
    templates: Mapping[tuple[str, str, str], NotificationTemplate] | None = None,
) -> Words:
    """(subject, body) of `kind` for `channel` in `language`, as plain text (nothing escaped: the
    page that shows it escapes it). `templates`: rows already read, to save a query per call."""
    if templates is None:
        templates = load_templates(kind)
    stored = templates.get((kind, channel, language))
    subject, body = _compile(kind, channel, language, stored)
    plain = Context(dict(context), autoescape=False)
    return subject.render(plain).strip(), body.render(plain).strip()


def load_templates(kind: str) -> dict[tuple[str, str, str], NotificationTemplate]:
    """Every stored template of `kind`, in one query."""
    get_kind(kind)
    return {
        (row.kind, row.channel, row.language): row for row in NotificationTemplate.objects.filter(kind=kind)
    }
