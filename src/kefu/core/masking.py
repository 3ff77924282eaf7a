"""Showing phone numbers to people who need only to recognise them, not to dial them."""

import phonenumbers


def national_digits(e164: str) -> str:
    """The number as dialled inside its country: +8613812341234 → 13812341234, landlines with 0."""
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


def show_phone(e164: str, *, full: bool) -> str:
    return national_digits(e164) if full else mask_phone(e164)
