"""Action ``text``: answer every reply with the same predefined text (OVH "texte prédéfini").

The text is counted like any SMS (GSM-7 or UCS-2 parts) and debited when it is queued; that
it holds no URL is checked by ``options.schema``.
"""

from __future__ import annotations

from .base import Action, Outcome, ReplyContext, smart_option


class TextAction(Action):
    type = "text"
    immediate = True  # its outcome is known without I/O

    @classmethod
    def validate(cls, options, resources) -> dict:
        return {"action": cls.type, "text": options["text"], **smart_option(options)}

    def run(self, reply: ReplyContext) -> Outcome:
        return Outcome("answer", answer=self.options["text"], detail={"action": "text"})
