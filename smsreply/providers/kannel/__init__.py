"""Kannel (bearerbox + smsbox) as the provider: send through sendsms, take replies back.

smsreply picks each conversation's short code (Kannel sends from whatever ``from`` it is
given) and hands every SMS to smsbox's ``sendsms`` with a ``dlr-url`` pointing back at
``/callbacks/kannel/<token>/dlr``; Kannel's ``sms-service`` forwards replies to
``/callbacks/kannel/<token>``. Kannel returns no message id, so an SMS is known by our
own id. The wire format is in :mod:`.protocol`; the ``kannel.conf`` to paste is in
``docs/providers-kannel.md``.

Example::

    provider = KannelProvider.from_settings(settings, store)
    sent = provider.send(OutgoingSms(id=7, to="+33612345678", message="Venez-vous ?",
                                     shortcode="38123", tag="sr7"))  # Sent("7", "38123")
"""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import urlsplit

import requests

from ...accounts.credentials import ensure_callback_token
from ...settings import ConfigError
from ..base import DeliveryReport, InboundReply, OutgoingSms, Provider, ProviderError, Sent
from . import protocol

__all__ = ["KannelProvider"]


class KannelProvider(Provider):
    """smsbox's sendsms interface as a :class:`Provider`."""

    name = "kannel"
    allocates_shortcode = True  # Kannel sends from the ``from`` we give it

    def __init__(
        self,
        *,
        sendsms_url: str,
        username: str,
        password: str,
        callback: str = "",
        smsc: str = "",
        dlr_mask: int = 31,
        timeout: float = 10.0,
    ) -> None:
        """``callback`` is ``protocol.callback_url(…)``, for DLRs; empty: ask for none."""
        url = urlsplit(sendsms_url)
        if url.scheme not in ("http", "https") or not url.hostname or url.username:
            raise ConfigError("kannel.sendsms_url must be an http(s) URL (no user:password@)")
        if not (username and password and (username + password).isascii()):
            raise ConfigError("kannel.username and kannel.password must be set (ASCII text)")
        if not 0 <= dlr_mask <= 31:
            raise ConfigError("kannel.dlr_mask must be 0 to 31 (a sum of 1, 2, 4, 8, 16)")
        self.sendsms_url, self.username, self.password = sendsms_url, username, password
        self.callback, self.smsc = callback.rstrip("/"), smsc
        self.dlr_mask, self.timeout = dlr_mask, timeout
        self.session = requests.Session()

    @classmethod
    def from_settings(cls, settings: Mapping[str, object], store: object = None) -> KannelProvider:
        """Build from the ``kannel.*`` settings; DLRs need the store (its callback token)."""
        callback = ""
        if store is not None:
            token = ensure_callback_token(store)
            callback = protocol.callback_url(str(settings["server.base_url"]), token)
        return cls(
            sendsms_url=str(settings["kannel.sendsms_url"]),
            username=str(settings["kannel.username"]),
            password=str(settings["kannel.password"]),
            callback=callback,
            smsc=str(settings["kannel.smsc"]),
            dlr_mask=int(settings["kannel.dlr_mask"]),
            timeout=float(settings["kannel.timeout"]),
        )

    def send(self, sms: OutgoingSms) -> Sent:
        """Hand one SMS to smsbox; raises ProviderError (``retryable`` says whether)."""
        dlr_url = protocol.dlr_url(self.callback, sms.id) if self.callback else ""
        headers, body = protocol.sendsms_request(
            sms, self.username, self.password, dlr_url, self.dlr_mask, self.smsc
        )
        where = f"Kannel sendsms at {urlsplit(self.sendsms_url).netloc}"
        try:
            response = self.session.post(
                self.sendsms_url, data=body, headers=headers, timeout=self.timeout
            )
        except requests.Timeout:
            raise ProviderError(f"{where}: no answer in {self.timeout} s", retryable=True) from None
        except requests.RequestException as error:
            failure = f"{where} unreachable ({type(error).__name__})"
            raise ProviderError(failure, retryable=True) from None
        protocol.check_sendsms_answer(response.status_code, response.text)
        return Sent(provider_id=str(sms.id), shortcode=sms.shortcode)

    def parse_reply(self, fields: Mapping[str, str]) -> InboundReply:
        return protocol.parse_reply(fields)

    def parse_delivery_report(self, fields: Mapping[str, str]) -> DeliveryReport:
        return protocol.parse_delivery_report(fields)

    def close(self) -> None:
        self.session.close()
