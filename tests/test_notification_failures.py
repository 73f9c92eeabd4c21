"""A two-line reply must not kill its notification (issue 10, item 8).

A reply with a line break (or U+2028) in its first 60 characters put a line break in the
e-mail's Subject: building the message raised, the notification stayed ``queued`` for
ever, retried past ``worker.max_attempts`` with a traceback every minute. Now the Subject
is one line, and any unexpected error ends the notification as ``failed`` with its
reason after the last attempt.
"""

import socket
import threading
import time

import pytest

from tests.support.actions import post_reply
from tests.support.notifying import NOTIFY, notifying_app
from tests.support.smtp import SmtpServer


def reply_to_new_message(app, service, text: str) -> int:
    service.set_reply_options({"action": "text", "text": "Merci", "notifications": NOTIFY})
    conversation = service.send_message("0612345678", "RDV demain ?")
    response = post_reply(app, conversation, text, f"r-{time.time_ns()}")
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()["reply_id"]


def notifications(service, reply_id) -> dict:
    # An SMS notification is an outgoing SMS: its own status is "sms", the SMS's is the news.
    rows = service.store.query(
        "SELECT n.media, COALESCE(o.status, n.status) AS status, n.attempts, n.error "
        "FROM notifications n LEFT JOIN outgoing o ON o.id = n.outgoing_id WHERE n.reply_id = ?",
        (reply_id,),
    )
    return {row["media"]: row for row in rows}


@pytest.mark.parametrize("text", ["Oui\nà demain", "Oui\r\nBcc: x@evil.example", "Oui\u2028merci"])
def test_a_reply_with_line_breaks_is_notified(tmp_path, text, database_url):
    with SmtpServer() as smtp:
        app, service = notifying_app(tmp_path, smtp.port, database_url, credits=20)
        reply_id = reply_to_new_message(app, service, text)
        service.drain()
        deadline = time.monotonic() + 5
        while not smtp.inbox.messages and time.monotonic() < deadline:
            time.sleep(0.05)
    [mail] = smtp.inbox.messages
    subject = mail["Subject"]
    assert "\n" not in subject and "\r" not in subject and "\u2028" not in subject
    assert subject.startswith("Réponse SMS de +33612345678: Oui ")
    assert mail["Bcc"] is None
    body = mail.get_content().replace("\r\n", "\n")
    assert text.replace("\r\n", "\n") in body  # the body keeps the lines
    sent = notifications(service, reply_id)
    assert sent["email"]["status"] == "sent" and sent["sms"]["status"] == "sent"


class AuthSmtp:
    """A minimal SMTP server offering AUTH PLAIN, line by line (enough for smtplib)."""

    def __init__(self) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                connection, _ = self.listener.accept()
            except OSError:
                return
            with connection, connection.makefile("rwb") as stream:
                stream.write(b"220 fake ESMTP\r\n")
                stream.flush()
                for line in stream:
                    if line.upper().startswith((b"EHLO", b"HELO")):
                        stream.write(b"250-fake\r\n250 AUTH PLAIN\r\n")
                    elif line.upper().startswith(b"QUIT"):
                        stream.write(b"221 bye\r\n")
                        stream.flush()
                        break
                    else:
                        stream.write(b"535 no\r\n")
                    stream.flush()

    def close(self) -> None:
        self.listener.close()


def test_an_unexpected_error_fails_the_notification_after_the_last_attempt(tmp_path, database_url):
    # smtplib cannot encode a non-ASCII password for AUTH PLAIN: a UnicodeEncodeError,
    # neither a network nor an SMTP error. It must end as failed, with its reason.
    server = AuthSmtp()
    app, service = notifying_app(
        tmp_path,
        server.port,
        database_url,
        credits=20,
        **{"smtp.username": "cabinet", "smtp.password": "mot-de-passé"},
    )
    reply_id = reply_to_new_message(app, service, "OUI")
    for _ in range(5):
        service.drain()
    server.close()
    email = notifications(service, reply_id)["email"]
    assert (email["status"], email["attempts"]) == ("failed", 3), email
    assert "UnicodeEncodeError" in email["error"] and "passé" not in email["error"]
    assert notifications(service, reply_id)["sms"]["status"] == "sent"
