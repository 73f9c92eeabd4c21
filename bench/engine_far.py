"""``python -m bench.engine_far``: the work engine alone, its database near and far.

What bounds the answers of actions run by the workers (``handler``, ``cgi``, ``url``) when
PostgreSQL is far away? A private PostgreSQL behind the bench's proxy (``delay_proxy``);
one process's service stores ``--replies`` replies to the ``handler`` action, unhandled and
unclaimed (as callbacks do in a process without workers); then ``--threads`` engine
threads claim them from one queue and run them (``Engine.run``: claim, act, record,
send the answer to the sink, mark it sent), with the proxy holding each message 0 ms,
then ``--db-delay-ms`` each way, in each round (order reversed every other round). It
reports answers per second, round trips per reply (counted by the proxy) and the
delay the proxy really added. If the engine's threads mostly wait on round trips, far
answers/s ≈ threads / (time per reply near + round trips × the added round-trip time),
and more threads make up for the distance.

It measures whatever ``smsreply`` is importable, so two versions compare in one window::

    (cd /tmp/main && python -m bench.engine_far --threads 4,16)   # before
    python -m bench.engine_far --threads 4,16                     # after
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import threading
import time
from pathlib import Path

import smsreply
from bench.actions import options, server_settings
from bench.delay_proxy import DelayProxy
from smsreply.engine.work import Job
from smsreply.providers import InboundReply
from smsreply.service import Service
from smsreply.settings import load_settings
from smsreply.store import Store
from testkit.dataset import open_conversations
from testkit.postgres import DURABLE, PrivateCluster
from testkit.sink import SinkProcess


def service_on(url: str, sink_url: str, threads: int, folder: Path) -> Service:
    overrides = {k: str(v) for k, v in server_settings(url, sink_url).items()}
    overrides |= {"database.path": str(folder / "local.db"), "database.pool_size": threads + 2}
    settings = load_settings(None, env={}, overrides=overrides)
    store = Store.from_settings(settings)
    store.migrate()
    return Service(settings, store, project_dir=folder)


def burst(service: Service, direct: str, replies: int, threads: int, label: str, proxy=None,
          delay: float = 0.0) -> tuple[float, object]:  # fmt: skip
    """Store ``replies`` unhandled replies, then handle and answer them all with
    ``threads`` threads, the proxy holding each message ``delay`` ms; the seconds the
    engine took, and what crossed the proxy meanwhile."""
    for target in open_conversations(direct, replies):
        inbound = InboundReply(
            f"{label}-{target.conversation_id}", target.recipient, "OUI", target.shortcode
        )
        service.receive_reply(inbound, "ovh")  # no workers here: stored, left to do
    jobs = service.engine.claim_due("reply", replies)
    assert len(jobs) == replies, (len(jobs), replies)
    todo = list(reversed(jobs))
    lock = threading.Lock()

    def work() -> None:
        while True:
            with lock:
                if not todo:
                    return
                job: Job = todo.pop()
            service.engine.run(job)

    workers = [threading.Thread(target=work) for _ in range(threads)]
    if proxy is not None:
        proxy.set_delay(delay)
        before = proxy.counts()
    started = time.perf_counter()
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    seconds = time.perf_counter() - started
    if proxy is None:
        return seconds, None
    crossed = proxy.counts() - before
    proxy.set_delay(0.0)
    return seconds, crossed


def measure(args) -> list[dict]:
    rows = []
    with (
        PrivateCluster(DURABLE) as cluster,
        DelayProxy(cluster.port) as proxy,
        SinkProcess() as sink,
        tempfile.TemporaryDirectory() as folder,
    ):
        for threads in args.threads:
            direct = cluster.create_database(f"engine_{threads}")
            service = service_on(proxy.url(direct), sink.url, threads, Path(folder))
            service.set_reply_options(options("handler", sink.url))
            burst(service, direct, 50, threads, f"warm{threads}")
            for number in range(args.rounds):
                delays = (0.0, args.db_delay_ms)
                for delay in delays if number % 2 == 0 else reversed(delays):
                    label = f"t{threads}r{number}d{delay}"
                    seconds, crossed = burst(
                        service, direct, args.replies, threads, label, proxy, delay
                    )
                    rows.append(
                        {
                            "threads": threads,
                            "round": number,
                            "delay_ms": delay,
                            "answers_per_second": round(args.replies / seconds, 1),
                            "round_trips_per_reply": round(crossed.round_trips / args.replies, 1),
                            "added_ms_each_way": round(crossed.held_ms, 2),
                        }
                    )
                    print(json.dumps(rows[-1]), flush=True)
            service.store.close()
    return rows


def summary(rows: list[dict], far_ms: float) -> list[dict]:
    found = []
    for threads in dict.fromkeys(row["threads"] for row in rows):
        mine = [row for row in rows if row["threads"] == threads]
        rounds = sorted({row["round"] for row in mine})
        pick = {(r["round"], r["delay_ms"]): r["answers_per_second"] for r in mine}
        ratios = [pick[(n, far_ms)] / pick[(n, 0.0)] for n in rounds]
        found.append(
            {
                "threads": threads,
                "near": statistics.median(pick[(n, 0.0)] for n in rounds),
                "far": statistics.median(pick[(n, far_ms)] for n in rounds),
                "far_vs_near": round(statistics.median(ratios), 2),
            }
        )
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--threads", default="4,16", help="engine threads, each a run")
    parser.add_argument("--replies", type=int, default=300, help="per burst")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--db-delay-ms", type=float, default=1.0)
    args = parser.parse_args()
    args.threads = [int(value) for value in args.threads.split(",")]
    rows = measure(args)
    print(json.dumps({"code": str(Path(smsreply.__file__).parent.parent),
                      "summary": summary(rows, args.db_delay_ms)}))  # fmt: skip


if __name__ == "__main__":
    main()
