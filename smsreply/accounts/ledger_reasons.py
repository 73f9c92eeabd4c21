"""Why credits moved: a ledger line's ``reason`` as a code with parameters, and back.

A reason is stored as a stable code, followed by its parameters as a JSON object when it
has any: ``answer``, ``campaign_reserved {"campaign": 6}``, ``top_up {"note": "order 17"}``.
The API and the CLI show it as stored (a code a program can test); the manager says it in
the page's language (``web/manager/ledger_text.py``). Kept in the ``reason`` column, not
in new columns: no migration, and every writer of the ledger already passes one reason.

Lines written before the codes hold English sentences ("campaign #6 reserved",
"top-up by alice"); ``parse`` reads those too, so old ledgers are translated as well.
Anything else (an operator's own words from an older version) is free text, shown as is.

Example::

    reason("campaign_reserved", campaign=6)   # 'campaign_reserved {"campaign": 6}'
    parse('campaign_reserved {"campaign": 6}')  # ("campaign_reserved", {"campaign": 6})
    parse("refund: campaign #6 cancelled")      # ("campaign_cancelled", {"campaign": 6})
"""

from __future__ import annotations

import json
import re

CODES = (
    "message",  # an SMS sent (API, CLI, manager)
    "reply_received",  # reply.credits_per_reply for an accepted reply
    "answer",  # the answer to a reply
    "notification",  # an SMS notification of a reply
    "refund_unsent",  # an SMS that failed for good, refunded
    "campaign_reserved",  # {"campaign": id}: a campaign's credits, reserved when accepted
    "campaign_cancelled",  # {"campaign": id}: what a cancelled campaign did not send
    "campaign_stop",  # {"campaign": id}: a recipient who replied STOP before their turn
    "initial_credits",  # granted by `smsreply init`
    "top_up",  # {"user": name} and/or {"note": text}: credits added
)
_CODED = re.compile(r"([a-z_]+)(?: (\{.*\}))?", re.DOTALL)
_LEGACY = (  # the English sentences stored before the codes
    (re.compile(r"reply received"), "reply_received"),
    (re.compile(r"refund: SMS not sent"), "refund_unsent"),
    (re.compile(r"campaign #(?P<campaign>\d+) reserved"), "campaign_reserved"),
    (re.compile(r"refund: campaign #(?P<campaign>\d+) cancelled"), "campaign_cancelled"),
    (
        re.compile(r"refund: campaign #(?P<campaign>\d+) recipient replied STOP"),
        "campaign_stop",
    ),
    (re.compile(r"initial credits"), "initial_credits"),
    (re.compile(r"top-up"), "top_up"),
    (re.compile(r"top-up by (?P<user>\S+)"), "top_up"),
)


def reason(code: str, **params: object) -> str:
    """The stored form of ``code`` with ``params`` (those that are None left out)."""
    if code not in CODES:
        raise ValueError(f"unknown ledger reason {code!r}")
    given = {key: value for key, value in params.items() if value is not None}
    return f"{code} {json.dumps(given, ensure_ascii=False)}" if given else code


def top_up(note: str | None = None, user: str | None = None) -> str:
    """Credits added by hand: the operator's words (``note``), and who, when known."""
    return reason("top_up", user=user, note=(note or "").strip() or None)


def parse(text: str) -> tuple[str, dict] | None:
    """(code, params) for a stored reason, coded or in the old English; None: free text."""
    coded = _CODED.fullmatch(text)
    if coded and coded.group(1) in CODES:
        try:
            params = json.loads(coded.group(2)) if coded.group(2) else {}
        except ValueError:
            params = None
        if isinstance(params, dict):
            return coded.group(1), params
    for pattern, code in _LEGACY:
        legacy = pattern.fullmatch(text)
        if legacy:
            return code, {
                key: int(value) if value.isdigit() else value
                for key, value in legacy.groupdict().items()
            }
    return None
