"""Recipients must be French metropolitan mobiles, stored in E.164."""

import phonenumbers
import pytest

from smsreply.providers.templates import national
from smsreply.text.phone import FRENCH_MOBILE_E164, InvalidNumber, parse_french_mobile


@pytest.mark.parametrize(
    "text",
    [
        "06 12 34 56 78",
        "0612345678",
        "+33612345678",
        "0033612345678",
        "+33 6 12 34 56 78",
        " 06.12.34.56.78 ",
    ],
)
def test_accepted_forms_are_stored_as_e164(text):
    assert parse_french_mobile(text) == "+33612345678"


def test_07_mobiles_are_accepted():
    assert parse_french_mobile("07 70 12 34 56") == "+33770123456"


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("01 23 45 67 89", "landline"),
        ("0800 840 800", "toll-free"),
        ("+44 7911 123456", r"not French \(United Kingdom\)"),  # its block is Guernsey's
        ("+1 202 555 0123", r"not French \(United States\)"),
        ("+262 692 12 34 56", r"not French \(Réunion\)"),
        ("06 12", "not a valid"),
        ("hello", "not a phone number"),
        ("", "empty"),
    ],
)
def test_other_numbers_are_refused_with_the_reason(text, reason):
    with pytest.raises(InvalidNumber, match=reason):
        parse_french_mobile(text)


@pytest.mark.parametrize("suffix", ["000000", "493817", "999999"])
def test_the_e164_fast_path_agrees_with_libphonenumber(suffix):
    # The pattern depends on the first three digits: try every one of them.
    for prefix in range(100, 1000):
        text = f"+33{prefix}{suffix}"
        number = phonenumbers.parse(text, "FR")
        mobile = (
            phonenumbers.is_valid_number(number)
            and phonenumbers.region_code_for_number(number) == "FR"
            and phonenumbers.number_type(number) == phonenumbers.PhoneNumberType.MOBILE
        )
        assert bool(FRENCH_MOBILE_E164.fullmatch(text)) == mobile, text
        if mobile:
            assert parse_french_mobile(text) == text
            formatted = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
            assert national(text) == "".join(formatted.split())


@pytest.mark.parametrize("suffix", ["000000", "493817"])
def test_the_national_fast_path_agrees_with_libphonenumber(suffix):
    # Campaigns read numbers as people write them: "06 12 34 56 78" skips libphonenumber.
    for prefix in range(0, 1000):
        for text in (f"0{prefix:03d}{suffix}", f"0{prefix:03d} {suffix[:2]} {suffix[2:]}"):
            try:
                number = phonenumbers.parse(text, "FR")
            except phonenumbers.NumberParseException:  # "00…": an international prefix
                continue
            mobile = (
                phonenumbers.is_valid_number(number)
                and phonenumbers.region_code_for_number(number) == "FR"
                and phonenumbers.number_type(number) == phonenumbers.PhoneNumberType.MOBILE
            )
            if mobile:
                assert parse_french_mobile(text) == f"+33{prefix:03d}{suffix}", text
            else:
                with pytest.raises(InvalidNumber):
                    parse_french_mobile(text)
