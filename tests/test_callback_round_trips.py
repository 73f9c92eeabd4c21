"""The reply callback's transaction in few round trips (issue 18, item 4).

On PostgreSQL a reply handled in the callback (``none``, ``text``) is stored, matched,
numbered, recorded, answered and debited in a handful of round trips: the lookups are one
statement (the reply options with them), the reply is counted and stored by another, the
statements whose answer nobody reads (``store.db.send``) and the BEGIN go with the next one,
the debits with the COMMIT (psycopg's pipeline mode). The budget is counted by the bench's
proxy on the wire, so adding a statement back fails here. What is pipelined fails as it
would alone: its error is raised, and nothing of the transaction is kept.
"""

from __future__ import annotations

import psycopg
import pytest

from bench.delay_proxy import DelayProxy
from smsreply.accounts.credentials import ensure_callback_token
from smsreply.providers import InboundReply
from smsreply.settings import load_settings
from smsreply.store import Store
from smsreply.web import create_app
from tests.support.actions import reply_form

AT = "2026-11-25T09:00:00+00:00"
# Each message held this long by the proxy: a pipeline's next statements reach it before
# the server's first answer could, so a pipeline counts as one round trip however fast
# the server answers (without a delay, or on a busy machine with a short one, an answer
# may come between two statements psycopg sends one after the other without waiting).
DELAY_MS = 50.0  # set once all is ready: only the measured part waits
# On a machine busy enough to leave psycopg's thread waiting longer than that between two
# statements of a pipeline, the proxy may see one exchange more: one spare for the whole
# measure (a statement or a round trip added back costs one per reply, more than that).
SPARE = 1
TEXT = {"action": "text", "text": "Merci, c'est noté"}
# Per reply, counted on the wire, the callback's token check included. Before issue 18's
# item 4: 18 statements and 17.5 round trips for ``text``, 16 and 15.5 for ``none``; then
# 8 and 4 for ``text`` until the outcome, the answer and its link became one statement.
BUDGETS = {
    # BEGIN + lookups | counted and stored | outcome + answer queued and linked | debits
    # + COMMIT
    "text": (TEXT, 6, 4),
    # BEGIN + lookups | counted and stored | outcome + debit + COMMIT
    "none": ({"action": "none"}, 6, 3),
}


def started(settings: dict, options: dict, phones: int, project_dir):
    """A service with workers' queue open (replies stored claimed, handled in the callback),
    ``phones`` conversations sent; (the Flask app, the callback URL, the conversations)."""
    app = create_app(settings, project_dir=project_dir)
    service = app.extensions["smsreply"]
    service.add_credits(100)
    service.set_reply_options(options)
    conversations = [service.send_message(f"06123456{n:02d}", "RDV ?") for n in range(phones)]
    service.drain()
    service.work_queue.open()  # as if workers ran (none takes: the answers wait)
    return app, f"/callbacks/ovh/{ensure_callback_token(service.store)}", conversations


def post(app, url: str, conversation: dict, provider_id: str) -> dict:
    """``support.actions.post_reply`` with the callback URL made once: that helper reads the
    token on every post, a statement the proxy would count as the callback's."""
    response = app.test_client().post(url, data=reply_form(conversation, "OUI", provider_id))
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


@pytest.mark.postgres
@pytest.mark.parametrize("action", list(BUDGETS))
def test_a_reply_handled_in_the_callback_takes_few_round_trips(
    action, postgres_url, postgres_cluster, tmp_path
):
    options, statements, round_trips = BUDGETS[action]
    with DelayProxy(postgres_cluster.port) as proxy:
        settings = load_settings(
            None,
            env={},
            overrides={
                "database.url": proxy.url(postgres_url),
                "database.path": str(tmp_path / "unused.db"),
                "simulator.dlr_delay": 0.0,
            },
        )
        app, url, conversations = started(settings, options, 5, tmp_path)
        post(app, url, conversations[0], "first")  # the token, read once per process
        proxy.set_delay(DELAY_MS)
        before = proxy.counts()
        answers = [post(app, url, c, f"mo-{n}") for n, c in enumerate(conversations[1:])]
        counted = proxy.counts() - before
        app.extensions["smsreply"].store.close()
    assert [answer["status"] for answer in answers] == ["handled"] * 4
    assert counted.statements == 4 * statements
    assert counted.round_trips <= 4 * round_trips + SPARE


def test_the_reply_answered_is_the_reply_stored(settings, tmp_path):
    """The callback answers with the reply as its transaction left it, not read back."""
    app, _, conversations = started(settings, TEXT, 1, tmp_path)
    service = app.extensions["smsreply"]
    for number in (1, 2):
        inbound = InboundReply(
            f"mo-{number}", conversations[0]["recipient"], "OUI", conversations[0]["shortcode"],
            conversations[0]["provider_tag"], (),
        )  # fmt: skip
        returned, created = service.receive_reply(inbound, "ovh")
        assert created and returned == service.store.get("replies", returned["id"])
        assert returned["status"] == "handled" and returned["reply_number"] == number
        assert returned["answer_id"] is not None and returned["result"] == "answered"


@pytest.fixture
def store(postgres_store):
    return postgres_store


@pytest.mark.postgres
def test_a_statement_sent_with_the_next_fails_as_it_would_alone(store):
    with pytest.raises(psycopg.errors.UndefinedTable), store.write():
        store.add_user("alice", "hash", AT)
        store.db.send("UPDATE no_such_table SET x = 1")
        store.find_user("alice")  # the round trip that carries it
    assert store.find_user("alice") is None  # nothing of the transaction kept
    with store.write():  # the connection went back to the pool usable
        store.add_user("bob", "hash", AT)
    assert store.find_user("bob") is not None


@pytest.mark.postgres
def test_a_statement_sent_with_the_commit_fails_the_commit(store):
    store.change_credits(10, AT, "top-up")
    with pytest.raises(psycopg.errors.UndefinedTable), store.write():
        store.add_user("alice", "hash", AT)
        store.change_credits_at_commit(-1, AT, "reply_received")
        store.db.send("UPDATE no_such_table SET x = 1")  # goes with the debit and the COMMIT
    assert store.find_user("alice") is None and store.balance() == 10
    with store.write():
        store.db.send("UPDATE account SET balance = 12 WHERE id = 1")
    assert store.balance() == 12  # sent with the COMMIT alone


@pytest.mark.postgres
def test_a_transaction_that_says_nothing_makes_no_round_trip(postgres_cluster, postgres_url):
    with DelayProxy(postgres_cluster.port) as proxy:
        store = Store(url=proxy.url(postgres_url))
        with store.write():  # the pool's connection opened, its first pipeline run (one
            store.add_user("ann", "hash", AT)  # exchange more, the first time only)
        proxy.set_delay(DELAY_MS)
        before = proxy.counts()
        for number in range(4):
            with store.write():
                pass
            with store.write():
                store.add_user(f"user{number}", "hash", AT)
        counted = proxy.counts() - before
        store.close()
    assert counted.statements == 4 * 3, counted  # BEGIN + INSERT, COMMIT
    assert counted.round_trips <= 4 * 2 + SPARE, counted
