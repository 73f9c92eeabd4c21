"""Recipients must be French metropolitan mobiles, stored in E.164."""

import pytest

from smsreply.phone import InvalidNumber, parse_french_mobile


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
        ("+44 7911 123456", "not French"),
        ("+262 692 12 34 56", r"not French \(RE\)"),
        ("06 12", "not a valid"),
        ("hello", "not a phone number"),
        ("", "empty"),
    ],
)
def test_other_numbers_are_refused_with_the_reason(text, reason):
    with pytest.raises(InvalidNumber, match=reason):
        parse_french_mobile(text)
