"""The OVHcloud "SMS avec réponse" provider: send from an OVH short code, take replies back.

Sending is ``POST /sms/{serviceName}/jobs`` with ``senderForResponse`` through python-ovh
(:mod:`.client`); replies arrive either on OVH's CGI callback (:meth:`OvhProvider.parse_reply`)
or by polling ``/incoming`` (:mod:`.poller`); delivery reports arrive on the account's
``callBack`` URL (:meth:`OvhProvider.parse_delivery_report`). The wire format is in
:mod:`.protocol`; setup is in ``docs/providers-ovh.md``.

Example::

    provider = OvhProvider.from_settings(settings)
    sent = provider.send(OutgoingSms(id=7, to="+33612345678", message="Venez-vous ?",
                                     shortcode=None, tag="c7"))
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import ClassVar

from smsreply.providers.base import (
    DeliveryReport,
    InboundReply,
    OutgoingSms,
    Provider,
    Sent,
)
from smsreply.providers.ovh import protocol
from smsreply.providers.ovh.client import DEFAULT_TIMEOUT, OvhClient
from smsreply.providers.ovh.form import parse_ovh_reply
from smsreply.providers.ovh.incoming import poll_once

__all__ = ["OvhProvider"]

CLOCK_SLACK_SECONDS = 5


def _created_before(outgoing: Mapping[str, object], moment: datetime) -> bool:
    """Whether OVH created ``outgoing`` before ``moment``; unknown dates count as after."""
    try:
        created = datetime.fromisoformat(str(outgoing.get("creationDatetime")))
    except ValueError:
        return False
    return (created if created.tzinfo else created.replace(tzinfo=UTC)) < moment


class OvhProvider(Provider):
    """OVH's SMS API as a :class:`Provider`; arguments left empty use python-ovh's lookup."""

    name: ClassVar[str] = "ovh"

    def __init__(
        self,
        *,
        endpoint: str | None = None,
        application_key: str | None = None,
        application_secret: str | None = None,
        consumer_key: str | None = None,
        service_name: str | None = None,
        no_stop_clause: bool = True,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> None:
        self.no_stop_clause = no_stop_clause
        self.client = OvhClient(
            endpoint=endpoint,
            application_key=application_key,
            application_secret=application_secret,
            consumer_key=consumer_key,
            service_name=service_name,
            timeout=timeout,
        )

    @classmethod
    def from_settings(cls, settings: Mapping[str, object], store: object = None) -> OvhProvider:
        """Build from the ``ovh.*`` settings (``store`` is unused: registry uniformity)."""

        def text(key: str) -> str | None:
            value = settings.get(f"ovh.{key}")
            return str(value) if value not in (None, "") else None

        timeout = settings.get("ovh.timeout")
        return cls(
            endpoint=text("endpoint"),
            application_key=text("application_key"),
            application_secret=text("application_secret"),
            consumer_key=text("consumer_key"),
            service_name=text("service_name"),
            no_stop_clause=bool(settings.get("ovh.no_stop_clause", True)),
            timeout=float(timeout) if timeout not in (None, "") else DEFAULT_TIMEOUT,
        )

    def send(self, sms: OutgoingSms) -> Sent:
        """Hand one SMS to OVH; raises ProviderError (``retryable`` says whether to retry).

        After an unanswered attempt (timeout, 5xx, a crash of ours) OVH may have queued the
        SMS anyway, so a retry (``sms.retry_of`` is set, from the database: it holds across
        processes and restarts) first looks for it.
        """
        if sms.retry_of is not None:
            already = self.find_sent(sms, since=sms.retry_of)
            if already is not None:
                return already
        return self.client.send(sms, self.no_stop_clause)

    def find_sent(self, sms: OutgoingSms, since: datetime | None = None) -> Sent | None:
        """The SMS OVH already took for ``sms`` (same tag, receiver and text), if any.

        Call it before re-sending an SMS whose earlier attempt got no answer (a timeout, a
        crash), with ``since`` = when that attempt started, so an identical earlier SMS of
        the same conversation is not mistaken for it.
        """
        if since is not None:  # OVH's clock, not ours, stamps creationDatetime
            since += timedelta(seconds=self.client.api.time_delta - CLOCK_SLACK_SECONDS)
        for outgoing_id in sorted(self.client.find_job_by_tag(sms.tag), reverse=True):
            outgoing = self.client.get_outgoing(outgoing_id)
            receiver = str(outgoing.get("receiver", ""))
            if receiver.startswith("00"):
                receiver = "+" + receiver[2:]
            if receiver != sms.to or outgoing.get("message") != sms.message:
                continue
            if since is None or not _created_before(outgoing, since):
                return Sent(provider_id=str(outgoing_id))
        return None

    def parse_reply(self, fields: Mapping[str, str]) -> InboundReply:
        return parse_ovh_reply(fields)

    def parse_delivery_report(self, fields: Mapping[str, str]) -> DeliveryReport:
        return protocol.parse_delivery_report(fields)

    def poll(self, receive: Callable[[InboundReply], object]) -> int:
        """Store then delete the replies OVH holds (see :mod:`.incoming`); return the count."""
        return poll_once(self.client, receive)

    def close(self) -> None:
        self.client.close()
