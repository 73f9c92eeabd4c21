"""CPU of storing and handling one ``text`` reply, in one process: in the callback's own
transaction (``handling.handle_now``) against the workers' way (stored claimed, then
claimed again, acted on and recorded in a second transaction: ``work.Engine``).

No HTTP, no gunicorn, no send: only what changed. Both ways run on the same SQLite file (or
PostgreSQL with ``--database``), in interleaved rounds; each figure is the median over the
rounds of the calling thread's CPU time (``time.thread_time``) per reply.

Example::

    python -m bench.inline --replies 500 --rounds 7
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

from smsreply.providers import InboundReply
from smsreply.receiving import accept_reply
from smsreply.service import Service
from smsreply.settings import load_settings
from smsreply.store import Store

from .dataset import open_conversations


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
    lease_seconds = service.settings["worker.lease_seconds"]
    for target in targets:
        lease = time.time() + lease_seconds
        reply, _ = accept_reply(
            service.store, service.settings, service.clock, inbound(target, label), "ovh",
            "127.0.0.1", (), lease,
        )  # fmt: skip
        service.engine.handle_reply(reply["id"], lease)


def measure(service: Service, way, targets, label: str) -> float:
    """Microseconds of this thread's CPU per reply."""
    started = time.thread_time()
    way(service, targets, label)
    spent = time.thread_time() - started
    while service.work_queue.take(0):  # the answers' jobs: nobody sends them here
        pass
    return spent / len(targets) * 1e6


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.inline", description=__doc__)
    parser.add_argument("--replies", type=int, default=500, help="replies per way and round")
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--database", default="", help="a postgresql:// URL (default SQLite)")
    args = parser.parse_args(argv)
    ways = {"in the callback": in_the_callback, "by the workers": by_the_workers}
    figures: dict[str, list[float]] = {name: [] for name in ways}
    with tempfile.TemporaryDirectory(prefix="smsreply-inline-") as folder:
        service = build(Path(folder), args.database)
        location = args.database or Path(folder) / "inline.db"
        for round_number in range(args.rounds):
            for name, way in ways.items():
                targets = open_conversations(location, args.replies)
                label = f"r{round_number}-{name[:2]}"
                figures[name].append(measure(service, way, targets, label))
        service.store.close()
    for name, values in figures.items():
        print(f"{name}: {statistics.median(values):.0f} us CPU a reply (median of {args.rounds})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
