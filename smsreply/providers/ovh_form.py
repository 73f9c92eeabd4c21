"""OVH's reply callback as public evidence shows it: form fields ``shortcode``, ``tag``,
``id``, ``senderid``, ``message`` (POST form or GET query). Pure, shared by every
provider that speaks this shape (the simulator does, so curl tests match production).
"""

from __future__ import annotations

from collections.abc import Mapping

from .base import InboundReply, InvalidCallback

MAX_FIELD = {"shortcode": 16, "tag": 128, "id": 64, "senderid": 32, "message": 2000}


def parse_ovh_reply(fields: Mapping[str, str]) -> InboundReply:
    values: dict[str, str] = {}
    for name, limit in MAX_FIELD.items():
        value = fields.get(name, "")
        if not isinstance(value, str):
            raise InvalidCallback(f"field {name!r} must be text")
        if len(value) > limit:
            raise InvalidCallback(f"field {name!r} is longer than {limit} characters")
        if "\x00" in value:
            raise InvalidCallback(f"field {name!r} contains a NUL character")
        values[name] = value
    for name in ("id", "senderid", "message"):
        if not values[name].strip():
            raise InvalidCallback(f"field {name!r} is missing or empty")
    shortcode = values["shortcode"].strip()
    if shortcode and not shortcode.isdigit():
        raise InvalidCallback("field 'shortcode' must be digits")
    return InboundReply(
        provider_id=values["id"].strip(),
        sender=values["senderid"].strip(),
        message=values["message"],
        shortcode=shortcode or None,
        tag=values["tag"].strip() or None,
    )
