"""Notifications of each reply to the owner, by e-mail or by SMS (OVH's "Notification de
réception").

Options hold a list of ``{"media": "email" | "sms", "sender", "target"}`` (their shape and
checks are ``options.schema``'s). When a reply has
been handled, one notification per entry is queued in the same transaction: an e-mail is
delivered by the workers over SMTP, retried with backoff and recorded; an SMS goes into the
outgoing queue like any SMS, from the given sender to an international number, and is
debited. Neither delays or blocks the handling of the reply.

The low-credit alert (``credits.alert_below``) is an e-mail notification about the account
rather than a reply: queued by the store's ledger verb in the transaction of the debit that
took the balance below the threshold (``store/account.py``), sent the same way.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from email.message import EmailMessage


def sms_text(reply: Mapping, conversation: Mapping) -> str:
    """One short SMS: who replied what, to which conversation."""
    tag = f" ({conversation['tag']})" if conversation.get("tag") else ""
    text = f"Réponse de {reply['sender']} au {reply['shortcode']}{tag}: {reply['message']}"
    return text if len(text) <= 150 else text[:149] + "…"


def one_line(text: str) -> str:
    """``text`` fit for a header: every line break (CR, LF, U+2028, U+2029, NEL…) and
    control character becomes a space, runs of spaces one space."""
    cleaned = "".join(
        " " if unicodedata.category(char) in ("Cc", "Zl", "Zp") else char for char in text
    )
    return " ".join(cleaned.split())


def build_email(
    note: Mapping, reply: Mapping, conversation: Mapping, answer: str | None
) -> EmailMessage:
    message = EmailMessage()
    message["From"] = note["sender"]
    message["To"] = note["target"]
    message["Subject"] = one_line(f"Réponse SMS de {reply['sender']}: {reply['message'][:60]}")
    lines = [
        f"Réponse / reply : {reply['message']}",
        f"De / from : {reply['sender']}",
        f"Numéro court / short code : {reply['shortcode']}",
        f"Reçue le / received : {reply['received_at']}",
        "",
        f"Conversation #{conversation['id']}"
        + (f" ({conversation['tag']})" if conversation.get("tag") else ""),
        f"Message envoyé / sent : {conversation['message']}",
        f"Envoyé le / sent at : {conversation['created_at']}",
        "",
        f"Réponse donnée / answer given : {answer if answer is not None else '(aucune / none)'}",
    ]
    if reply.get("result"):  # a failed script is said so, with why
        lines.append(f"Résultat / result : {reply['result']} — {reply['result_reason']}")
    message.set_content("\n".join(lines))
    return message


def low_credit_email(note: Mapping, about: Mapping) -> EmailMessage:
    """The alert sent once each time the balance falls below ``credits.alert_below``."""
    message = EmailMessage()
    message["From"] = note["sender"]
    message["To"] = note["target"]
    balance, below = about["balance"], about["below"]
    message["Subject"] = f"Crédit SMS bas / low SMS credit: {balance} (seuil / threshold {below})"
    lines = [
        f"Le solde est passé sous {below} crédits : il reste {balance} crédit(s).",
        f"The balance fell below {below} credits: {balance} credit(s) left.",
        f"Le / at : {note['created_at']}",
        "",
        "Rechargez le compte (POST /api/credits, `smsreply credits add`) : sans crédit, les",
        "réponses ne sont plus prises en compte et les envois sont refusés.",
        "Top up the account: without credit, replies are not acted on and sends are refused.",
    ]
    message.set_content("\n".join(lines))
    return message
