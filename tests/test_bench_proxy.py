"""The bench's database proxy (``bench/delay_proxy.py``), in front of the private
PostgreSQL server: it passes everything through unchanged, counts each statement and each
round trip (a pipeline of statements is one), measures how long the balance row is held,
and holds each message at least the delay asked for. Counts, and lower bounds on time only
(a busy machine is slower, never faster)."""

from __future__ import annotations

import threading
import time

import psycopg
import pytest

from bench.delay_proxy import DelayProxy, FrontendCounter

pytestmark = pytest.mark.postgres  # make test runs these in its PostgreSQL run only


@pytest.fixture(scope="module")
def proxy(postgres_cluster):
    with DelayProxy(postgres_cluster.port) as proxy:
        yield proxy


def test_statements_and_round_trips_are_counted(proxy, postgres_cluster):
    proxy.set_delay(0.0)
    with psycopg.connect(proxy.url(postgres_cluster.url()), autocommit=True) as conn:
        before = proxy.counts()
        assert conn.execute("SELECT %s::int + 1", (41,)).fetchone() == (42,)
        conn.execute("SELECT 'a;b'; ")
        with conn.transaction():  # BEGIN, the statement, COMMIT: three of each
            conn.execute("SELECT 1")
        after = proxy.counts()
        with conn.pipeline():  # three statements, sent at once
            cursors = [conn.execute("SELECT %s::int", (number,)) for number in range(3)]
        assert [cursor.fetchone() for cursor in cursors] == [(0,), (1,), (2,)]
        piped = proxy.counts() - after
    counted = after - before
    assert (counted.statements, counted.round_trips) == (5, 5)
    assert piped.statements == 3 and 1 <= piped.round_trips < 3
    assert after.connections >= 1


def test_the_time_the_shared_row_is_held_is_measured(proxy, postgres_cluster):
    """From the statement that takes the balance row (prepared or not) to the commit."""
    proxy.set_delay(0.0)
    with psycopg.connect(proxy.url(postgres_cluster.url()), autocommit=True) as conn:
        conn.execute("CREATE TEMP TABLE account (id int, balance int)")
        conn.execute("INSERT INTO account VALUES (1, 10)")
        before = proxy.counts()
        for prepare in (False, True, True):
            with conn.transaction():
                conn.execute("UPDATE account SET balance = balance - %s", (1,), prepare=prepare)
                conn.execute("SELECT pg_sleep(0.05)")
        conn.execute("SELECT balance FROM account")  # not the shared row
        held = proxy.counts() - before
    assert held.shared == 3 and held.shared_ms >= 3 * 50


def test_waiting_for_the_shared_row_is_not_holding_it(proxy, postgres_cluster):
    proxy.set_delay(0.0)
    url = proxy.url(postgres_cluster.url())
    with psycopg.connect(url, autocommit=True) as first, psycopg.connect(url) as second:
        first.execute("CREATE TABLE account (id int, balance int)")
        first.execute("INSERT INTO account VALUES (1, 0)")  # the one row both update
        before = proxy.counts()
        with first.transaction():
            first.execute("UPDATE account SET balance = 1")
            waiter = threading.Thread(target=lambda: (
                second.execute("UPDATE account SET balance = 2"), second.commit()
            ))  # fmt: skip
            waiter.start()
            time.sleep(0.3)  # the second waits for the first to commit
        waiter.join()
        first.execute("DROP TABLE account")
        counted = proxy.counts() - before
    assert counted.shared == 2
    assert counted.shared_wait_ms >= 250 and counted.shared_ms >= 300
    assert counted.shared_ms < 300 + 250  # the second's wait is not counted as holding


def test_each_way_is_held_at_least_the_delay(proxy, postgres_cluster):
    with psycopg.connect(proxy.url(postgres_cluster.url()), autocommit=True) as conn:
        proxy.set_delay(25.0)
        conn.execute("SELECT 1")  # a chunk held before the change may still go at once
        before, started = proxy.counts(), time.monotonic()
        for _ in range(4):
            conn.execute("SELECT 1")
        elapsed = time.monotonic() - started
        held = proxy.counts() - before
        proxy.set_delay(0.0)
    assert elapsed >= 4 * 2 * 0.025
    assert held.delayed == 8 and held.held_ms >= 25.0


def test_startup_and_ssl_requests_are_not_statements():
    counter = FrontendCounter()
    ssl_request = (8).to_bytes(4, "big") + (80877103).to_bytes(4, "big")
    body = b"user\x00postgres\x00\x00"
    startup = (8 + len(body)).to_bytes(4, "big") + (3 << 16).to_bytes(4, "big") + body
    query = b"Q" + (4 + 9).to_bytes(4, "big") + b"SELECT 1\x00"
    stream = ssl_request + startup + query + b"E" + (9).to_bytes(4, "big") + b"\x00" * 5
    # Cut anywhere, the same count: messages are read whole.
    assert sum(counter.feed(stream[at : at + 3])[0] for at in range(0, len(stream), 3)) == 2
    assert counter.feed(b"S" + (4).to_bytes(4, "big")) == (0, 0)  # Sync
