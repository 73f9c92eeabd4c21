"""``python -m bench``: floors, then each action in a burst and at a pace, on fresh and long
histories; prints a table (or ``--json``). ``make bench`` runs it; ``--quick`` is a small
smoke run for CI.

Example::

    python -m bench --quick
    python -m bench --peers jasmin --jasmin-binds 4 --actions text,url
    python -m bench --replies 20000 --actions text,handler --history 0,1000000 --json
    python -m bench --database postgresql --db-delay-ms 1  # hosts near and far: hosts.py
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import platform
import signal
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

from testkit.dataset import add_history, open_conversations
from testkit.gunicorn import Gunicorn, Usage
from testkit.kannel_boxes import installed as kannel_installed
from testkit.load import fire, percentile
from testkit.postgres import DURABLE, PrivateCluster
from testkit.sink import SinkProcess
from testkit.wire import request

from . import hosts, report
from .actions import ACTIONS, SCRIPTS, options, server_settings
from .compare import medians
from .floors import spawn_floor, wire_floor
from .jasmin import run_jasmin
from .jasmin_boxes import install as install_jasmin
from .jasmin_boxes import installed as jasmin_installed
from .kannel import run_peer
from .plans import full_scans, plans
from .profile import Profiler, py_spy_path
from .run import post_replies

# One OVH-shaped reply; each callback of a floor has its own id (``% number``).
CALLBACK = b"shortcode=38000&tag=sr1&id=x%s&senderid=%%2B33612345678&message=OUI"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n")[0])
    parser.add_argument("--replies", type=int, default=10000, help="replies per burst")
    parser.add_argument("--actions", default=None, help="comma-separated actions (default: all)")
    parser.add_argument("--history", default="0", help="past conversations, e.g. 0,1000000")
    parser.add_argument("--rate", type=float, default=500.0, help="paced replies per second")
    parser.add_argument("--paced-seconds", type=float, default=10.0)
    parser.add_argument("--burst-seconds", type=float, default=30.0, help="cap for slow actions")
    parser.add_argument("--concurrency", type=int, default=64, help="connections in a burst")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds (medians)")
    parser.add_argument(
        "--peers", default="kannel,jasmin", help="peers run in each round: kannel, jasmin, none"
    )
    parser.add_argument("--no-kannel", action="store_true", help="skip the Kannel peer")
    parser.add_argument("--jasmin-binds", default="1,4", help="Jasmin's SMPP binds, each a run")
    parser.add_argument("--quick", action="store_true", help="a small run for CI smoke")
    parser.add_argument("--profile", metavar="DIR", help="py-spy the workers in each burst")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    parser.add_argument(
        "--database",
        choices=["sqlite", "postgresql"],
        default="sqlite",
        help="an SQLite file, or a private PostgreSQL server (testkit/postgres.py)",
    )
    parser.add_argument(
        "--db-delay-ms",
        type=float,
        default=None,
        help="PostgreSQL: one and two hosts, the database near and this many ms away each "
        "way (bench/hosts.py), against SQLite; actions default to text,cgi-sh,handler",
    )
    parser.add_argument(
        "--set", action="append", default=[], metavar="KEY=VALUE", help="a smsreply setting"
    )
    args = parser.parse_args(argv)
    if args.quick:
        args.replies, args.paced_seconds, args.burst_seconds = 300, 1.0, 3.0
        args.rounds = 1
    if args.db_delay_ms is not None and args.database != "postgresql":
        parser.error("--db-delay-ms needs --database postgresql")
    if args.actions is None:
        args.actions = "text,cgi-sh,handler" if args.db_delay_ms is not None else ",".join(ACTIONS)
    args.actions = [name for name in args.actions.split(",") if name]
    unknown = set(args.actions) - set(ACTIONS)
    if unknown:
        parser.error(f"unknown action(s) {', '.join(sorted(unknown))}; known: {', '.join(ACTIONS)}")
    args.peers = {name for name in args.peers.split(",") if name and name != "none"}
    if args.peers - {"kannel", "jasmin"}:
        parser.error(f"unknown peer(s) in {args.peers}; known: kannel, jasmin")
    if args.no_kannel:
        args.peers.discard("kannel")
    args.jasmin_binds = [int(value) for value in args.jasmin_binds.split(",") if value]
    args.history = [int(value) for value in args.history.split(",")]
    args.settings = dict(item.split("=", 1) for item in args.set)
    return args


def machine(database: str, cluster=None) -> dict:
    cpuinfo = Path("/proc/cpuinfo").read_text()
    model = next((line.split(":", 1)[1].strip() for line in cpuinfo.splitlines()
                  if line.startswith("model name")), platform.processor())  # fmt: skip
    return {
        "nproc": os.cpu_count(),
        "cpu": model,
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "database": database,
        "postgresql": cluster.admin("SHOW server_version")[0][0] if cluster else "",
        "kernel": platform.release(),
    }


def app_floor(workdir: Path, sink, args, app: str = "bench.emptyapp:app") -> dict:
    """An app under the same gunicorn config (the empty app, or ``relayapp``): callbacks/s,
    CPU per callback, latency paced; ``answers``: what the sink accepted per callback."""
    settings = server_settings(workdir / "empty.db", sink.url, **args.settings)
    with Gunicorn(workdir, settings, app=app) as server:
        host = f"127.0.0.1:{server.port}"
        shots = [
            request("POST", "/callbacks/ovh/token", host, CALLBACK % str(number).encode())
            for number in range(300 + args.replies + int(args.rate * args.paced_seconds))
        ]
        warm, burst = shots[:300], shots[300 : 300 + args.replies]
        pace = shots[300 + args.replies :]
        asyncio.run(fire("127.0.0.1", server.port, warm, args.concurrency))
        sink.reset()
        before = server.usage()
        started = time.monotonic()
        shots = asyncio.run(fire("127.0.0.1", server.port, burst, args.concurrency))
        elapsed = time.monotonic() - started
        cpu = (server.usage() - before).cpu_seconds
        answers = sink.stats()["accepted"]
        paced = asyncio.run(fire("127.0.0.1", server.port, pace, 16, args.rate))
    latencies = [shot.answered - shot.due for shot in paced if shot.status == 200]
    ok = sum(shot.status == 200 for shot in shots)
    return {
        "requests_per_second": round(ok / elapsed),
        "server_cpu_ms_per_request": round(cpu / max(ok, 1) * 1000, 3),
        "paced_p50_ms": round(percentile(latencies, 0.5) * 1000, 2),
        "paced_p99_ms": round(percentile(latencies, 0.99) * 1000, 2),
        "answers_per_request": round(answers / max(ok, 1), 3),
    }


def cpu_split(used: Usage, ledger: Path, replies: int) -> dict[str, float]:
    """Server CPU ms per reply by part: what the processes marked (``smsreply.monitoring.cputime``),
    the scripts' own CPU in ``spawn``, and the rest — gunicorn, Flask — with the callback
    view (``callback``, also shown alone) as ``receive``."""
    parts = dict.fromkeys(("callback", "handle", "send", "spawn"), 0.0)
    for path in ledger.glob("*.json"):
        for part, seconds in json.loads(path.read_text()).items():
            parts[part] += seconds
    parts["spawn"] += used.children_seconds
    parts["receive"] = max(used.cpu_seconds - sum(parts.values()), 0.0) + parts["callback"]
    parts["total"] = used.cpu_seconds
    return {part: round(seconds / max(replies, 1) * 1000, 3) for part, seconds in parts.items()}


def run_action(action: str, initialised: Gunicorn, sink, floor: float, args) -> dict:
    burst = min(args.replies, max(100, int(floor * args.burst_seconds)))
    warm = 100
    database = (
        initialised.env.get("SMSREPLY_DATABASE_URL") or initialised.env["SMSREPLY_DATABASE_PATH"]
    )
    targets = open_conversations(database, warm + burst + args.replies)
    ledger = Path(tempfile.mkdtemp(prefix=f"cpu-{action}-", dir=initialised.workdir))
    settings = server_settings(database, sink.url, **args.settings, **{"server.cpu_ledger": ledger})
    server = Gunicorn(initialised.workdir, settings)
    server.api_key, server.callback_path = initialised.api_key, initialised.callback_path
    with server:
        started = server.usage()  # after start-up (imports, migrations): not a reply's CPU
        server.put_options(options(action, sink.url))
        warmed = post_replies(server, sink, targets[:warm], f"{action}-warm", 8)
        with Profiler(server.workers(), args.profile, action):
            bursted = post_replies(
                server, sink, targets[warm : warm + burst], f"{action}-burst", args.concurrency
            )
        rate = min(args.rate, max(bursted["replies_per_second"] * 0.5, 1.0))
        count = max(10, min(args.replies, int(rate * args.paced_seconds)))
        start = warm + burst
        paced = post_replies(
            server, sink, targets[start : start + count], f"{action}-paced", 32, rate=rate
        )
        used = server.usage() - started
    replies = sum(phase["acknowledged"] for phase in (warmed, bursted, paced))
    split = cpu_split(used, ledger, replies)
    return {"action": action, "floor": floor, "burst": bursted, "paced": paced, "cpu_split": split}


def peer_jobs(args) -> list[tuple[str, bool]]:
    """Kannel's jobs matching the actions measured, each with its store off and on."""
    if "kannel" not in args.peers or not kannel_installed():
        return []
    jobs = ["exec"] if any(action in SCRIPTS for action in args.actions) else []
    jobs += ["text"] if set(args.actions) - set(SCRIPTS) else []
    return [(job, store) for job in jobs for store in (False, True)]


def main(argv: list[str] | None = None) -> int:
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # stop the servers on the way out
    args = parse_args(argv)
    if args.profile:
        py_spy_path()  # missing: say so now, not after the floors
    if "jasmin" in args.peers and not jasmin_installed():
        install_jasmin(report.progress)  # the first time: minutes, before any measure
    with contextlib.ExitStack() as stack:
        cluster = None
        if args.database == "postgresql":
            # Durable like SQLite's WAL + synchronous=NORMAL: fsync on, commits not waited for.
            cluster = stack.enter_context(PrivateCluster(options=DURABLE))
        if args.db_delay_ms is not None:
            return measure_hosts(args, cluster)
        return measure(args, cluster)


def measure_hosts(args: argparse.Namespace, cluster: PrivateCluster) -> int:
    """``--db-delay-ms``: one and two hosts, near and far (``bench/hosts.py``)."""
    results: dict = {"machine": machine(args.database, cluster)}
    with tempfile.TemporaryDirectory(prefix="smsreply-bench-") as tmp, SinkProcess() as sink:
        results["hosts"] = hosts.measure(args, cluster, sink, Path(tmp))
    if args.json:
        json.dump(results, sys.stdout, indent=2)
        print()
    else:
        print(report.table_head(results["machine"]) + "\n" + hosts.table(results["hosts"]))
    wrong = sum(row["lost"] + row["duplicated"] for row in results["hosts"]["medians"])
    return 1 if wrong else 0


def measure(args: argparse.Namespace, cluster: PrivateCluster | None) -> int:
    results: dict = {"machine": machine(args.database, cluster), "floors": {}, "runs": []}
    with tempfile.TemporaryDirectory(prefix="smsreply-bench-") as tmp, SinkProcess() as sink:
        workdir = Path(tmp)
        floors = results["floors"]
        floors["wire"] = wire_floor(sink, max(args.replies, 2000), args.concurrency)
        floors["app"] = app_floor(workdir, sink, args)
        floors["relay"] = app_floor(workdir, sink, args, app="bench.relayapp:app")
        for action in args.actions:
            if action in SCRIPTS:
                seconds = 1.0 if args.quick else 3.0
                floors[action] = {
                    "sequential": round(spawn_floor(SCRIPTS[action], seconds, 1), 1),
                    "parallel": round(spawn_floor(SCRIPTS[action], seconds, 8), 1),
                }
        report.progress(f"floors: {json.dumps(floors)}")
        senders = 0  # Kannel's replies come from distinct numbers across the whole run
        for history in args.history:
            folder = workdir / f"history-{history}"
            folder.mkdir()
            database = folder / "smsreply.db"
            if cluster is not None:  # a database of its own on the private server
                database = cluster.create_database(f"history_{history}")
            initialised = Gunicorn(folder, server_settings(database, sink.url)).init()
            if history:
                started = time.monotonic()
                add_history(database, history)
                report.progress(
                    f"{history} past conversations in {time.monotonic() - started:.0f} s"
                )
                Gunicorn(folder, server_settings(database, sink.url)).start().stop()
                if cluster is None:  # EXPLAIN QUERY PLAN is SQLite's
                    found = plans(str(database))  # after a start: the migrations' indexes too
                    results["plans"] = {name: lines for name, (lines, _) in found.items()}
                    results["full_scans"] = full_scans(found)
            for round_number in range(args.rounds):  # interleaved: each round runs them all
                for job, store in peer_jobs(args):
                    senders += 2 * args.replies
                    run = run_peer(
                        workdir / f"round-{round_number}", sink, job, store, senders, args
                    )
                    results["runs"].append(run | {"history": history, "round": round_number})
                    report.progress(report.row(results["runs"][-1]))
                for binds in args.jasmin_binds if "jasmin" in args.peers else ():
                    senders += 2 * args.replies + 200
                    run = run_jasmin(workdir / f"round-{round_number}", sink, binds, senders, args)
                    results["runs"].append(run | {"history": history, "round": round_number})
                    report.progress(report.row(results["runs"][-1]))
                for action in args.actions:
                    floor = floors["app"]["requests_per_second"]
                    if action in SCRIPTS:
                        floor = min(floor, floors[action]["parallel"])
                    run = run_action(action, initialised, sink, floor, args)
                    results["runs"].append(run | {"history": history, "round": round_number})
                    report.progress(report.row(results["runs"][-1]))
        results["medians"] = medians(results["runs"], floors)
    if args.json:
        json.dump(results, sys.stdout, indent=2)
        print()
    else:
        print(report.table(results))
    lost = sum(run[phase]["lost"] + run[phase]["duplicated"]
               for run in results["runs"] for phase in ("burst", "paced"))  # fmt: skip
    return 1 if lost or results.get("full_scans") else 0


if __name__ == "__main__":
    sys.exit(main())
