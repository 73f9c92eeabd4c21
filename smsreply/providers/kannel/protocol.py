"""Kannel's HTTP interfaces as pure functions: sendsms out, sms-service and DLRs in.

Out: a POST to smsbox's ``sendsms`` whose body is the text and whose ``X-Kannel-*``
headers carry the rest (so the password is in no URL that proxies or debug logs keep).
The text is UTF-8 (``charset=UTF-8``: smsbox otherwise assumes WINDOWS-1252); a text
outside GSM 03.38 goes as UCS-2 (``X-Kannel-Coding: 2``), or Kannel would mangle it.
In: the ``sms-service`` ``get-url`` of ``docs/providers-kannel.md`` — ``%b`` (the raw
text: ``%a`` squeezes spaces and newlines) after ``mo-recode`` turned UCS-2 into UTF-8 —
and the ``dlr-url`` we give each SMS, filled with ``%d`` (DLR type) and ``%A`` (SMSC reply).

Example::

    callback = callback_url("https://sms.example.fr", token)
    headers, body = sendsms_request(sms, "smsreply", "secret", dlr_url(callback, sms.id))
    check_sendsms_answer(202, "0: Accepted for delivery")  # None: accepted
    parse_reply({"id": "9f…", "from": "+33612345678", "to": "38123", "text": "Oui"})
"""

from __future__ import annotations

from collections.abc import Mapping

from ...text.segments import count_segments
from ..base import DeliveryReport, InboundReply, InvalidCallback, OutgoingSms, ProviderError
from ..fields import MAX_LENGTH, read_reply, text_field

# What smsbox's get-url sends (our names -> Kannel's escape codes in docs/providers-kannel.md)
REPLY_FIELDS = {"id": "id", "sender": "from", "message": "text", "shortcode": "to"}
# Kannel DLR types (%d): 1 delivered to phone, 2 non-delivered to phone, 4 queued on SMSC,
# 8 delivered to SMSC, 16 non-delivered to SMSC.
DLR_TYPES = {
    "1": ("delivered", "delivered to the phone"),
    "2": ("failed", "not delivered to the phone"),
    "4": ("pending", "queued on the SMSC"),
    "8": ("pending", "accepted by the SMSC"),
    "16": ("failed", "rejected by the SMSC"),
}


def callback_url(base_url: str, token: str) -> str:
    """Where smsbox's ``get-url`` sends replies: ``<server.base_url>/callbacks/kannel/<token>``."""
    return f"{base_url.rstrip('/')}/callbacks/kannel/{token}"


def dlr_url(callback: str, sms_id: int) -> str:
    """The ``dlr-url`` for one SMS: our DLR callback, with Kannel's ``%d`` and ``%A``."""
    return f"{callback}/dlr?id={sms_id}&status=%d&answer=%A"


def sendsms_request(
    sms: OutgoingSms,
    username: str,
    password: str,
    dlr_url: str = "",
    dlr_mask: int = 31,
    smsc: str = "",
) -> tuple[dict[str, str], bytes]:
    """The headers and body of a ``POST /cgi-bin/sendsms`` sending ``sms`` from its short code."""
    if not sms.shortcode:
        raise ProviderError("Kannel needs a short code to send from; none given", retryable=False)
    ucs2 = count_segments(sms.message).encoding == "ucs2"
    headers = {
        "Content-Type": "text/plain; charset=UTF-8",
        "X-Kannel-Username": username,
        "X-Kannel-Password": password,
        "X-Kannel-From": sms.shortcode,
        "X-Kannel-To": sms.to,
        "X-Kannel-Coding": "2" if ucs2 else "0",
    }
    if dlr_url and dlr_mask:
        headers |= {"X-Kannel-DLR-Mask": str(dlr_mask), "X-Kannel-DLR-Url": dlr_url}
    if smsc:
        headers["X-Kannel-SMSC"] = smsc
    return headers, sms.message.encode("utf-8")


def check_sendsms_answer(status: int, body: str) -> None:
    """Raise ProviderError unless smsbox accepted the SMS (``202 0: Accepted…``, ``3: Queued…``)."""
    text = " ".join(body.split())[:200] or "(empty body)"
    if 200 <= status < 300:
        return
    if status in (401, 403) or "authorization failed" in text.lower():
        message = f"Kannel refused kannel.username/kannel.password ({status} {text})"
        raise ProviderError(message, retryable=False)
    if 400 <= status < 500:
        raise ProviderError(f"Kannel rejected the SMS ({status} {text})", retryable=False)
    raise ProviderError(f"Kannel sendsms error ({status} {text})", retryable=True)


def parse_reply(fields: Mapping[str, str]) -> InboundReply:
    """A reply forwarded by smsbox's ``get-url`` (``id=%I&from=%p&to=%P&text=%b&coding=%c…``)."""
    coding = fields.get("coding", "")
    charset = fields.get("charset", "").upper()
    if coding in ("1", "2") or charset not in ("", "UTF-8"):
        # Without mo-recode a UCS-2 text arrives as UTF-16 bytes; 8-bit is binary data.
        raise InvalidCallback(
            f"Kannel sent coding {coding!r} charset {charset!r}: set mo-recode = true in "
            "the smsbox group and no alt-charset in the sms-service"
        )
    return read_reply(fields, REPLY_FIELDS)


def parse_delivery_report(fields: Mapping[str, str]) -> DeliveryReport:
    """A DLR on our ``dlr-url``: ``id`` (ours), ``status`` (``%d``), ``answer`` (``%A``)."""
    provider_id = text_field(fields, "id", MAX_LENGTH["id"]).strip()
    code = text_field(fields, "status", MAX_LENGTH["status"]).strip()
    if code not in DLR_TYPES:
        raise InvalidCallback(f"unknown Kannel DLR type in field 'status': {code!r}")
    status, meaning = DLR_TYPES[code]
    answer = " ".join(str(fields.get("answer", "")).split())[:200]
    return DeliveryReport(
        provider_id, status, f"Kannel DLR {code}: {meaning}; {answer}".strip("; ")
    )
