"""Phone numbers: who may receive a reply-capable SMS, and how numbers are stored.

OVH only accepts replies from French metropolitan mobiles (Orange, SFR, Bouygues, Free
and their MVNOs), so that is what a recipient must be. Numbers are parsed with
``phonenumbers`` (Google's libphonenumber) and stored in E.164 (``+33612345678``).

Example::

    parse_french_mobile("06 12 34 56 78")  # "+33612345678"
    parse_french_mobile("+33 1 23 45 67 89")  # raises InvalidNumber("... a landline ...")
"""

from __future__ import annotations

import re

import phonenumbers
from babel import Locale
from phonenumbers import NumberParseException, PhoneNumberFormat, PhoneNumberType


class InvalidNumber(ValueError):
    """The number cannot receive a reply-capable SMS; the message says why, ``key`` and
    ``params`` say it for translation (see ``errors.SmsReplyError``)."""

    def __init__(self, message: str, key: str = "number_invalid", **params: object) -> None:
        super().__init__(message)
        self.message = message
        self.key = key
        self.params = params


_TYPE_NAMES = {
    PhoneNumberType.FIXED_LINE: "a landline",
    PhoneNumberType.TOLL_FREE: "a toll-free number",
    PhoneNumberType.PREMIUM_RATE: "a premium-rate number",
    PhoneNumberType.SHARED_COST: "a shared-cost number",
    PhoneNumberType.VOIP: "a VoIP number",
    PhoneNumberType.UAN: "a company number",
    PhoneNumberType.VOICEMAIL: "a voicemail number",
}


# Providers write senders in E.164: one that matches libphonenumber's own French mobile
# pattern is returned without its parsing (45 µs a reply; tests/test_phone.py checks both
# ways agree).
_MOBILE = phonenumbers.PhoneMetadata.metadata_for_region("FR").mobile.national_number_pattern
FRENCH_MOBILE_E164 = re.compile(rf"\+33(?:{_MOBILE})")


_SEPARATORS = re.compile(r"[\s.()-]")
_PREFIXES = (("+33", "+33"), ("0033", "+33"), ("0", "+33"))


def _fast_french_mobile(text: str) -> str | None:
    """A French mobile written as people write it (``06 12 34 56 78``, ``+33 6…``), in E.164,
    without libphonenumber's parsing (campaigns read 100,000 numbers); None if unsure."""
    compact = _SEPARATORS.sub("", text)
    for prefix, country in _PREFIXES:
        if compact.startswith(prefix):
            candidate = country + compact[len(prefix) :]
            return candidate if FRENCH_MOBILE_E164.fullmatch(candidate) else None
    return None


def parse_french_mobile(text: str) -> str:
    """Return ``text`` as E.164 if it is a French metropolitan mobile, else raise."""
    if isinstance(text, str) and FRENCH_MOBILE_E164.fullmatch(text):
        return text
    if isinstance(text, str) and (fast := _fast_french_mobile(text)):
        return fast
    if not isinstance(text, str) or not text.strip():
        raise InvalidNumber("the number is empty", "number_empty")
    cleaned = text.strip()
    if cleaned.startswith("00"):
        cleaned = "+" + cleaned[2:]
    try:
        number = phonenumbers.parse(cleaned, "FR")
    except NumberParseException as error:
        raise InvalidNumber(
            f"{text!r} is not a phone number ({error})", "number_unreadable", number=text
        ) from None
    if not phonenumbers.is_valid_number(number):
        raise InvalidNumber(f"{text!r} is not a valid phone number", number=text)
    region = phonenumbers.region_code_for_number(number)
    if region != "FR":
        # Named by its calling code's main country: +44 7911 is the United Kingdom for a
        # reader, though its number block is Guernsey's ("GG").
        region = phonenumbers.region_code_for_country_code(number.country_code)
        region = "" if region == phonenumbers.UNKNOWN_REGION else region
        where = Locale("en").territories.get(region, region) if region else "another country"
        raise InvalidNumber(
            f"{text!r} is not French ({where}): replies only work from French mobiles",
            "number_foreign",
            number=text,
            region=region or "",
        )
    number_type = phonenumbers.number_type(number)
    if number_type != PhoneNumberType.MOBILE:
        kind = _TYPE_NAMES.get(number_type, "not a mobile number")
        raise InvalidNumber(
            f"{text!r} is {kind}: replies only work from French mobiles",
            "number_not_mobile",
            number=text,
            type=PhoneNumberType.to_string(number_type),  # "FIXED_LINE"…
        )
    return phonenumbers.format_number(number, PhoneNumberFormat.E164)


def is_international(text: str) -> str:
    """Return ``text`` as E.164 if it is any valid number (for SMS notifications)."""
    cleaned = text.strip() if isinstance(text, str) else ""
    if cleaned.startswith("00"):
        cleaned = "+" + cleaned[2:]
    try:
        number = phonenumbers.parse(cleaned, None)
    except NumberParseException:
        raise InvalidNumber(
            f"{text!r} is not a number in international format (+CC…)",
            "number_not_international",
            number=text,
        ) from None
    if not phonenumbers.is_valid_number(number):
        raise InvalidNumber(f"{text!r} is not a valid phone number", number=text)
    return phonenumbers.format_number(number, PhoneNumberFormat.E164)
