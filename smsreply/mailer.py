"""E-mail delivery of reply notifications over SMTP, with retries (smtplib only here).

``deliver_email`` claims one queued notification under a lease, sends it through the
configured server (plain, STARTTLS or implicit TLS, optional login) and records the
outcome: sent, queued again with exponential backoff, or failed after
``worker.max_attempts``. The password is never logged or recorded.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
import time
from collections.abc import Mapping
from email.message import EmailMessage

from .clock import Clock, to_iso
from .notifications import build_email
from .store import Store

log = logging.getLogger(__name__)


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


def _email(store: Store, note: dict) -> EmailMessage:
    reply = store.get("replies", note["reply_id"])
    conversation = store.get("conversations", reply["conversation_id"])
    answer = store.get("outgoing", reply["answer_id"])["message"] if reply["answer_id"] else None
    return build_email(note, reply, conversation, answer)


def deliver_email(
    store: Store, settings: Mapping[str, object], clock: Clock, notification_id: int
) -> bool:
    now = time.time()
    with store.write():
        note = store.get("notifications", notification_id)
        due = note["status"] == "queued" and note["next_attempt_at"] <= now
        if not due or (note["lease_until"] or 0) >= now:
            return False
        attempts = note["attempts"] + 1
        store.update(
            "notifications",
            notification_id,
            {"attempts": attempts, "lease_until": now + settings["worker.lease_seconds"]},
        )
    try:
        send_email(settings, _email(store, note))
    except Exception as error:
        # Network and SMTP errors are retried; so is anything unexpected (a bug, a setting
        # smtplib cannot use), but it too ends as failed after the last attempt, with its
        # reason, instead of leaving the notification queued for ever.
        if not isinstance(error, OSError | smtplib.SMTPException):
            log.exception("e-mail notification #%s failed", notification_id)
        reason = f"{type(error).__name__}: {error}"
        final = isinstance(error, smtplib.SMTPRecipientsRefused | smtplib.SMTPSenderRefused)
        with store.write():
            if final or attempts >= settings["worker.max_attempts"]:
                store.update(
                    "notifications",
                    notification_id,
                    {"status": "failed", "error": reason, "lease_until": None},
                )
            else:
                delay = settings["worker.retry_base_seconds"] * 2 ** (attempts - 1)
                store.update(
                    "notifications",
                    notification_id,
                    {"error": reason, "lease_until": None, "next_attempt_at": time.time() + delay},
                )
        return False
    with store.write():
        store.update(
            "notifications",
            notification_id,
            {"status": "sent", "sent_at": to_iso(clock()), "lease_until": None, "error": None},
        )
    return True
