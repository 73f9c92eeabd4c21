"""Action ``none``: the reply is stored (and debited) and nothing is sent back."""

from __future__ import annotations

from .base import Action, Outcome, ReplyContext


class NoAction(Action):
    type = "none"
    immediate = True  # its outcome is known without I/O

    @classmethod
    def validate(cls, options, resources) -> dict:
        return {"action": cls.type}

    def run(self, reply: ReplyContext) -> Outcome:
        return Outcome("no-reply", detail={"action": "none"})
