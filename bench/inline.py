"""The cost of storing and handling one ``text`` reply, in one process: in the callback's own
transaction (``handling.handle_now``) against the workers' way (stored claimed, then
claimed again, acted on and recorded in a second transaction: ``work.Engine``).

No HTTP, no gunicorn, no send: only what changed. Both ways run on the same database (an
SQLite file, or a private PostgreSQL server with ``--database postgresql``), in
interleaved rounds; each figure is the median over the rounds, per reply, of the calling
thread's CPU time (``time.thread_time``; the part charged to ``handle``, as the bench's
CPU split does) and of the wall clock.

Example::

    python -m bench.inline --replies 500 --rounds 7
    python -m bench.inline --database postgresql
"""

from __future__ import annotations

import argparse
import contextlib
import statistics
import sys
import tempfile
import time
from pathlib import Path

from smsreply import receiving
from smsreply.monitoring import cputime
from smsreply.providers import InboundReply
from smsreply.service import Service
from smsreply.settings import load_settings
from smsreply.store import Store
from testkit.dataset import open_conversations
from testkit.postgres import DURABLE, PrivateCluster


def build(folder: Path, database: str) -> Service:
    settings = load_settings(
        None,
        env={},
        overrides={"database.path": str(folder / "inline.db"), "database.url": database},
    )
    store = Store.from_settings(settings)
    store.migrate()
    service = Service(settings, store, project_dir=folder)
    service.set_reply_options({"action": "text", "text": "Merci, c'est noté."})
    service.work_queue.open()  # as if workers ran: replies are stored claimed for them
    return service


def inbound(target, label: str) -> InboundReply:
    fields = (
        ("shortcode", target.shortcode),
        ("tag", target.tag),
        ("id", f"{label}-{target.conversation_id}"),
        ("senderid", target.recipient),
        ("message", "OUI"),
    )
    return InboundReply(
        f"{label}-{target.conversation_id}", target.recipient, "OUI", target.shortcode,
        target.tag, fields,
    )  # fmt: skip


def in_the_callback(service: Service, targets, label: str) -> None:
    for target in targets:
        service.receive_reply(inbound(target, label), "ovh", "127.0.0.1")


def by_the_workers(service: Service, targets, label: str) -> None:
    """What a ``text`` reply cost before: stored claimed, then handled by the engine."""
    for target in targets:
        lease = service.engine.new_lease()
        received = receiving.describe(service.clock, inbound(target, label), "ovh", "127.0.0.1")
        reply, _ = receiving.store_reply(service.store, service.settings, received, lease)
        service.engine.handle_reply(reply["id"], lease)


def measure(service: Service, way, targets, label: str) -> tuple[float, float, float]:
    """Microseconds per reply: this thread's CPU, of which handling (``cputime``'s
    ``handle``), and the wall clock (PostgreSQL's own CPU and round trips show only there)."""
    handled = cputime.totals()["handle"]
    cpu, wall = time.thread_time(), time.perf_counter()
    way(service, targets, label)
    cpu, wall = time.thread_time() - cpu, time.perf_counter() - wall
    handled = cputime.totals()["handle"] - handled
    while service.work_queue.take(0):  # the answers' jobs: nobody sends them here
        pass
    return tuple(value / len(targets) * 1e6 for value in (cpu, handled, wall))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.inline", description=__doc__)
    parser.add_argument("--replies", type=int, default=500, help="replies per way and round")
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument(
        "--database",
        choices=["sqlite", "postgresql"],
        default="sqlite",
        help="an SQLite file, or a private PostgreSQL server (testkit/postgres.py)",
    )
    args = parser.parse_args(argv)
    ways = {"in the callback": in_the_callback, "by the workers": by_the_workers}
    figures: dict[str, list[tuple[float, float, float]]] = {name: [] for name in ways}
    cputime.instrument()  # the probes of the server's CPU split, every episode counted
    with contextlib.ExitStack() as stack:
        folder = stack.enter_context(tempfile.TemporaryDirectory(prefix="smsreply-inline-"))
        url = ""
        if args.database == "postgresql":
            url = stack.enter_context(PrivateCluster(options=DURABLE)).create_database("inline")
        service = build(Path(folder), url)
        location = url or Path(folder) / "inline.db"
        for round_number in range(args.rounds):
            for name, way in ways.items():
                targets = open_conversations(location, args.replies)
                label = f"r{round_number}-{name[:2]}"
                figures[name].append(measure(service, way, targets, label))
        service.store.close()
    print(f"medians of {args.rounds} rounds of {args.replies} replies ({args.database}):")
    for name, values in figures.items():
        cpu, handled, wall = (statistics.median(value[n] for value in values) for n in range(3))
        print(
            f"{name}: {cpu:.0f} us of CPU (of which handling {handled:.0f}), "
            f"{wall:.0f} us of wall clock a reply"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
