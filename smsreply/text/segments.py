"""What an SMS text costs, counted as OVH counts it, and what it may not contain.

GSM 03.38 7-bit: 160 characters in one SMS, 153 per part when concatenated; the
extension characters (``€ [ ] { } ^ ~ | \\`` and form feed) take two septets. Any other
character switches the whole message to UCS-2: 70 UTF-16 units, 67 per part. One part
costs one credit. Short-code messages carry no STOP clause, so none is counted.

A part never ends in the middle of a character, as real encoders split: an extension
character's escape pair, or an emoji's surrogate pair, that would straddle two parts moves
whole to the next one, leaving one unit of the part unused (``"a"*152 + "€" + "a"*152`` is
three parts, not two).

Example::

    count_segments("Bonjour")        # Segments(encoding="gsm7", units=7, parts=1)
    count_segments("Prix: 5€ [TTC]")  # extension characters count 2
    ucs2_characters("Fête – 20 h")   # ["ê", "–"]: what makes it UCS-2
    find_url("voir www.example.fr")  # "www.example.fr"
    find_url("contact@exemple.fr")   # None: an e-mail address is not a URL

OVH documents that SMS containing a URL are blocked from reply-capable short codes;
it documents no such rule for e-mail addresses, so they are allowed (docs/reply-options.md).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = frozenset("^{}\\[~]|€\f")
GSM7 = GSM7_BASIC | GSM7_EXTENSION

_URL = re.compile(
    r"""(?ix)
    \b(?:https?|ftp)://\S+                      # anything with a scheme
    | (?<![@.\w-])www\d{0,3}\.\S+                # www.example… (not after "name@")
    | (?<![@.\w-])[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?  # bare domain: label
      (?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*
      \.(?:com|fr|net|org|info|biz|eu|io|co|me|ly|gl|be|ch|de|uk|us|app|dev|site|xyz|link|shop)
      \b(?:/\S*)?
    """
)


@dataclass(frozen=True)
class Segments:
    encoding: str  # "gsm7" or "ucs2"
    units: int  # septets (gsm7) or UTF-16 code units (ucs2)
    parts: int

    @property
    def credits(self) -> int:
        return self.parts


def count_segments(text: str) -> Segments:
    """Return the encoding, length and number of parts of ``text``."""
    used = set(text)  # set operations: a campaign counts 100,000 texts
    if used <= GSM7:
        wide = used & GSM7_EXTENSION
        units = len(text) + sum(text.count(char) for char in wide)
        parts = _parts(text, units, 160, 153, _GSM7_WIDE if wide else None)
        return Segments("gsm7", units, parts)
    units = len(text.encode("utf-16-le")) // 2
    astral = units > len(text)  # characters beyond U+FFFF take a surrogate pair
    parts = _parts(text, units, 70, 67, _UCS2_WIDE if astral else None)
    return Segments("ucs2", units, parts)


_GSM7_WIDE = re.compile("[" + re.escape("".join(sorted(GSM7_EXTENSION))) + "]")
_UCS2_WIDE = re.compile("[\U00010000-\U0010ffff]")


def _parts(text: str, units: int, single: int, per_part: int, wide: re.Pattern | None) -> int:
    """Parts for ``units``; ``wide`` finds the two-unit characters, ``None`` if there are none.

    Only a two-unit character starting on a part's last unit changes the arithmetic: that
    part ends one unit short and the character starts the next one.
    """
    if units <= single:
        return 1
    if wide is None:
        return math.ceil(units / per_part)
    full_parts, part_start = 0, 0  # parts before the current one, and where it starts
    for before, match in enumerate(wide.finditer(text)):
        offset = match.start() + before  # in units: each earlier wide character adds one
        filled, into = divmod(offset - part_start, per_part)
        full_parts, part_start = full_parts + filled, part_start + filled * per_part
        if into == per_part - 1:
            full_parts, part_start = full_parts + 1, offset
    return full_parts + math.ceil((units - part_start) / per_part)


def ucs2_characters(text: str) -> list[str]:
    """The distinct characters of ``text`` outside GSM-7, in order: why it is UCS-2."""
    seen: dict[str, None] = {}
    for char in text:
        if char not in GSM7_BASIC and char not in GSM7_EXTENSION:
            seen.setdefault(char)
    return list(seen)


def find_url(text: str) -> str | None:
    """Return the first URL-like part of ``text`` (OVH blocks them from short codes)."""
    match = _URL.search(text)
    return _without_trailing_punctuation(match.group(0)) if match else None


def _without_trailing_punctuation(url: str) -> str:
    """``https://x.fr`` from ``https://x.fr,`` — the sentence's comma or full stop is not
    part of the URL; a closing bracket is kept when the URL opened it (``…/Foo_(bar)``)."""
    while url and (url[-1] in ".,;:!?'\"»…" or _unopened(url, url[-1])):
        url = url[:-1]
    return url


def _unopened(url: str, last: str) -> bool:
    opening = {")": "(", "]": "[", "}": "{"}.get(last)
    return opening is not None and url.count(opening) < url.count(last)
