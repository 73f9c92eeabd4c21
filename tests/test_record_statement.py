"""Recording a reply the workers handled whose outcome is an answer and nothing else (the
common case) is one transaction of its own (``store.finish_reply_debited``; on PostgreSQL
one statement, no BEGIN and no COMMIT): the reply finished, its answer queued claimed,
linked and debited with its ledger line, the low-credit e-mail when the debit crosses the
threshold. When the balance cannot cover the answer nothing of it is done, and the usual
transaction records the reply with its answer no_credit. On both databases."""

from __future__ import annotations

import json

import pytest

from tests.support.actions import post_reply, write_script

AT = "2026-11-25T09:00:00+00:00"


@pytest.fixture
def handled(app, service, tmp_path):
    """Post a reply to a ``handler`` action answering "Merci" with the balance set to
    ``left`` once the reply is paid; the workers' way (``drain``); the reply's row."""
    write_script(tmp_path / "handlers", "thanks.py", "def handle(reply):\n    return 'Merci'\n")
    service.set_reply_options({"action": "handler", "handler": "thanks.py"})

    def handle(left: int) -> dict:
        conversation = service.send_message("0612345678", "RDV demain ?")
        service.drain()
        store = service.store
        store.change_credits(left + 1 - store.balance(), AT, "top_up")  # + the reply's
        response = post_reply(app, conversation, "OUI", "mo-1")
        assert response.get_json()["status"] == "pending"
        service.drain()
        return store.get("replies", response.get_json()["reply_id"])

    return handle


def answer_lines(store) -> list[dict]:
    return store.query("SELECT * FROM ledger WHERE reason = 'answer' ORDER BY id")


def test_the_answer_is_queued_linked_sent_and_debited_once(handled, service):
    reply = handled(left=3)
    assert reply["status"] == "handled" and reply["result"] == "answered"
    answer = service.store.get("outgoing", reply["answer_id"])
    assert (answer["kind"], answer["message"], answer["status"]) == ("answer", "Merci", "sent")
    assert answer["reply_id"] == reply["id"]
    assert answer["conversation_id"] == reply["conversation_id"]
    (line,) = answer_lines(service.store)
    assert (line["delta"], line["balance"], line["outgoing_id"]) == (-1, 2, answer["id"])
    assert (line["reply_id"], line["conversation_id"]) == (reply["id"], reply["conversation_id"])
    assert service.store.balance() == 2


def test_an_answer_the_balance_cannot_cover_is_kept_no_credit(handled, service):
    reply = handled(left=0)
    assert reply["status"] == "handled" and reply["answer_id"] is not None
    answer = service.store.get("outgoing", reply["answer_id"])
    assert answer["status"] == "no_credit"
    assert answer_lines(service.store) == [] and service.store.balance() == 0
    assert service.store.query("SELECT count(*) AS n FROM outgoing WHERE kind = 'answer'") == [
        {"n": 1}
    ]  # the one statement queued nothing of its own


def test_the_answer_that_crosses_the_threshold_queues_one_e_mail(handled, service):
    service.store.low_credit_alert = (3, "smsreply@example.org", "compta@example.org")
    handled(left=3)  # 3 → 2: crossed
    mails = service.store.query("SELECT * FROM notifications WHERE reply_id IS NULL")
    assert [(mail["media"], mail["target"]) for mail in mails] == [("email", "compta@example.org")]
    assert json.loads(mails[0]["about"]) == {"alert": "low_credit", "balance": 2, "below": 3}
