"""E-mail delivery of reply notifications over SMTP, with retries (smtplib only here).

``send_email`` sends one message through the configured server (plain, STARTTLS or
implicit TLS, optional login); ``compose`` writes a notification's message. The work engine
(``work.py``) claims each queued notification and records the outcome: sent, queued again
with backoff, or failed when the server refuses it for good (``is_final``) or after
``worker.max_attempts``. The password is never logged or recorded.
"""

from __future__ import annotations

import json
import smtplib
import ssl
from collections.abc import Mapping
from email.message import EmailMessage

from ..store import Store
from .notifications import build_email, low_credit_email


def send_email(settings: Mapping[str, object], message: EmailMessage) -> None:
    host, port = settings["smtp.host"], settings["smtp.port"]
    timeout = settings["smtp.timeout"]
    security = settings["smtp.security"]
    context = ssl.create_default_context()
    if security == "tls":
        client = smtplib.SMTP_SSL(host, port, timeout=timeout, context=context)
    else:
        client = smtplib.SMTP(host, port, timeout=timeout)
    with client:
        if security == "starttls":
            client.starttls(context=context)
        if settings["smtp.username"]:
            client.login(settings["smtp.username"], settings["smtp.password"])
        client.send_message(message)


def compose(store: Store, note: Mapping) -> EmailMessage:
    """The e-mail of one notification: the reply, its conversation and the answer given; or,
    about the account, the low-credit alert."""
    if note["reply_id"] is None:
        return low_credit_email(note, json.loads(note["about"]))
    reply = store.get("replies", note["reply_id"])
    conversation = store.get("conversations", reply["conversation_id"])
    answer = store.get("outgoing", reply["answer_id"])["message"] if reply["answer_id"] else None
    return build_email(note, reply, conversation, answer)


def is_final(error: Exception) -> bool:
    """The server refused the sender or the recipient: trying again cannot help."""
    return isinstance(error, smtplib.SMTPRecipientsRefused | smtplib.SMTPSenderRefused)
