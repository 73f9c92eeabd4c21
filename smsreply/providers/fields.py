"""Reading a provider's callback through a map of its field names: bounded text, no NUL.

Providers whose callbacks name their fields their own way (Kannel's escape codes, a
generic gateway's configured names) read replies and delivery reports here, so every
error names the field as the provider sent it and the same limits apply everywhere.

Example::

    names = {"id": "messageId", "sender": "msisdn", "message": "text", "shortcode": "to"}
    reply = read_reply(fields, names)  # InvalidCallback("field 'msisdn' is missing or empty")
    report = read_delivery_report(fields, {"id": "messageId", "status": "status"},
                                  delivered={"delivered"}, failed={"failed", "expired"})
"""

from __future__ import annotations

from collections.abc import Collection, Mapping

from .base import DeliveryReport, InboundReply, InvalidCallback

REPLY_NAMES = ("id", "sender", "message", "shortcode", "tag")  # the first three are required
DLR_NAMES = ("id", "status")
MAX_LENGTH = {"id": 64, "sender": 32, "message": 2000, "shortcode": 16, "tag": 128, "status": 64}


def text_field(fields: Mapping[str, object], name: str, limit: int, required: bool = True) -> str:
    """The value of ``fields[name]``; "" when optional and absent; else InvalidCallback."""
    value = fields.get(name, "")
    if not isinstance(value, str):
        raise InvalidCallback(f"field {name!r} must be text", "not_text", field=name)
    if len(value) > limit:
        raise InvalidCallback(
            f"field {name!r} is longer than {limit} characters", "too_long", field=name, max=limit
        )
    if "\x00" in value:
        raise InvalidCallback(f"field {name!r} contains a NUL character", "nul", field=name)
    if required and not value.strip():
        raise InvalidCallback(f"field {name!r} is missing or empty", "required", field=name)
    return value


def number_field(value: str) -> str | None:
    """A short code or number as gateways write it (``+3861…``, `` 38123``), or None."""
    return value.strip().removeprefix("+") or None


def read_reply(fields: Mapping[str, object], names: Mapping[str, str]) -> InboundReply:
    """A reply: our ``id, sender, message, shortcode, tag`` read at the provider's ``names``."""
    value = {
        ours: text_field(fields, names[ours], MAX_LENGTH[ours], ours in REPLY_NAMES[:3])
        for ours in REPLY_NAMES
        if ours in names
    }
    return InboundReply(
        provider_id=value["id"].strip(),
        sender=value["sender"].strip(),
        message=value["message"],
        shortcode=number_field(value.get("shortcode", "")),
        tag=value.get("tag", "").strip() or None,
    )


def read_delivery_report(
    fields: Mapping[str, object],
    names: Mapping[str, str],
    delivered: Collection[str],
    failed: Collection[str],
) -> DeliveryReport:
    """A DLR; a status in neither collection (compared in lower case) is still pending."""
    provider_id = text_field(fields, names["id"], MAX_LENGTH["id"]).strip()
    raw = text_field(fields, names["status"], MAX_LENGTH["status"]).strip()
    status = "delivered" if raw.lower() in delivered else "failed" if raw.lower() in failed else ""
    return DeliveryReport(provider_id, status or "pending", f"status {raw}")
