"""The registry of upstream providers: an explicit list, keyed by each class's ``name``.

``build_provider(settings, store)`` returns the configured one; an unknown name fails
fast with the list of known ones.
"""

from __future__ import annotations

from collections.abc import Mapping

from ..clock import Clock, utcnow
from ..settings import ConfigError
from ..store import Store
from .base import (
    DeliveryReport,
    InboundReply,
    InvalidCallback,
    OutgoingSms,
    Provider,
    ProviderError,
    Sent,
)
from .http import HttpProvider
from .kannel import KannelProvider
from .ovh import OvhProvider
from .ovh import protocol as ovh_protocol
from .ovh.form import parse_ovh_reply
from .simulator import SimulatorProvider


class OvhCallbacks:
    """OVH's callback shapes without an OVH account: the simulator receives these too."""

    name = "ovh"
    acknowledgement = None
    parse_reply = staticmethod(parse_ovh_reply)
    parse_delivery_report = staticmethod(ovh_protocol.parse_delivery_report)


PROVIDERS: dict[str, type[Provider]] = {
    cls.name: cls for cls in (SimulatorProvider, OvhProvider, HttpProvider, KannelProvider)
}


def build_provider(settings: Mapping[str, object], store: Store, clock: Clock = utcnow) -> Provider:
    name = settings["provider.name"]
    if name not in PROVIDERS:
        known = ", ".join(PROVIDERS)
        raise ConfigError(f"provider.name: unknown provider {name!r}; known: {known}")
    if name == SimulatorProvider.name:
        return SimulatorProvider(store, clock, settings)
    return PROVIDERS[name].from_settings(settings, store)


def callback_parser(name: str, configured: Provider):
    """What parses callbacks named ``name``: the configured provider, or OVH's shape."""
    if name == configured.name:
        return configured
    if name == OvhCallbacks.name:
        return OvhCallbacks
    return None


__all__ = [
    "DeliveryReport",
    "InboundReply",
    "InvalidCallback",
    "OutgoingSms",
    "Provider",
    "ProviderError",
    "Sent",
    "SimulatorProvider",
    "build_provider",
]
