"""The compose page's counter, worked out on the server so it is right without JavaScript.

It says what the text costs as it will be sent — after smart encoding when the box is
ticked —, which characters force Unicode (UCS-2), how many smart encoding replaced, and,
when the box is unticked, what ticking it would cost instead.
``smsreply/static/manager.js`` writes the same sentences live from the same catalogue
strings, passed in the output's ``data-*`` attributes (``js_templates``).

Example::

    counter("C’est l’été", smart=False, max_parts=6)["because"]
    # "Unicode because of: “’”"
"""

from __future__ import annotations

import unicodedata

from flask_babel import get_translations, gettext, ngettext

from ...text.segments import count_segments, ucs2_characters
from ...text.smart_encoding import REPLACEMENTS, smart_encode

MAX_SHOWN = 10  # characters listed as forcing UCS-2


def capacity(encoding: str, parts: int) -> int:
    if parts == 1:
        return 160 if encoding == "gsm7" else 70
    return parts * (153 if encoding == "gsm7" else 67)


def show_char(char: str) -> str:
    """A character quoted, or its code point when it cannot be seen (spaces, joiners)."""
    if unicodedata.category(char)[0] in "ZC":
        return f"U+{ord(char):04X}"
    return gettext("“%(char)s”", char=char)


def counter(text: str, smart: bool, max_parts: int) -> dict:
    sent = smart_encode(text) if smart else text
    segments = count_segments(sent)
    encoding = gettext("GSM-7") if segments.encoding == "gsm7" else gettext("Unicode (UCS-2)")
    line = gettext(
        "%(units)s / %(capacity)s characters · %(parts)s SMS · %(credits)s · %(encoding)s",
        units=segments.units,
        capacity=capacity(segments.encoding, segments.parts),
        parts=segments.parts,
        credits=ngettext("%(num)s credit", "%(num)s credits", segments.credits),
        encoding=encoding,
    )
    over = segments.parts > max_parts
    if over:
        line += " " + gettext("— too long: at most %(max)s SMS.", max=max_parts)
    notes = []
    if segments.encoding == "ucs2":
        chars = [show_char(char) for char in ucs2_characters(sent)[:MAX_SHOWN]]
        notes.append(gettext("Unicode because of: %(chars)s", chars=", ".join(chars)))
        cheaper = text if smart else smart_encode(text)
        if cheaper != text:  # the box is unticked and ticking it would help: say how much
            notes.append(
                ngettext(
                    "Smart encoding would send it as GSM-7 in %(num)s SMS.",
                    "Smart encoding would send it as GSM-7 in %(num)s SMS.",
                    count_segments(cheaper).parts,
                )
            )
    replaced = sum(char in REPLACEMENTS for char in text) if sent != text else 0
    if replaced:
        notes.append(
            ngettext(
                "Smart encoding replaced %(num)s character.",
                "Smart encoding replaced %(num)s characters.",
                replaced,
            )
        )
    because = " ".join(notes)
    return {"line": line, "over": over, "because": because}


def js_templates(max_parts: int) -> dict[str, str]:
    """The same sentences with their ``%(name)s`` placeholders kept, for the live counter."""

    def keep(*names: str) -> dict[str, str]:
        return {name: f"%({name})s" for name in names}

    def plural(singular: str, plural: str, n: int) -> str:
        # Unformatted, so %(num)s stays for the script (the msgids are counter()'s).
        return get_translations().ngettext(singular, plural, n)

    return {
        "template": gettext(
            "%(units)s / %(capacity)s characters · %(parts)s SMS · %(credits)s · %(encoding)s",
            **keep("units", "capacity", "parts", "credits", "encoding"),
        ),
        "credit-one": plural("%(num)s credit", "%(num)s credits", 1),
        "credit-other": plural("%(num)s credit", "%(num)s credits", 2),
        "too-long": gettext("— too long: at most %(max)s SMS.", max=max_parts),
        "gsm7": gettext("GSM-7"),
        "ucs2": gettext("Unicode (UCS-2)"),
        "because": gettext("Unicode because of: %(chars)s", **keep("chars")),
        "char": gettext("“%(char)s”", **keep("char")),
        "replaced-one": plural(
            "Smart encoding replaced %(num)s character.",
            "Smart encoding replaced %(num)s characters.",
            1,
        ),
        "replaced-other": plural(
            "Smart encoding replaced %(num)s character.",
            "Smart encoding replaced %(num)s characters.",
            2,
        ),
        "would-one": plural(
            "Smart encoding would send it as GSM-7 in %(num)s SMS.",
            "Smart encoding would send it as GSM-7 in %(num)s SMS.",
            1,
        ),
        "would-other": plural(
            "Smart encoding would send it as GSM-7 in %(num)s SMS.",
            "Smart encoding would send it as GSM-7 in %(num)s SMS.",
            2,
        ),
        "max-parts": str(max_parts),
    }
