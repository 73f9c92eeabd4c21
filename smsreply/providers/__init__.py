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
from .ovh import OvhProvider
from .simulator import SimulatorProvider

PROVIDERS: dict[str, type[Provider]] = {cls.name: cls for cls in (SimulatorProvider, OvhProvider)}


def build_provider(settings: Mapping[str, object], store: Store, clock: Clock = utcnow) -> Provider:
    name = settings["provider.name"]
    if name not in PROVIDERS:
        known = ", ".join(PROVIDERS)
        raise ConfigError(f"provider.name: unknown provider {name!r}; known: {known}")
    if name == SimulatorProvider.name:
        return SimulatorProvider(store, clock)
    return PROVIDERS[name].from_settings(settings)


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
