"""OVH's reply callback as public evidence shows it: form fields ``shortcode``, ``tag``,
``id``, ``senderid``, ``message`` (POST form or GET query), and a sixth, ``keyword``, of
uncertain content. Any other field is accepted too and kept, with the five, exactly as
received: scripts get the fields OVH sent, not a fixed list. The order of the fields is
not guaranteed by OVH and nothing here depends on it. Pure, shared by every provider that
speaks this shape (the simulator does, so curl tests match production).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from ..base import InboundReply, InvalidCallback
from ..fields import read_reply, text_field

MAX_EXTRA_LENGTH = 2000  # the longest field we take (message)

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
    received = tuple(
        (name, text_field(fields, name, MAX_EXTRA_LENGTH, required=False)) for name in fields
    )
    return replace(reply, fields=received)
