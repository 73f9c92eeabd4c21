"""OVH's "SMS avec réponse" protocol as pure functions: no network, no settings.

What a job body looks like, how a job report, a reply callback, a delivery report and an
``sms.Incoming`` object become our provider values, how python-ovh's exceptions become a
:class:`ProviderError`, and how OVH signs a request (``docs/providers-ovh.md``, section 6).
Tested on recorded payloads.

Example::

    body = job_body(OutgoingSms(7, "+33612345678", "Venez-vous ?", None, "c7"), True)
    sent = parse_job_report({"ids": [10867690], "validReceivers": ["+33612345678"],
                             "invalidReceivers": [], "creditsLeft": 99.0})
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping

import ovh.exceptions as ovh_errors

from smsreply.providers.base import (
    DeliveryReport,
    InboundReply,
    InvalidCallback,
    OutgoingSms,
    ProviderError,
    Sent,
)

# 48 h, in minutes: the reply window. A message delivered later could not be answered,
# so OVH may drop it; OVH's own control panel sends the same value (§1.3).
VALIDITY_MINUTES = 2880

# DLR ids (§3.2): the ``description`` query field, or ``dlr`` as RaspiSMS reads it.
DLR_STATUS = dict.fromkeys(("0", "4", "8"), "pending") | dict.fromkeys(("2", "16"), "failed")
DLR_STATUS["1"] = "delivered"
# ptt codes (§3.2) used only when no DLR id came: 4 is delivered, 1-3 are in progress,
# every other documented code is a final failure.
PTT_PENDING = {"1", "2", "3"}

_AUTH_CODES = {
    ovh_errors.NotGrantedCall: "NOT_GRANTED_CALL",
    ovh_errors.NotCredential: "NOT_CREDENTIAL",
    ovh_errors.InvalidKey: "INVALID_KEY",
    ovh_errors.InvalidCredential: "INVALID_CREDENTIAL",
    ovh_errors.Forbidden: "FORBIDDEN",
}


def job_body(sms: OutgoingSms, no_stop_clause: bool) -> dict[str, object]:
    """The ``POST /sms/{serviceName}/jobs`` body for one reply-capable SMS.

    No ``sender``: with ``senderForResponse`` OVH picks a 5-digit short code itself.
    """
    return {
        "charset": "UTF-8",
        "message": sms.message,
        "noStopClause": no_stop_clause,
        "priority": "high",
        "receivers": [sms.to],
        "senderForResponse": True,
        "tag": sms.tag,
        "validityPeriod": VALIDITY_MINUTES,
    }


def parse_job_report(data: Mapping[str, object]) -> Sent:
    """Turn an ``sms.SmsSendingReportUser`` into :class:`Sent`, or raise ProviderError."""
    invalid = data.get("invalidReceivers") or []
    if invalid:
        names = ", ".join(str(receiver) for receiver in invalid)
        raise ProviderError(
            f"OVH refused receiver {names}: short-code SMS only go to French metropolitan mobiles",
            retryable=False,
        )
    ids = data.get("ids") or []
    if not ids:
        # Nothing says the SMS was not queued, so a retry could send it twice.
        raise ProviderError(f"OVH returned no SMS id (report: {dict(data)!r})", retryable=False)
    credits_left = data.get("creditsLeft")
    return Sent(
        provider_id=str(ids[0]),
        shortcode=None,  # OVH picks it but does not report it
        credits_left=float(credits_left) if credits_left is not None else None,
    )


def _required(fields: Mapping[str, object], name: str) -> str:
    value = _optional(fields, name)
    if value is None:
        raise InvalidCallback(f"missing or empty field {name!r}")
    return value


def _optional(fields: Mapping[str, object], name: str) -> str | None:
    value = fields.get(name)
    if value in (None, ""):
        return None
    if "\x00" in str(value):  # no database stores it (PostgreSQL refuses it in text)
        raise InvalidCallback(f"field {name!r} contains a NUL character", "nul", field=name)
    return str(value)


def parse_delivery_report(fields: Mapping[str, str]) -> DeliveryReport:
    """Turn a DLR call (query ``id, ptt, date, description, descriptionDlr``, or ``dlr``)."""
    provider_id = _required(fields, "id")
    code = _optional(fields, "description") or _optional(fields, "dlr")
    ptt = _optional(fields, "ptt")
    if code is not None:
        if code not in DLR_STATUS:
            raise InvalidCallback(f"unknown DLR id in field 'description': {code!r}")
        status = DLR_STATUS[code]
    elif ptt is not None:
        status = "delivered" if ptt == "4" else "pending" if ptt in PTT_PENDING else "failed"
    else:
        raise InvalidCallback("missing field 'description' (or 'dlr', or 'ptt')")
    parts = [_optional(fields, "descriptionDlr"), f"ptt {ptt}" if ptt else None]
    parts.append(_optional(fields, "date"))
    return DeliveryReport(provider_id, status, "; ".join(part for part in parts if part))


def parse_incoming(data: Mapping[str, object]) -> InboundReply:
    """Turn an ``sms.Incoming`` (``GET /sms/{sn}/incoming/{id}``); it has no short code."""
    return InboundReply(
        provider_id=_required(data, "id"),
        sender=_required(data, "sender"),
        message=_required(data, "message"),
        shortcode=None,
        tag=_optional(data, "tag"),
    )


def _api_message(exc: ovh_errors.APIError) -> str:
    # str(exc) may append "OVH-Query-ID"; args[0] is the API's own ``message``, except
    # InvalidRegion's, a %-template with its values after it.
    if not exc.args or not exc.args[0]:
        return type(exc).__name__
    if isinstance(exc, ovh_errors.InvalidRegion):
        return str(exc.args[0]) % tuple(map(str, exc.args[1:]))
    return str(exc.args[0])


def error_from_api(exc: Exception) -> ProviderError:
    """Map a python-ovh (or network) exception to ProviderError, saying whether to retry."""
    if isinstance(exc, ovh_errors.HTTPError):
        cause = exc.args[1] if len(exc.args) > 1 else exc
        return ProviderError(
            f"OVH API unreachable: {type(cause).__name__}: {cause}", retryable=True
        )
    if not isinstance(exc, ovh_errors.APIError):
        return ProviderError(f"OVH API call failed: {type(exc).__name__}", retryable=True)
    message = _api_message(exc)
    if isinstance(exc, tuple(_AUTH_CODES)) and exc.response is not None:
        code = _AUTH_CODES[type(exc)]
        if re.search(r"\bcredits?\b", message, re.IGNORECASE):
            # The operator tops the account up and the SMS waits, not fails.
            return ProviderError(f"OVH: not enough SMS credits ({message})", retryable=True)
        return ProviderError(f"OVH refused our credentials: {code}: {message}", retryable=False)
    if isinstance(exc, ovh_errors.InvalidKey | ovh_errors.InvalidConfiguration):
        return ProviderError(f"OVH credentials incomplete: {message}", retryable=False)
    if isinstance(exc, ovh_errors.BadParametersError):
        if "signature" in message.lower():
            message += " (check ovh.application_secret and ovh.consumer_key)"
        elif "out of time" in message.lower():
            message += " (check this machine's clock)"
        return ProviderError(f"OVH rejected the request: {message}", retryable=False)
    if isinstance(exc, ovh_errors.ResourceNotFoundError):
        hint = "check that ovh.service_name is this account's SMS service"
        return ProviderError(f"OVH: not found ({message}); {hint}", retryable=False)
    if isinstance(exc, ovh_errors.ResourceConflictError):
        return ProviderError(f"OVH: conflict, try again ({message})", retryable=True)
    if isinstance(exc, ovh_errors.InvalidRegion):
        return ProviderError(f"OVH: {message}; set ovh.endpoint", retryable=False)
    if isinstance(exc, ovh_errors.ResourceExpiredError):
        return ProviderError(f"OVH: {message}", retryable=False)
    if isinstance(exc, ovh_errors.InvalidResponse | ovh_errors.NetworkError):
        return ProviderError(f"OVH API gave no usable answer: {message}", retryable=True)
    status = exc.response.status_code if exc.response is not None else 0
    return ProviderError(
        f"OVH API error {status}: {message}", retryable=status >= 500 or status == 429
    )


def signature(
    app_secret: str, consumer_key: str, method: str, url: str, body: str, timestamp: int | str
) -> str:
    """``X-Ovh-Signature``: ``$1$`` + SHA-1 of ``AS+CK+METHOD+URL+BODY+TIMESTAMP`` (§6.1)."""
    text = "+".join([app_secret, consumer_key, method.upper(), url, body, str(timestamp)])
    return "$1$" + hashlib.sha1(text.encode("utf-8")).hexdigest()
