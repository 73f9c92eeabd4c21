"""Why a campaign line was refused, in the page's language.

A refused line is stored with a reason code and an English ``detail`` (what the API and
the CSV export show). The page says the detail again from its parts: a number that is
not a French mobile is parsed again for its own sentence (``explain``), the other
details are read back into their parameters. A detail of another shape (written by a
later version) is shown as stored.

Example::

    rejection_detail({"reason": "blacklisted", "recipient": "0612345678",
                      "detail": "+33612345678 replied STOP"})
    # « +33612345678 a répondu STOP » on a French page
"""

from __future__ import annotations

import re

from flask_babel import lazy_gettext as _l

from ...text.phone import InvalidNumber, parse_french_mobile
from .explain import explain

DETAILS = {
    "blacklisted": (re.compile(r"(?P<number>\S+) replied STOP"), _l("%(number)s replied STOP")),
    "duplicate": (
        re.compile(r"(?P<number>\S+) is already on line (?P<line>\d+)"),
        _l("%(number)s is already on line %(line)s"),
    ),
    "missing_field": (re.compile(r"(?P<field>\{.*\}) is empty"), _l("%(field)s is empty")),
    "url": (
        re.compile(r"the message would contain (?P<url>.+)", re.DOTALL),
        _l("the message would contain %(url)s"),
    ),
    "too_long": (
        re.compile(r"(?P<parts>\d+) parts; the maximum is (?P<max>\d+)"),
        _l("%(parts)s parts; the maximum is %(max)s"),
    ),
}


def rejection_detail(row: dict) -> str:
    """The detail of one refused line (``reason``, ``recipient``, ``detail``)."""
    reason, detail = row.get("reason"), str(row.get("detail") or "")
    if reason == "invalid_number":
        try:
            parse_french_mobile(str(row.get("recipient") or ""))
        except InvalidNumber as error:
            return explain(error)
        return detail
    pattern, sentence = DETAILS.get(reason, (None, None))
    match = pattern.fullmatch(detail) if pattern else None
    return str(sentence) % match.groupdict() if match else detail
