"""OVH's reply callback as public evidence shows it: form fields ``shortcode``, ``tag``,
``id``, ``senderid``, ``message`` (POST form or GET query). Pure, shared by every
provider that speaks this shape (the simulator does, so curl tests match production).
"""

from __future__ import annotations

from collections.abc import Mapping

from .base import InboundReply, InvalidCallback
from .fields import read_reply

OVH_NAMES = {
    "id": "id",
    "sender": "senderid",
    "message": "message",
    "shortcode": "shortcode",
    "tag": "tag",
}


def parse_ovh_reply(fields: Mapping[str, str]) -> InboundReply:
    reply = read_reply(fields, OVH_NAMES)
    if reply.shortcode and not reply.shortcode.isdigit():
        raise InvalidCallback("field 'shortcode' must be digits", "not_digits", field="shortcode")
    return reply
