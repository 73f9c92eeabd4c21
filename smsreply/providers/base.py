"""The contract every upstream provider implements.

A provider is the operator side of smsreply: it takes outgoing SMS (``send``) and
turns the provider's HTTP callbacks into :class:`InboundReply` values
(``parse_reply``). Protocol logic stays pure and testable on recorded payloads; the
network call in ``send`` is a thin wrapper around it (see rapidsms' backends).

Example::

    provider = SimulatorProvider.from_settings(settings, store)
    sent = provider.send(OutgoingSms(id=7, to="+33612345678", message="Hi",
                                     shortcode="38123", tag="c7"))
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar


@dataclass(frozen=True)
class OutgoingSms:
    """One SMS to hand to the provider. ``id`` is ours and doubles as idempotency key."""

    id: int
    to: str  # E.164
    message: str
    shortcode: str | None  # the short code we allocated; providers that pick their own ignore it
    tag: str  # echoed back by the provider on replies, so they match their conversation
    segments: int = 1
    # When an earlier attempt for this SMS started (it may have reached the provider
    # before a timeout or a crash): providers that can look up what they took check first.
    retry_of: datetime | None = None


@dataclass(frozen=True)
class Sent:
    """What the provider answered for an accepted SMS."""

    provider_id: str
    shortcode: str | None = None  # the short code the provider used, when it picks one
    credits_left: float | None = None  # the provider's own balance, when it reports it


@dataclass(frozen=True)
class InboundReply:
    """A reply as the provider forwarded it, not yet validated or matched."""

    provider_id: str
    sender: str  # raw, as the provider wrote it; normalised by the service
    message: str
    shortcode: str | None = None
    tag: str | None = None
    # The callback's fields exactly as received, in the order received (OVH shape only:
    # its sixth field ``keyword`` and any it may add reach scripts unchanged).
    fields: tuple[tuple[str, str], ...] = ()
    charset: str = "utf-8"  # how the request's bytes were read (see web.charsets)
    raw_request: str | None = None  # kept, percent-escaped, when they were not UTF-8


@dataclass(frozen=True)
class DeliveryReport:
    """A change of state of an SMS we sent, as the provider reported it."""

    provider_id: str
    status: str  # "delivered" | "failed" | "pending"
    detail: str = ""


class ProviderError(Exception):
    """The provider refused or failed to take an SMS.

    ``retryable`` says whether trying again later may succeed (timeouts, 5xx) or not
    (invalid number, bad credentials).
    """

    def __init__(self, message: str, *, retryable: bool) -> None:
        super().__init__(message)
        self.message = message
        self.retryable = retryable


class InvalidCallback(ValueError):
    """A callback whose fields are missing or malformed; the message names the field,
    ``key`` and ``params`` say it for translation (see ``errors.SmsReplyError``)."""

    def __init__(self, message: str, key: str = "callback_invalid", **params: object) -> None:
        super().__init__(message)
        self.message = message
        self.key = key
        self.params = params


class Provider:
    """Base class: subclasses set ``name`` and implement ``send`` and ``parse_reply``."""

    name: ClassVar[str]
    # True when smsreply picks the 5-digit short code (OVH picks its own).
    allocates_shortcode: bool = False
    # The body a gateway expects in answer to a callback (Jasmin: "ACK/Jasmin"); None: JSON.
    acknowledgement: str | None = None

    def send(self, sms: OutgoingSms) -> Sent:
        raise NotImplementedError

    def parse_reply(self, fields: Mapping[str, str]) -> InboundReply:
        raise NotImplementedError

    def parse_delivery_report(self, fields: Mapping[str, str]) -> DeliveryReport:
        raise InvalidCallback(f"provider {self.name!r} sends no delivery reports")

    def close(self) -> None:
        """Release connections; called at shutdown."""
