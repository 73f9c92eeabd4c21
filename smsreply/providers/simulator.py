"""The built-in simulated provider: the operator network on the customer's own machine.

Every SMS handed to it lands in a local outbox (a table of the same SQLite file), shown
by ``GET /api/outbox`` and ``smsreply outbox``. Recording is keyed by our SMS id, so a
resend after a crash shows once. Replies come in through the OVH-shaped callback, so a
``curl`` behaves exactly as OVH would.
"""

from __future__ import annotations

from collections.abc import Mapping

from ..clock import Clock, to_iso, utcnow
from ..store import Store
from .base import InboundReply, OutgoingSms, Provider, Sent
from .ovh_form import parse_ovh_reply


class SimulatorProvider(Provider):
    name = "simulator"
    allocates_shortcode = True  # we pick the short code, as a real operator would

    def __init__(self, store: Store, clock: Clock = utcnow) -> None:
        self.store = store
        self.clock = clock

    @classmethod
    def from_settings(cls, settings: Mapping[str, object], store: Store, clock: Clock = utcnow):
        return cls(store, clock)

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
        return Sent(provider_id=f"sim-{sms.id}", shortcode=sms.shortcode)

    def parse_reply(self, fields: Mapping[str, str]) -> InboundReply:
        return parse_ovh_reply(fields)
