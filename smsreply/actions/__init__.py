"""The registry of reply actions: an explicit list, keyed by each class's ``type``.

``build_action({"action": "text", "text": "Merci"}, resources)`` returns a ready action;
an unknown type fails fast with the list of known ones.
"""

from __future__ import annotations

from collections.abc import Mapping

from .base import Action, ActionConfigError, Outcome, ReplyContext, Resources
from .cgi import CgiAction
from .handler import HandlerAction
from .none import NoAction
from .text import TextAction
from .url import UrlAction

ACTIONS: dict[str, type[Action]] = {
    cls.type: cls for cls in (NoAction, TextAction, CgiAction, HandlerAction, UrlAction)
}


def action_class(options: Mapping[str, object]) -> type[Action]:
    if not isinstance(options, Mapping):
        raise ActionConfigError(
            'an action must be an object such as {"action": "none"}', key="action_not_object"
        )
    name = options.get("action")
    if name not in ACTIONS:
        known = ", ".join(sorted(ACTIONS))
        raise ActionConfigError(
            f"unknown action {name!r}: expected one of {known}", key="action_unknown", name=name
        )
    return ACTIONS[name]


def build_action(options: Mapping[str, object], resources: Resources) -> Action:
    return action_class(options)(options, resources)


__all__ = [
    "ACTIONS",
    "Action",
    "ActionConfigError",
    "Outcome",
    "ReplyContext",
    "Resources",
    "action_class",
    "build_action",
]
