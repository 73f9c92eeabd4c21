"""``python -m bench.write_paths``: what a reply costs PostgreSQL, and what it holds that
every other writer waits for.

A private PostgreSQL server; one process's service takes replies from ``--threads``
threads at once (``Service.receive_reply``, as the callback calls it, the ``text`` action
handled in the callback's transaction with its answer queued and debited), each to its own
open conversation. It reports replies per second, SQL statements and transactions per
reply, and the time per reply spent holding something every writer of the cluster
shares: the write lock (``pg_advisory_xact_lock`` of the store's old global key) where the
code takes it, else the account's balance row (from its ``UPDATE`` to the commit). That
time bounds the whole cluster's replies per second, whatever the hosts: 1 / held.

It measures whatever ``smsreply`` is importable, so two versions compare in one window::

    PYTHONPATH=/tmp/main python bench/write_paths.py --json   # before
    python -m bench.write_paths --json                         # after
"""

from __future__ import annotations

import argparse
import contextlib
import json
import statistics
import tempfile
import threading
import time
from pathlib import Path

import psycopg

import smsreply
from smsreply.providers import InboundReply
from smsreply.service import Service
from smsreply.settings import load_settings
from smsreply.store import Store
from smsreply.store import postgres as backend
from testkit.dataset import open_conversations
from testkit.postgres import PrivateCluster


class Meter:
    """Counts statements and transactions; times what every writer shares."""

    def __init__(self) -> None:
        self.statements = 0
        self.transactions = 0
        self.held = 0.0
        self._lock = threading.Lock()
        self._local = threading.local()

    def install(self) -> None:
        meter, execute = self, psycopg.Connection.execute

        def counted(conn, query, params=None, **kwargs):
            cursor = execute(conn, query, params, **kwargs)
            text = str(query)
            shared = "pg_advisory_xact_lock(%s)" in text or "UPDATE account" in text
            if shared and getattr(meter._local, "since", None) is None:
                meter._local.since = time.perf_counter()
            with meter._lock:
                meter.statements += 1
            return cursor

        psycopg.Connection.execute = counted
        transaction = backend.PostgresBackend.transaction

        def timed(store_backend, *args, **kwargs):
            outer = getattr(store_backend._local, "conn", None) is None
            with transaction(store_backend, *args, **kwargs):
                yield
            if outer:
                since, meter._local.since = getattr(meter._local, "since", None), None
                with meter._lock:
                    meter.transactions += 1
                    if since is not None:
                        meter.held += time.perf_counter() - since

        backend.PostgresBackend.transaction = contextlib.contextmanager(timed)


def run(url: str, threads: int, per_thread: int, folder: Path) -> dict:
    migrated = Store(url=url)
    migrated.migrate()
    migrated.close()
    targets = open_conversations(url, threads * per_thread)
    settings = load_settings(
        None,
        env={},
        overrides={
            "database.url": url,
            "database.path": str(folder / "unused.db"),
            "database.pool_size": threads + 2,
            "simulator.dlr_delay": 0.0,
        },
    )
    service = Service(settings, Store.from_settings(settings), project_dir=folder)
    service.set_reply_options({"action": "text", "text": "Merci, à demain"})
    service.work_queue.open()  # as under gunicorn: replies handled in the callback
    meter = Meter()
    meter.install()

    def post(share: list) -> None:
        for target in share:
            inbound = InboundReply(
                f"w{target.conversation_id}", target.recipient, "OUI", target.shortcode
            )
            service.receive_reply(inbound, "ovh")

    shares = [targets[index::threads] for index in range(threads)]
    workers = [threading.Thread(target=post, args=(share,)) for share in shares]
    started = time.perf_counter()
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    elapsed = time.perf_counter() - started
    replies = len(targets)
    answered = service.store.query(
        "SELECT count(*) AS n FROM replies WHERE status = 'handled' AND answer_id IS NOT NULL"
    )[0]["n"]
    service.store.close()
    return {
        "replies": replies,
        "answered": answered,
        "replies_per_second": round(replies / elapsed, 1),
        "statements_per_reply": round(meter.statements / replies, 2),
        "transactions_per_reply": round(meter.transactions / replies, 2),
        "shared_ms_per_reply": round(meter.held / replies * 1000, 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--threads", type=int, default=16)
    parser.add_argument("--replies", type=int, default=2000, help="in all, per round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    results = []
    with PrivateCluster() as cluster, tempfile.TemporaryDirectory() as folder:
        for number in range(args.rounds):
            url = cluster.create_database(f"write_paths_{number}")
            results.append(run(url, args.threads, args.replies // args.threads, Path(folder)))
            cluster.drop_database(f"write_paths_{number}")
    summary = {key: statistics.median(row[key] for row in results) for key in results[0]}
    summary["code"] = str(Path(smsreply.__file__).parent.parent)
    print(json.dumps(summary) if args.json else summary)


if __name__ == "__main__":
    main()
