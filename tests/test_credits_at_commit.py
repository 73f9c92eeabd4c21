"""PostgreSQL: a transaction's credit changes left for the commit (``change_credits_at_commit``)
are one statement sent with the COMMIT, so the one balance row every host shares is not
held while the transaction runs; all of them or none, the rest of the transaction with them."""

from __future__ import annotations

import json
import time
from concurrent.futures import ThreadPoolExecutor

import psycopg
import pytest

from smsreply.accounts.credentials import ensure_callback_token
from smsreply.engine.background import Background
from smsreply.settings import load_settings
from smsreply.store import InsufficientCredits
from smsreply.web import create_app

pytestmark = pytest.mark.postgres  # make test runs these in its PostgreSQL run only

AT = "2026-11-25T09:00:00+00:00"


@pytest.fixture
def store(postgres_store):
    return postgres_store


def balance_row_free(url: str) -> bool:
    """Could another host take the balance row right now?"""
    with psycopg.connect(url, autocommit=True) as other:
        try:
            with other.transaction():
                other.execute("SELECT balance FROM account WHERE id = 1 FOR UPDATE NOWAIT")
        except psycopg.errors.LockNotAvailable:
            return False
    return True


def test_the_balance_row_is_free_until_the_commit_that_debits_it(store, postgres_url):
    store.change_credits(10, AT, "top-up")
    assert store.credits_at_commit
    with store.write():
        store.add_user("alice", "hash", AT)
        store.change_credits_at_commit(-1, AT, "reply_received", reply_id=7, conversation_id=3)
        store.change_credits_at_commit(-2, AT, "answer", reply_id=7, outgoing_id=9)
        assert balance_row_free(postgres_url)  # another host's debit would pass now
        assert store.balance() == 10
    assert store.balance() == 7
    lines = store.query("SELECT * FROM ledger ORDER BY id")[1:]
    assert [(line["delta"], line["balance"], line["reason"]) for line in lines] == [
        (-1, 9, "reply_received"), (-2, 7, "answer"),
    ]  # fmt: skip
    assert [(line["reply_id"], line["conversation_id"], line["outgoing_id"]) for line in lines] == [
        (7, 3, None), (7, None, 9),
    ]  # fmt: skip


def test_the_usual_debit_holds_the_row_to_the_commit(store, postgres_url):
    """What the commit's debit spares: the same debit made at once holds the row."""
    store.change_credits(10, AT, "top-up")
    with store.write():
        store.change_credits(-1, AT, "reply_received")
        assert not balance_row_free(postgres_url)


def test_debits_the_balance_cannot_cover_keep_nothing_of_the_transaction(store):
    store.change_credits(2, AT, "top-up")
    with pytest.raises(InsufficientCredits) as raised, store.write():
        store.add_user("alice", "hash", AT)
        store.change_credits_at_commit(-1, AT, "reply_received")
        store.change_credits_at_commit(-2, AT, "answer")
    assert (raised.value.needed, raised.value.balance) == (3, 2)
    assert store.find_user("alice") is None
    assert store.balance() == 2
    assert len(store.ledger(10)) == 1
    with store.write():  # the connection went back to the pool usable
        store.add_user("bob", "hash", AT)
        store.change_credits_at_commit(-2, AT, "answer")
    assert (store.balance(), store.find_user("bob") is not None) == (0, True)


def test_crossing_the_low_credit_threshold_queues_its_e_mail_in_the_same_statement(store):
    store.low_credit_alert = (5, "smsreply@example.org", "boss@example.org")
    store.change_credits(6, AT, "top-up")
    with store.write():
        store.change_credits_at_commit(-1, AT, "reply_received")
        store.change_credits_at_commit(-1, AT, "answer")  # 6 → 4: crossed once
    with store.write():
        store.change_credits_at_commit(-1, AT, "answer")  # 4 → 3: already below
    mails = store.query("SELECT * FROM notifications")
    assert [(mail["media"], mail["target"], mail["status"]) for mail in mails] == [
        ("email", "boss@example.org", "queued")
    ]
    assert json.loads(mails[0]["about"]) == {"alert": "low_credit", "balance": 4, "below": 5}


def test_a_balance_spent_meanwhile_is_debited_again_one_by_one(postgres_url, tmp_path):
    """The callback reads 2 credits (the reply's and its answer's) without a lock; another
    host spends one before its commit: the commit's debit fails, nothing is kept, and the
    callback does it again debit by debit: the reply paid and handled, the answer
    no_credit, as when the balance was short from the start."""
    overrides = {"database.url": postgres_url, "database.path": str(tmp_path / "x.db")}
    settings = load_settings(None, env={}, overrides=overrides | {"simulator.dlr_delay": 0.0})
    app = create_app(settings, project_dir=tmp_path)
    service = app.extensions["smsreply"]
    service.add_credits(3)
    service.set_reply_options({"action": "text", "text": "Merci"})
    conversation = service.send_message("0612345678", "RDV demain 10h ?")
    service.drain()
    url = f"/callbacks/ovh/{ensure_callback_token(service.store)}"
    form = {"shortcode": conversation["shortcode"], "tag": "", "id": "mo-1"}
    form |= {"senderid": conversation["recipient"], "message": "OUI"}
    background = Background(service).start()
    try:
        with psycopg.connect(postgres_url) as other, ThreadPoolExecutor(1) as pool:
            other.execute("UPDATE account SET balance = balance - 1 WHERE id = 1")  # held
            posted = pool.submit(app.test_client().post, url, data=form)
            wait_for_a_lock_wait(postgres_url)  # the callback's commit waits for the row
            other.commit()  # 2 → 1: the reply's credit only
            response = posted.result(timeout=30)
    finally:
        background.stop()
    assert response.status_code == 200 and response.get_json()["status"] == "handled"
    answer = service.store.query("SELECT * FROM outgoing WHERE kind = 'answer'")
    assert [row["status"] for row in answer] == ["no_credit"]
    assert service.store.balance() == 0
    ledger = [(line["reason"], line["delta"]) for line in reversed(service.store.ledger(10))]
    assert [delta for _, delta in ledger] == [3, -1, -1]


def wait_for_a_lock_wait(url: str) -> None:
    with psycopg.connect(url, autocommit=True) as watcher:
        for _ in range(200):
            waiting = watcher.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
            ).fetchone()[0]
            if waiting:
                return
            time.sleep(0.05)
    raise AssertionError("the callback never waited for the balance row")
