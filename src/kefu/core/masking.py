"""Showing phone numbers to people who need only to recognise them, not to dial them."""

import re

import phonenumbers
from django.utils.crypto import salted_hmac

TAG_SALT = "kefu.masking.phone-tag"
# A Chinese mobile number is dialled at home as the eleven digits after +86. Read directly, it
# costs a regular expression instead of phonenumbers' ~50 µs, which a list page of fifty rows
# pays for every number (the answer is the same: tests/core/test_masking.py).
CHINESE_MOBILE = re.compile(r"^\+861[3-9]\d{9}$")


def national_digits(e164: str) -> str:
    """The number as dialled inside its country: +8613812341234 → 13812341234, landlines with 0."""
    if CHINESE_MOBILE.match(e164):
        return e164[3:]
    try:
        parsed = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return e164
    national = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.NATIONAL)
    return "".join(ch for ch in national if ch.isdigit())


def mask_phone(e164: str) -> str:
    """138****1234: the first three and last four digits stay, the middle is hidden."""
    digits = national_digits(e164)
    if len(digits) <= 7:
        return "*" * (len(digits) - 4) + digits[-4:]
    return f"{digits[:3]}****{digits[-4:]}"


def phone_tag(e164: str) -> str:
    """A short keyed hash of a number (HMAC with the secret key).

    It tells apart two numbers that mask alike (133****5518 twice) and lets someone who holds
    the secret key check whether a given number was meant, without the number being stored.
    """
    return salted_hmac(TAG_SALT, e164).hexdigest()[:10]


def redact_phone(e164: str) -> str:
    """How the audit trail keeps a number: masked, with its tag (138****5678 #3fa9c10b2e)."""
    return f"{mask_phone(e164)} #{phone_tag(e164)}"
