"""Action ``text``: answer every reply with the same predefined text (OVH "texte prédéfini").

The text is counted like any SMS (GSM-7 or UCS-2 parts) and debited when it is queued.
"""

from __future__ import annotations

from ..segments import find_url
from .base import (
    Action,
    ActionConfigError,
    Outcome,
    ReplyContext,
    check_keys,
    require_text,
    smart_option,
)


class TextAction(Action):
    type = "text"

    @classmethod
    def validate(cls, options, resources) -> dict:
        check_keys(options, {"text", "smart_encoding"})
        text = require_text(options, "text")
        url = find_url(text)
        if url:
            raise ActionConfigError(
                f"the text contains a URL ({url}), blocked from short codes",
                "text",
                "text_url",
                url=url,
            )
        return {"action": cls.type, "text": text, **smart_option(options)}

    def run(self, reply: ReplyContext) -> Outcome:
        return Outcome("answer", answer=self.options["text"], detail={"action": "text"})
