"""PostgreSQL: a transaction's credit changes left for the commit (``change_credits_at_commit``)
are one statement sent with the COMMIT, so the one balance row every host shares is not
held while the transaction runs; all of them or none, the rest of the transaction with them."""

from __future__ import annotations

import json

import psycopg
import pytest

from smsreply.store import InsufficientCredits, Store

pytestmark = pytest.mark.postgres  # make test runs these in its PostgreSQL run only

AT = "2026-11-25T09:00:00+00:00"


@pytest.fixture
def store(postgres_url):
    store = Store(url=postgres_url)
    store.migrate()
    yield store
    store.close()


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
