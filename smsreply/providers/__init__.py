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
from .simulator import SimulatorProvider


def _provider_classes() -> dict[str, type]:
    classes: list[type] = [SimulatorProvider]
    try:
        from .ovh import OvhProvider
    except ImportError:  # the OVH package is optional until configured
        pass
    else:
        classes.append(OvhProvider)
    return {cls.name: cls for cls in classes}


def build_provider(settings: Mapping[str, object], store: Store, clock: Clock = utcnow) -> Provider:
    name = settings["provider.name"]
    classes = _provider_classes()
    if name not in classes:
        raise ConfigError(f"provider.name: unknown provider {name!r}; known: {', '.join(classes)}")
    cls = classes[name]
    if cls is SimulatorProvider:
        return cls.from_settings(settings, store, clock)
    return cls.from_settings(settings)


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
