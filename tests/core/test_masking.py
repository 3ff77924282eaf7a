"""Masked phone numbers: recognisable, never dialable."""

import pytest

from kefu.core.masking import mask_phone, national_digits


@pytest.mark.parametrize(
    ("e164", "masked"),
    [
        ("+8613812341234", "138****1234"),  # mobile
        ("+862788881234", "027****1234"),  # Wuhan landline, dialled with its trunk 0
        ("+861088881234", "010****1234"),  # Beijing landline
        ("+8610086", "*0086"),  # a five-digit service number
        ("+8695588", "*5588"),
    ],
)
def test_numbers_keep_their_first_three_and_last_four_digits(e164, masked):
    assert mask_phone(e164) == masked


def test_the_middle_digits_never_show():
    assert "1234" not in mask_phone("+8613812345678").replace("5678", "")


def test_the_national_number_is_what_people_dial():
    assert national_digits("+8613812345678") == "13812345678"
    assert national_digits("+862788881234") == "02788881234"


def test_text_that_is_not_a_number_is_returned_as_it_is():
    assert national_digits("not a number") == "not a number"


def test_chinese_mobiles_read_without_phonenumbers_give_what_phonenumbers_gives():
    """The shortcut for +86 1[3-9]… must agree with phonenumbers' national format, digit for digit."""
    import random

    import phonenumbers

    rng = random.Random(11)
    numbers = [f"+861{rng.randint(3, 9)}{rng.randrange(10**9):09d}" for _ in range(2000)]
    numbers += ["+8613000000000", "+8619999999999", "+861012345678", "+8612345678901"]
    for number in numbers:
        national = phonenumbers.format_number(
            phonenumbers.parse(number, None), phonenumbers.PhoneNumberFormat.NATIONAL
        )
        assert national_digits(number) == "".join(ch for ch in national if ch.isdigit()), number
