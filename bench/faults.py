"""``make faults``: smsreply under gunicorn survives crashes, a failing operator and a full disk.

Each scenario posts replies the way OVH does, breaks something in the middle, repairs it,
re-posts what was not acknowledged (as OVH retries a callback that did not get its 200),
then counts the answers at the sink against the replies: every reply answered exactly once
(``lost`` and ``duplicated`` both 0; ``resent`` counts one SMS handed over twice, which the
operator drops by our SMS id). Leases are short (``worker.lease_seconds=2``) so that work a
dead worker held is taken over within seconds. ``tests/test_faults.py`` runs small versions;
the figures are in ``docs/reliability.md``.

Example::

    python -m bench.faults --replies 2000 --only kill-workers,sink-500
"""

from __future__ import annotations

import argparse
import asyncio
import json
import secrets
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from smsreply.store import Store
from testkit.dataset import open_conversations
from testkit.load import fire
from testkit.scenario import (
    callbacks,
    post,
    replies_stored,
    retry_until_acknowledged,
    start,
    tally,
)
from testkit.sink import SinkProcess

from .actions import options
from .storage import storage_fault


def kill_during_burst(workdir: Path, replies: int, master: bool, database: str = "") -> dict:
    """``kill -9`` the workers (the master starts new ones) or the whole server mid-burst."""
    with SinkProcess() as sink:
        database = database or workdir / "smsreply.db"  # or a postgresql:// URL
        server = start(workdir, sink, database)
        targets = open_conversations(database, replies)
        acked: set[str] = set()
        burst = threading.Thread(target=lambda: acked.update(post(server, targets, "k")))
        burst.start()
        # Kill once a quarter of the burst is stored: acknowledged, mostly not yet answered.
        store = Store.at(database)
        while replies_stored(store) < replies // 4 and burst.is_alive():
            time.sleep(0.01)
        store.close()
        killed_at = time.monotonic()
        if master:
            server.kill9()
        else:
            server.kill9_workers()
        burst.join()
        first = len(acked)
        if master:
            server.start()  # same database, new port: the provider's retries find it
        reposted = retry_until_acknowledged(server, targets, acked, "k")
        result = tally(sink, 0, targets, acked)
        server.stop()
    recovered = time.monotonic() - killed_at
    return result | {"acknowledged_before_kill": first, "reposted": reposted, "seconds": recovered}


def operator_fault(
    workdir: Path, replies: int, mode: str, seconds: float = 3.0, database: str = ""
) -> dict:
    """The operator answers 500, or holds requests past ``http.timeout``, for ``seconds``."""
    with SinkProcess() as sink:
        database = database or workdir / "smsreply.db"  # or a postgresql:// URL
        server = start(workdir, sink, database)
        targets = open_conversations(database, replies)
        sink.fault(mode, seconds=seconds, hold=2.0)
        started = time.monotonic()
        acked = post(server, targets, "p")
        result = tally(sink, 0, targets, acked)
        result |= {"refused_by_operator": sink.stats()["rejected"]}
        server.stop()
    return result | {"seconds": round(time.monotonic() - started, 1)}


def script_faults(workdir: Path, replies: int, database: str = "") -> dict:
    """Scripts that hang or leave children behind, between ordinary replies."""
    scripts = workdir / "cgi-bin"
    scripts.mkdir()
    hang = scripts / "hang.sh"
    # A duration of this run's own, so that pgrep counts none of another run's scripts
    # (several test runs may share the machine).
    pause = f"37.{secrets.randbelow(10**6):06d}"
    hang.write_text(f"#!/bin/sh\nsleep {pause} &\n(sleep {pause}; echo late) &\nsleep {pause}\n")
    hang.chmod(0o755)
    with SinkProcess() as sink:
        database = database or workdir / "smsreply.db"  # or a postgresql:// URL
        server = start(workdir, sink, database, **{"cgi.directory": scripts, "cgi.timeout": 1})
        rule = {"keyword": "BLOQUE", "action": "cgi", "script": "hang.sh"}
        server.put_options(options("text", sink.url) | {"rules": [rule]})
        hanging = open_conversations(database, 16)
        shots = asyncio.run(
            fire(
                "127.0.0.1",
                server.port,
                callbacks(server, hanging, "h", message="BLOQUE"),
                16,
            )
        )
        targets = open_conversations(database, replies)
        started = time.monotonic()
        acked = post(server, targets, "s")
        ack_seconds = time.monotonic() - started
        result = tally(sink, 0, targets, acked)
        # Past every script's timeout, the ones queued behind cgi.max_running's slots too
        # (16 hanging scripts run in waves): what is left after 10 s escaped the kill — the
        # scripts' own sleeps last 37 s.
        deadline = time.monotonic() + 10
        while True:
            left = subprocess.run(["pgrep", "-f", f"sleep {pause}"], capture_output=True, text=True)
            if not left.stdout.split() or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        server.stop()
    return result | {
        "hanging_scripts": sum(shot.status == 200 for shot in shots),
        "callbacks_per_second_meanwhile": round(len(acked) / ack_seconds),
        "processes_left": len(left.stdout.split()),
    }


SCENARIOS = {
    "kill-workers": lambda tmp, n: kill_during_burst(tmp, n, master=False),
    "kill-master": lambda tmp, n: kill_during_burst(tmp, n, master=True),
    "sink-500": lambda tmp, n: operator_fault(tmp, n, "500"),
    "sink-hang": lambda tmp, n: operator_fault(tmp, n, "hang"),
    "disk-full": lambda tmp, n: storage_fault(tmp, n, "full"),
    "read-only": lambda tmp, n: storage_fault(tmp, n, "read-only"),
    "scripts": lambda tmp, n: script_faults(tmp, n),
}


def main(argv: list[str] | None = None) -> int:
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # stop the servers on the way out
    parser = argparse.ArgumentParser(prog="python -m bench.faults", description=__doc__)
    parser.add_argument("--replies", type=int, default=2000)
    parser.add_argument("--only", default=",".join(SCENARIOS))
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    results, failed = {}, False
    for name in args.only.split(","):
        with tempfile.TemporaryDirectory(prefix=f"smsreply-{name}-") as tmp:
            results[name] = SCENARIOS[name](Path(tmp), args.replies)
        failed |= bool(results[name].get("lost") or results[name].get("duplicated"))
        print(f"{name}: {json.dumps(results[name])}", file=sys.stderr, flush=True)
    if args.json:
        print(json.dumps(results, indent=2))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
