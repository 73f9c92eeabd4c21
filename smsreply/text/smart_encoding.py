"""Smart encoding: typographic characters replaced by their GSM-7 look-alikes, to send cheaper.

One « ’ » or one non-breaking space turns a whole SMS into UCS-2: 70 characters a part
instead of 160, so often twice the credits. Word processors and phones put them in
unasked. Like Twilio's "smart encoding", ``smart_encode`` replaces the characters of
``REPLACEMENTS`` (typographic quotes, dashes, the ellipsis, special spaces, invisible
joiners) by plain GSM-7 ones — but only when that makes the whole text GSM-7 without
needing more parts: a text that stays UCS-2 anyway (an « ê », an emoji) is sent as typed.
The table is documented in docs/manager.md; ``smsreply/static/manager.js`` holds a copy
that a test compares with this one.

Example::

    smart_encode("C’est l’heure…")  # "C'est l'heure..."
    smart_encode("Fête – 20 h")     # unchanged: « ê » keeps it UCS-2 anyway
"""

from __future__ import annotations

from .segments import count_segments

_SPACES = (
    "\u00a0\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u202f\u205f\u3000"
)
REPLACEMENTS: dict[str, str] = {
    # quotes
    "\u2018": "'",  # ‘
    "\u2019": "'",  # ’
    "\u201a": "'",  # ‚
    "\u201b": "'",  # ‛
    "\u2032": "'",  # ′
    "\u02bc": "'",  # ʼ
    "\u2039": "'",  # ‹
    "\u203a": "'",  # ›
    "\u201c": '"',  # “
    "\u201d": '"',  # ”
    "\u201e": '"',  # „
    "\u201f": '"',  # ‟
    "\u2033": '"',  # ″
    "\u00ab": '"',  # «
    "\u00bb": '"',  # »
    # dashes and minus
    "\u2010": "-",  # hyphen
    "\u2011": "-",  # non-breaking hyphen
    "\u2012": "-",  # figure dash
    "\u2013": "-",  # – en dash
    "\u2014": "-",  # — em dash
    "\u2015": "-",  # ― horizontal bar
    "\u2212": "-",  # − minus sign
    # ellipsis
    "\u2026": "...",  # …
    # spaces: non-breaking, narrow (French « : » typography), thin, em/en…
    **dict.fromkeys(_SPACES, " "),
    # invisible: soft hyphen, zero-width space/joiners, byte-order mark
    "\u00ad": "",
    "\u200b": "",
    "\u200c": "",
    "\u200d": "",
    "\u2060": "",
    "\ufeff": "",
}
_TABLE = str.maketrans(REPLACEMENTS)


def replace_typographic(text: str) -> str:
    """``text`` with every character of ``REPLACEMENTS`` replaced, whatever it costs."""
    return text.translate(_TABLE)


def smart_encode(text: str) -> str:
    """The cheaper of ``text`` and its replaced form: the replaced form when it is GSM-7
    in no more parts, else ``text`` unchanged."""
    candidate = replace_typographic(text)
    if candidate == text:
        return text
    before, after = count_segments(text), count_segments(candidate)
    if after.encoding == "gsm7" and after.parts <= before.parts:
        return candidate
    return text
