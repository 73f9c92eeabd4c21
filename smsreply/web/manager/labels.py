"""Words the manager shows for values stored as codes: statuses, actions, reasons, encodings.

A code is stored in English (``handled``, ``no_credit``); the pages show it through
these tables, in the page's language. Each entry is a ``lazy_gettext`` so the strings are
extracted into the catalogue and translated when rendered. A code missing from a table
(a status added later) is shown as is rather than failing the page.

Example::

    label("sms", "no_credit")  # "crédit insuffisant" on a French page
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

LABELS: dict[str, dict[str, object]] = {
    "action": {
        "none": _l("None"),
        "text": _l("Answer with a predefined text"),
        "cgi": _l("Call a CGI script (cgi-bin/)"),
        "handler": _l("Call a Python module (handlers/)"),
        "url": _l("Call a URL"),
    },
    "match": {"keyword": _l("Keyword"), "regex": _l("Regular expression")},
    "media": {"email": _l("E-mail"), "sms": _l("SMS")},
    "reason": {
        "not_french_mobile": _l("the sender is not a French metropolitan mobile"),
        "unmatched": _l("no conversation was sent to this number from this short code"),
        "late": _l("the reply came after the reply window closed"),
        "insufficient_credits": _l("the balance could not cover the reply's credit"),
        "stop": _l("the sender replied STOP: the number is blacklisted"),
        "blacklisted": _l("the sender had replied STOP before: the number is blacklisted"),
    },
    "reply": {"pending": _l("pending"), "handled": _l("handled"), "rejected": _l("rejected")},
    "result": {"answered": _l("answered"), "no_answer": _l("no answer"), "failed": _l("failed")},
    "conversation": {"open": _l("open"), "closed": _l("closed")},
    "encoding": {"gsm7": _l("GSM-7"), "ucs2": _l("Unicode (UCS-2)")},
    "sms": {
        "queued": _l("queued"),
        "sending": _l("sending"),
        "sent": _l("sent"),
        "failed": _l("failed"),
        "no_credit": _l("no credit"),
    },
    "delivery": {
        "delivered": _l("delivered"),
        "pending": _l("awaiting delivery report"),
        "failed": _l("not delivered"),
    },
    "nav": {
        "manager.compose.compose": _l("Compose a message"),
        "manager.campaigns.index": _l("Campaigns"),
        "manager.options.edit": _l("Reply options"),
        "manager.conversations.index": _l("Conversations"),
        "manager.conversations.replies": _l("Replies"),
        "manager.credits.index": _l("Credits"),
        "manager.blacklist.index": _l("Blacklist"),
        "manager.console.console": _l("Test console"),
    },
}


def label(kind: str, code: str | None, default: str | None = None) -> str:
    """The word for ``code`` among ``kind``'s, in the page's language; else ``default``
    (or the code itself)."""
    text = LABELS.get(kind, {}).get(code or "")
    if text is None:
        return default if default is not None else (code or "")
    return str(text)
