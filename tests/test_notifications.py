"""Notifications of each reply: e-mail through a real SMTP server, SMS debited, retries."""

import time

import pytest

from tests.support.actions import post_reply
from tests.support.notifying import NOTIFY, notifying_app
from tests.support.smtp import SmtpServer, free_port


def test_email_and_sms_notifications(tmp_path, clock, database_url):
    with SmtpServer() as smtp:
        app, service = notifying_app(tmp_path, smtp.port, database_url, clock, credits=20)
        service.set_reply_options({"action": "text", "text": "Merci", "notifications": NOTIFY})
        conversation = service.send_message("0612345678", "RDV demain ?", tag="rdv-42")
        reply_id = post_reply(app, conversation).get_json()["reply_id"]
        service.drain()
        deadline = time.monotonic() + 5
        while not smtp.inbox.messages and time.monotonic() < deadline:
            time.sleep(0.05)
    [mail] = smtp.inbox.messages
    assert mail["From"] == "sms@cabinet.example" and mail["To"] == "docteur@cabinet.example"
    body = mail.get_content()
    for expected in ("OUI", "+33612345678", "rdv-42", "RDV demain ?", "Merci"):
        assert expected in body
    assert "Résultat / result : answered — " in body
    sms = [row for row in service.store.list_outbox(10) if row["recipient"] == "+447911123456"]
    assert len(sms) == 1 and sms[0]["shortcode"] == "CABINET"
    assert "+33612345678" in sms[0]["message"] and "OUI" in sms[0]["message"]
    # message 1 + reply 1 + answer 1 + SMS notification 1
    assert service.store.balance() == 16
    notes = service.store.rows_for("notifications", "reply_id", reply_id)
    assert sorted(note["status"] for note in notes) == ["sent", "sms"]


def test_failing_smtp_is_retried_then_recorded_without_blocking_the_answer(
    tmp_path, clock, database_url
):
    dead_port = free_port()  # nothing listens here
    app, service = notifying_app(tmp_path, dead_port, database_url, clock, credits=20)
    service.set_reply_options({"action": "text", "text": "Merci", "notifications": NOTIFY[:1]})
    conversation = service.send_message("0612345678", "RDV demain ?")
    reply_id = post_reply(app, conversation).get_json()["reply_id"]
    service.drain()
    assert "Merci" in [row["message"] for row in service.store.list_outbox(10)]
    [note] = service.store.rows_for("notifications", "reply_id", reply_id)
    assert note["status"] == "failed" and note["attempts"] == 3
    assert "Connection" in note["error"] or "refused" in note["error"].lower()


def test_temporary_smtp_failure_then_success(tmp_path, clock, database_url):
    with SmtpServer() as smtp:
        smtp.inbox.refuse = 1
        app, service = notifying_app(tmp_path, smtp.port, database_url, clock, credits=20)
        service.set_reply_options({"action": "none", "notifications": NOTIFY[:1]})
        conversation = service.send_message("0612345678", "RDV demain ?")
        reply_id = post_reply(app, conversation).get_json()["reply_id"]
        service.drain()
        [note] = service.store.rows_for("notifications", "reply_id", reply_id)
        assert note["status"] == "sent" and note["attempts"] == 2
        assert len(smtp.inbox.messages) == 1


@pytest.mark.parametrize(
    ("notifications", "words"),
    [
        ([{"media": "fax", "sender": "a", "target": "b"}], "media must be"),
        ([{"media": "email", "sender": "me", "target": "x@y.fr"}], "not an e-mail"),
        ([{"media": "sms", "sender": "TOO LONG SENDER", "target": "+447911123456"}], "sender"),
        ([{"media": "sms", "sender": "ME", "target": "0612"}], "international"),
        ([{"media": "sms", "sender": "ME"}], "exactly"),
    ],
)
def test_bad_notifications_are_explained(client, auth, notifications, words):
    response = client.put(
        "/api/reply-options", json={"action": "none", "notifications": notifications}, headers=auth
    )
    assert response.status_code == 422
    assert words in response.get_json()["error"]["message"]
