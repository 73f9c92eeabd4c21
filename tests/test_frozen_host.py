"""A frozen host stops nobody: the limits every PostgreSQL session sets, and two hosts, one
of them stopped (``SIGSTOP``: a paused VM, a stuck disk, a debugger) in the middle of a burst.

A host that freezes inside a transaction keeps the rows it locked. Each session smsreply
opens sets ``lock_timeout`` (whoever waits for such a row gives up: 503, try again),
``statement_timeout`` and ``idle_in_transaction_session_timeout`` (the server ends the frozen
transaction and frees its rows), and TCP keepalives. The other host acknowledges and
answers the replies sent to it within seconds; once the frozen one wakes, nothing is lost
and nothing answered twice.
"""

from __future__ import annotations

import os
import signal
import threading
import time

import psycopg
import pytest

from smsreply.accounts.credentials import ensure_callback_token
from smsreply.settings import load_settings
from smsreply.store import Store, storage_errors
from testkit.dataset import open_conversations
from testkit.scenario import (
    TEXT_ANSWER,
    post,
    replies_stored,
    retry_until_acknowledged,
    tally,
)
from testkit.sink import SinkProcess
from tests.test_two_hosts import two_hosts

pytestmark = pytest.mark.postgres  # make test runs these in its PostgreSQL run only

LIMITS = {
    "lock_timeout": 0.5,
    "statement_timeout": 1.5,
    "idle_in_transaction_timeout": 1.0,
    "keepalive_seconds": 7.0,
}


@pytest.fixture
def limited(postgres_url):
    store = Store(url=postgres_url + "?options=-c%20application_name%3Dours", limits=LIMITS)
    yield store
    store.close()


def test_every_session_sets_the_limits_and_keeps_the_urls_options(limited):
    shown = limited.query(
        "SELECT current_setting('lock_timeout') AS lock, "
        "current_setting('statement_timeout') AS statement, "
        "current_setting('idle_in_transaction_session_timeout') AS idle, "
        "current_setting('tcp_keepalives_idle') AS keepalive, "
        "current_setting('application_name') AS name"
    )
    assert shown == [
        {"lock": "500ms", "statement": "1500ms", "idle": "1s", "keepalive": "7", "name": "ours"}
    ]


def test_the_settings_reach_the_sessions(postgres_url, tmp_path):
    env = {"SMSREPLY_DATABASE_URL": postgres_url, "SMSREPLY_DATABASE_LOCK_TIMEOUT": "3"}
    settings = load_settings(None, env=env | {"SMSREPLY_DATABASE_KEEPALIVE_SECONDS": "0"})
    store = Store.from_settings(settings)
    try:
        assert store.query("SELECT current_setting('lock_timeout') AS v") == [{"v": "3s"}]
        assert store.query("SELECT current_setting('statement_timeout') AS v") == [{"v": "1min"}]
        assert store.query(
            "SELECT current_setting('idle_in_transaction_session_timeout') AS v"
        ) == [{"v": "5s"}]
    finally:
        store.close()


def test_a_statement_too_long_is_a_storage_error(limited):
    started = time.monotonic()
    with pytest.raises(storage_errors()) as raised:
        limited.query("SELECT pg_sleep(5)")
    assert "statement timeout" in str(raised.value)
    assert time.monotonic() - started < 4


def test_a_frozen_transaction_is_ended_and_its_rows_freed(limited, postgres_url):
    """Our transaction waits on its host past the idle limit: the server ends it, another
    session takes its row at once, and our host learns it with a storage error (nothing
    committed)."""
    before = limited.balance()
    with pytest.raises(storage_errors()), limited.write():
        limited.db.execute("UPDATE account SET balance = balance + 5 WHERE id = 1")
        time.sleep(LIMITS["idle_in_transaction_timeout"] + 1)  # frozen
        with psycopg.connect(postgres_url, autocommit=True) as other:
            other.execute("SET lock_timeout = '100ms'")
            other.execute("SELECT balance FROM account WHERE id = 1 FOR UPDATE")
        limited.db.execute("UPDATE account SET balance = balance + 5 WHERE id = 1")
    assert limited.balance() == before


def test_a_row_held_by_a_frozen_host_is_a_503_not_a_wait(postgres_url, tmp_path):
    """A host froze holding the table replies go in: the callback is answered 503 (the
    provider posts it again) after ``lock_timeout``, not held; once freed, it is stored."""
    from smsreply.web import create_app

    overrides = {
        "database.url": postgres_url,
        "database.path": str(tmp_path / "local.db"),
        "database.lock_timeout": 0.5,
    }
    app = create_app(load_settings(None, env={}, overrides=overrides))
    service = app.extensions["smsreply"]
    token = ensure_callback_token(service.store)
    form = {"shortcode": "38000", "tag": "", "id": "held-1", "senderid": "+33612345678"}
    answers = []
    with psycopg.connect(postgres_url) as frozen:
        frozen.execute("LOCK TABLE replies IN EXCLUSIVE MODE")  # inserts wait for it
        client = threading.Thread(
            target=lambda: answers.append(
                app.test_client().post(f"/callbacks/ovh/{token}", data=form | {"message": "OUI"})
            ),
            daemon=True,
        )
        started = time.monotonic()
        client.start()
        client.join(timeout=10)
        waited = time.monotonic() - started
        frozen.rollback()
    client.join(timeout=30)
    assert answers and answers[0].status_code == 503, answers
    assert answers[0].get_json()["error"]["code"] == "storage_unavailable"
    assert waited < 5
    again = app.test_client().post(f"/callbacks/ovh/{token}", data=form | {"message": "OUI"})
    assert again.status_code == 200, again.get_data(as_text=True)
    service.store.close()


FROZEN_REPLIES = 400  # sent to the host that freezes: it is mid-burst when it stops
OTHER_REPLIES = 120  # sent to the other host while the first is stopped
WITHIN = 10.0


def acknowledge_within(server, targets, label: str, seconds: float) -> set[str]:
    """Post, and re-post what was not acknowledged (as the provider does), for ``seconds``."""
    deadline = time.monotonic() + seconds
    acked: set[str] = set()
    while time.monotonic() < deadline:
        missing = [target for target in targets if target.tag not in acked]
        if not missing:
            break
        acked |= post(server, missing, label, 16)
    return acked


def test_a_frozen_host_stops_nobody(tmp_path, postgres_url):
    store = Store(url=postgres_url)
    with SinkProcess() as sink:
        frozen, other = two_hosts(tmp_path, postgres_url, sink)
        frozen.put_options(TEXT_ANSWER)
        targets = open_conversations(postgres_url, FROZEN_REPLIES + OTHER_REPLIES)
        to_frozen, to_other = targets[:FROZEN_REPLIES], targets[FROZEN_REPLIES:]
        acked: set[str] = set()
        burst = threading.Thread(target=lambda: acked.update(post(frozen, to_frozen, "f", 32)))
        burst.start()
        while replies_stored(store) < FROZEN_REPLIES // 4 and burst.is_alive():
            time.sleep(0.005)
        os.killpg(frozen.process.pid, signal.SIGSTOP)
        stopped_at = time.monotonic()
        try:
            start = len(sink.records(0))
            acked_by_other = acknowledge_within(other, to_other, "o", WITHIN)
            acked_at = time.monotonic() - stopped_at
            while time.monotonic() - stopped_at < WITHIN and not _answered(
                sink, start, acked_by_other
            ):
                time.sleep(0.1)
            arrivals = {tag: at for at, tag, _ in reversed(sink.records(start))}
        finally:
            os.killpg(frozen.process.pid, signal.SIGCONT)
        burst.join()
        acked |= acked_by_other
        # The provider posts again what was not acknowledged, to the host that woke.
        reposted = retry_until_acknowledged(frozen, to_frozen, acked, "f")
        result = tally(sink, 0, targets, acked)
        frozen.stop()
        other.stop()
    store.close()
    late = [
        tag for tag in (t.tag for t in to_other) if arrivals.get(tag, 1e9) - stopped_at > WITHIN
    ]
    print(
        f"\nfrozen host: {result}; the other host acknowledged {len(acked_by_other)}/"
        f"{OTHER_REPLIES} in {acked_at:.1f} s, {OTHER_REPLIES - len(late)} answered within "
        f"{WITHIN} s; {reposted} re-posted after the wake"
    )
    assert len(acked_by_other) == OTHER_REPLIES, (len(acked_by_other), result)
    assert not late, f"{len(late)} of the other host's replies not answered within {WITHIN} s"
    assert result["acknowledged"] == len(targets), result
    assert result["lost"] == 0 and result["duplicated"] == 0, result


def _answered(sink, start: int, tags: set[str]) -> bool:
    return tags <= {tag for _, tag, _ in sink.records(start)}
