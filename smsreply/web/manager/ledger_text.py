"""A ledger line's reason in the page's language (``ledger_reasons`` gives code and params).

Each code has its sentence in the catalogue; a reason that is no code (an operator's own
words, kept from an older version) is shown as written.

Example::

    ledger_reason('campaign_reserved {"campaign": 6}')
    # « Crédits réservés pour la campagne n° 6 » on a French page
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from ...accounts.ledger_reasons import parse

SENTENCES = {
    "message": _l("Message sent"),
    "reply_received": _l("Reply received"),
    "answer": _l("Answer sent"),
    "notification": _l("SMS notification"),
    "refund_unsent": _l("Refund: SMS not sent"),
    "campaign_reserved": _l("Credits reserved for campaign #%(campaign)s"),
    "campaign_cancelled": _l("Refund: campaign #%(campaign)s cancelled"),
    "campaign_stop": _l("Refund: a recipient of campaign #%(campaign)s replied STOP"),
    "initial_credits": _l("Initial credits"),
    "top_up": _l("Credits added"),
    "top_up_user": _l("Credits added by %(user)s"),
    "top_up_note": _l("Credits added: %(note)s"),
    "top_up_user_note": _l("Credits added by %(user)s: %(note)s"),
}


def ledger_reason(text: str) -> str:
    """The reason ``text`` (as stored) in the page's language."""
    parsed = parse(text)
    if parsed is None:
        return text
    code, params = parsed
    if code == "top_up":
        code += "".join(f"_{key}" for key in ("user", "note") if params.get(key))
    try:
        return str(SENTENCES[code]) % params
    except (KeyError, TypeError, ValueError):  # a parameter missing: as stored
        return text
