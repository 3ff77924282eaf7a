"""Reading phone numbers as people type them: "138 1234 5678", "+86-138-1234-5678", "027-8888 1234"."""

import phonenumbers
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from kefu.customers.models import PhoneLabel


def normalise_phone(raw: str) -> str:
    """The number in E.164 (+8613812345678); ValidationError when it is not a real number."""
    text = (raw or "").strip()
    if not text:
        raise ValidationError(_("Enter a phone number."), code="required")
    try:
        parsed = phonenumbers.parse(text, settings.KEFU_PHONE_REGION)
    except phonenumbers.NumberParseException:
        parsed = None
    if parsed is None or not phonenumbers.is_valid_number(parsed):
        raise ValidationError(
            _("“%(value)s” is not a valid phone number."),
            code="invalid_phone",
            params={"value": text},
        )
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def parse_phone_query(text: str) -> str | None:
    """The E.164 form of a search text that is a whole phone number, else None (no error)."""
    digits = sum(ch.isdigit() for ch in text)
    if digits < 7:
        return None
    try:
        return normalise_phone(text)
    except ValidationError:
        return None


def guess_label(e164: str) -> str:
    parsed = phonenumbers.parse(e164, None)
    kind = phonenumbers.number_type(parsed)
    if kind in (
        phonenumbers.PhoneNumberType.MOBILE,
        phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
    ):
        return PhoneLabel.MOBILE
    return PhoneLabel.HOME
