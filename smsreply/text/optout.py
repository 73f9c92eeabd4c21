"""Opt-out: which replies mean STOP, so the number is blacklisted and never sent to again.

French operators and OVH use ``STOP`` (often ``STOP SMS`` or ``STOP 36111``); people also
write ``Arrêt``, ``stop!`` or ``Unsubscribe``. A reply is an opt-out when its first word,
without accents, case or punctuation, is one of :data:`STOP_WORDS`.

Example::

    is_stop("Stop.")  # True
    is_stop("Stoppez pas !")  # False
"""

from __future__ import annotations

import re
import unicodedata

STOP_WORDS = frozenset(
    {"stop", "stopall", "arret", "unsubscribe", "desabonnement", "desinscription", "stopsms"}
)
_WORD = re.compile(r"[a-z0-9]+")


def fold(text: str) -> str:
    """Lower case, accents removed: how keywords are compared."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def first_word(message: str) -> str:
    """The first run of letters or digits, folded ("" when there is none)."""
    match = _WORD.search(fold(message))
    return match.group(0) if match else ""


def is_stop(message: str) -> bool:
    return first_word(message) in STOP_WORDS
