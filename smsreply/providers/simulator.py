"""The built-in simulated provider: the operator network on the customer's own machine.

Every SMS handed to it lands in a local outbox (a table of the same SQLite file), shown
by ``GET /api/outbox`` and ``smsreply outbox``. Recording is keyed by our SMS id, so a
resend after a crash shows once. Like OVH, it gives each SMS a numeric id and, after
``simulator.dlr_delay`` seconds, posts a delivery report to the server's own DLR callback
(``server.base_url`` + ``/callbacks/ovh/<token>/dlr``, as OVH calls ``callBack``):
delivered, or failed for a share ``simulator.failure_rate`` of them, so the delivery
column means something offline. Replies come in through the OVH-shaped callback, so a
``curl`` behaves exactly as OVH would.
"""

from __future__ import annotations

import logging
import random
import threading
from collections.abc import Mapping

import requests

from ..accounts.credentials import ensure_callback_token
from ..clock import Clock, to_iso, utcnow
from ..store import Store
from .base import InboundReply, OutgoingSms, Provider, Sent
from .ovh.form import parse_ovh_reply

log = logging.getLogger(__name__)
ID_OFFSET = 10**8  # ids look like OVH's (10867690…) and stay the same for a resend


class SimulatorProvider(Provider):
    name = "simulator"
    allocates_shortcode = True  # we pick the short code, as a real operator would

    def __init__(
        self, store: Store, clock: Clock = utcnow, settings: Mapping[str, object] | None = None
    ) -> None:
        self.store = store
        self.clock = clock
        self.settings = settings or {}

    @classmethod
    def from_settings(cls, settings: Mapping[str, object], store: Store, clock: Clock = utcnow):
        return cls(store, clock, settings)

    def send(self, sms: OutgoingSms) -> Sent:
        self.store.record_simulated(
            {
                "id": sms.id,
                "at": to_iso(self.clock()),
                "recipient": sms.to,
                "shortcode": sms.shortcode,
                "message": sms.message,
                "tag": sms.tag,
                "segments": sms.segments,
            }
        )
        provider_id = str(ID_OFFSET + sms.id)
        self._report_later(provider_id)
        return Sent(provider_id=provider_id, shortcode=sms.shortcode)

    def parse_reply(self, fields: Mapping[str, str]) -> InboundReply:
        return parse_ovh_reply(fields)

    def _report_later(self, provider_id: str) -> None:
        delay = float(self.settings.get("simulator.dlr_delay", 0))
        if delay <= 0:
            return
        failed = random.random() < float(self.settings.get("simulator.failure_rate", 0))
        fields = {
            "id": provider_id,
            "description": "2" if failed else "1",
            "descriptionDlr": "Failed (simulated)" if failed else "Success",
            "ptt": "24" if failed else "4",
        }
        base = str(self.settings["server.base_url"]).rstrip("/")
        url = f"{base}/callbacks/ovh/{ensure_callback_token(self.store)}/dlr"
        # Not a daemon: a CLI that sent the SMS waits for its report before exiting.
        threading.Timer(delay, _post_report, (url, fields, base)).start()


def _post_report(url: str, fields: dict[str, str], base: str) -> None:
    try:
        response = requests.post(url, data=fields, timeout=10)
    except requests.RequestException as error:
        problem = type(error).__name__
    else:
        if response.ok:
            return
        problem = f"HTTP {response.status_code}"
    # A warning: server.base_url may name another port than this server's (or another
    # smsreply). The URL's token is a secret: it is named without it.
    log.warning(
        "simulated delivery report not posted to %s/callbacks/ovh/…/dlr (%s): is a "
        "server running at server.base_url?",
        base,
        problem,
    )
