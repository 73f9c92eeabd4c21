"""Request templates for gateways configured by hand: ``{placeholders}`` filled from an SMS.

A template is text such as ``"{to_digits}"`` or ``"Bearer abc"``; ``{{`` and ``}}`` are
literal braces. :func:`check_template` rejects unknown placeholders when settings are
read, so a typo stops start-up instead of sending a literal ``{mesage}``. Settings that
hold JSON objects (field maps, headers) are read by :func:`json_object`.

Example::

    values = template_values(OutgoingSms(7, "+33612345678", "Ça va ?", "38123", "sr7"))
    render("{to_national}: {message}", values)  # "0612345678: Ça va ?"
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping

import phonenumbers

from ..settings import ConfigError
from ..text.phone import FRENCH_MOBILE_E164
from ..text.segments import count_segments
from .base import OutgoingSms

PLACEHOLDERS = {
    "to": "the recipient, E.164: +33612345678",
    "to_digits": "the recipient without '+': 33612345678",
    "to_national": "the recipient, national: 0612345678",
    "message": "the text",
    "message_gsm": "the text if it fits GSM 03.38, else empty",
    "message_ucs2_hex": "the text as UTF-16BE hex if it needs UCS-2, else empty",
    "coding": "SMPP data_coding: 0 (GSM 03.38) or 8 (UCS-2)",
    "shortcode": "the short code or number the SMS is sent from",
    "tag": "our tag for the conversation",
    "id": "our SMS id",
    "dlr_url": "smsreply's delivery-report URL for this provider",
}
_PLACEHOLDER = re.compile(r"\{\{|\}\}|\{([^{}]*)\}")


def render(template: str, values: Mapping[str, str]) -> str:
    """``template`` with each ``{name}`` replaced by ``values[name]``."""
    return _PLACEHOLDER.sub(
        lambda match: match.group(0)[0] if match.group(1) is None else values[match.group(1)],
        template,
    )


def check_template(key: str, template: str) -> None:
    """Raise ConfigError naming ``key`` if ``template`` has an unknown or broken placeholder."""
    names = [match.group(1) for match in _PLACEHOLDER.finditer(template)]
    rest = _PLACEHOLDER.sub("", template)
    if "{" in rest or "}" in rest or any(n is not None and n not in PLACEHOLDERS for n in names):
        known = ", ".join(f"{{{name}}}" for name in PLACEHOLDERS)
        raise ConfigError(f"{key}: bad placeholder in {template!r}; known: {known}")


def template_values(sms: OutgoingSms, dlr_url: str = "") -> dict[str, str]:
    """What each placeholder stands for, for ``sms``."""
    ucs2 = count_segments(sms.message).encoding == "ucs2"
    return {
        "to": sms.to,
        "to_digits": sms.to.removeprefix("+"),
        "to_national": national(sms.to),
        "message": sms.message,
        "message_gsm": "" if ucs2 else sms.message,
        "message_ucs2_hex": sms.message.encode("utf-16-be").hex().upper() if ucs2 else "",
        "coding": "8" if ucs2 else "0",
        "shortcode": sms.shortcode or "",
        "tag": sms.tag,
        "id": str(sms.id),
        "dlr_url": dlr_url,
    }


def national(number: str) -> str:
    """``+33612345678`` as dialled in France: ``0612345678``."""
    if FRENCH_MOBILE_E164.fullmatch(number):  # every reply-capable recipient: no parsing
        return "0" + number[3:]
    parsed = phonenumbers.parse(number, "FR")
    return "".join(
        phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.NATIONAL).split()
    )


def json_object(key: str, value: str | Mapping[str, object]) -> dict[str, object]:
    """A setting holding a JSON object of text, number or boolean values, or ConfigError."""
    try:
        data = json.loads(value) if isinstance(value, str) else dict(value)
    except ValueError as error:
        raise ConfigError(f"{key} is not a valid JSON object: {error}") from None
    if not isinstance(data, dict) or not all(
        isinstance(item, str | int | float | bool) for item in data.values()
    ):
        raise ConfigError(f"{key} must be a JSON object of text, number or boolean values")
    return data


def value_list(value: str) -> set[str]:
    """A comma-separated setting as a set of lower-case values: ``"DELIVRD, delivered"``."""
    return {item.strip().lower() for item in value.split(",") if item.strip()}
