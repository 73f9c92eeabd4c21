"""Customer regexes in reply rules, bounded in time.

Python's ``re`` backtracks without limit: the rule ``^(\\w+\\s?)*$`` took 8 s on a reply of
26 letters and ``!``, doubling with each letter, in a gunicorn or worker thread. Rules
use the ``regex`` package instead, in its ``re``-compatible mode (V0), so every rule
customers wrote keeps its meaning (Unicode ``\\w``, back-references, look-arounds, which
RE2 would refuse or change); its engine avoids most blow-ups, and each search stops
after ``SEARCH_TIMEOUT`` seconds (the rule then counts as not matching, and is logged).
At save, a new rule is tried on hostile probes, and refused if any runs past
``PROBE_TIMEOUT``: what cannot be bounded is refused with a message saying why.

Example::

    pattern = compile_rule(r"^rdv\\s+\\d+")
    matches(pattern, "RDV 12")  # True
    unbounded_reason(compile_rule(r"^(a|aa)+$"))  # "… exponential time …"
"""

from __future__ import annotations

import logging

import regex

log = logging.getLogger(__name__)

SEARCH_TIMEOUT = 0.1  # seconds per rule and reply
PROBE_TIMEOUT = 0.2  # a sound rule takes microseconds on a 40-character probe
PROBE_LENGTH = 40
BASE_PROBE_CHARS = "a0 é_-.!\n"

error = regex.error


def compile_rule(text: str) -> regex.Pattern:
    """``text`` compiled as ``re`` would (case-insensitive); ``error`` when invalid."""
    return regex.compile(text, regex.IGNORECASE | regex.V0)


def matches(pattern: regex.Pattern, message: str) -> bool:
    try:
        return pattern.search(message, timeout=SEARCH_TIMEOUT) is not None
    except TimeoutError:
        log.warning("rule regex %r timed out on a reply; treated as no match", pattern.pattern)
        return False


def _probes(pattern: regex.Pattern) -> list[str]:
    # Characters the pattern names, plus common ones: blow-ups need text the pattern
    # almost matches, repeated, then a character that makes it fail at the end.
    named = [char for char in pattern.pattern if char.isalnum() or char in " -_.,'"]
    chars = list(dict.fromkeys(BASE_PROBE_CHARS + "".join(named)))[:24]
    probes = []
    for char in chars:
        for ending in ("!", "\x00", ""):
            probes.append(char * PROBE_LENGTH + ending)
            probes.append((char + " ") * (PROBE_LENGTH // 2) + ending)
    probes.append("".join(named) * 3 + "!")
    return probes


def unbounded_reason(pattern: regex.Pattern) -> str | None:
    """Why ``pattern`` cannot be bounded (a probe ran too long), or None when it can."""
    for probe in _probes(pattern):
        try:
            pattern.search(probe, timeout=PROBE_TIMEOUT)
        except TimeoutError:
            return (
                "this regex can take exponential time on some replies (a repetition inside "
                f"a repetition, such as (a|aa)+ or (\\w+\\s?)*: {probe[:12]!r}… took over "
                f"{PROBE_TIMEOUT} s); rewrite it so each character can match only one way"
            )
    return None
