"""``python -m bench --database postgresql --db-delay-ms 1``: hosts that add up, near or far.

For each action, in every round (the order reversed every other round), four bursts at
the same concurrency: one host on its SQLite file; one host on the private PostgreSQL
(direct); two hosts (two gunicorns, half the connections each, as behind a balancer) on
PostgreSQL through ``delay_proxy`` without delay, and with ``--db-delay-ms`` each way
(a database in another zone). The ratios are taken within each round, their medians kept:
PostgreSQL per host against SQLite, the far database against the near one. The proxy also
counts the statements and round trips per reply of each action.

Example::

    python -m bench --database postgresql --db-delay-ms 1 --actions text,cgi-sh,handler
"""

from __future__ import annotations

import asyncio
import statistics
import time
from pathlib import Path

from testkit.dataset import Target, open_conversations
from testkit.gunicorn import Gunicorn, machine_busy_seconds, process_usage
from testkit.load import fire
from testkit.scenario import callbacks, wait_for_answers

from . import report
from .actions import options, server_settings
from .delay_proxy import DelayProxy
from .run import _cpu_self, summarise

CONDITIONS = ("sqlite", "postgresql", "2 hosts", "2 hosts far")
WARM = 60


def post_to_hosts(
    servers: list[Gunicorn], sink, targets: list[Target], label: str, concurrency: int
) -> dict:
    """``post_replies`` spread over several hosts: target i to host i mod N, the
    connections shared equally; the phase's figures for them all."""
    shares = [targets[index :: len(servers)] for index in range(len(servers))]
    requests = [
        callbacks(server, share, label) for server, share in zip(servers, shares, strict=True)
    ]
    start = sink.stats()["accepted"]
    pids = [pid for server in servers for pid in server.pids()]
    server_before, sink_before = process_usage(pids), process_usage([sink.process.pid])
    own_before, busy_before, started = _cpu_self(), machine_busy_seconds(), time.monotonic()

    async def together():
        each = max(concurrency // len(servers), 1)
        return await asyncio.gather(
            *(fire("127.0.0.1", s.port, r, each) for s, r in zip(servers, requests, strict=True))
        )

    shots, ordered, offset = [], [], 0
    for share, found in zip(shares, asyncio.run(together()), strict=True):
        for shot in found:
            shot.index += offset
        shots += found
        ordered += share
        offset += len(share)
    own_cpu = _cpu_self() - own_before
    wait_for_answers(sink, start, sum(shot.status == 200 for shot in shots), 20.0, 900.0)
    server_after, sink_after = process_usage(pids), process_usage([sink.process.pid])
    usage = {
        "server_cpu_seconds": (server_after - server_before).cpu_seconds,
        "sink_cpu_seconds": (sink_after - sink_before).cpu_seconds,
        "generator_cpu_seconds": own_cpu,
        "server_peak_rss_mb": server_after.peak_rss_mb,
        "machine_cpu_seconds": machine_busy_seconds() - busy_before,
        "elapsed_seconds": time.monotonic() - started,
    }
    return summarise(ordered, shots, sink.records(start), usage, None)


class Setup:
    """The databases and hosts of one condition, started for one burst."""

    def __init__(self, workdir: Path, sink, cluster, proxy: DelayProxy, args) -> None:
        self.workdir, self.sink, self.args = workdir, sink, args
        self.ports = (proxy.port, cluster.port)
        self.databases = {
            "sqlite": workdir / "sqlite" / "smsreply.db",
            "postgresql": cluster.create_database("one_host"),
            "2 hosts": proxy.url(cluster.create_database("two_hosts")),
        }
        self.databases["2 hosts far"] = self.databases["2 hosts"]
        self.keys: dict[object, tuple[str, str]] = {}
        (workdir / "sqlite").mkdir()

    def hosts(self, condition: str) -> list[Gunicorn]:
        database = self.databases[condition]
        count = 2 if condition.startswith("2 hosts") else 1
        servers = []
        for number in range(count):
            folder = self.workdir / f"{condition.replace(' ', '-')}-{number}"
            folder.mkdir(exist_ok=True)
            settings = server_settings(database, self.sink.url, **self.args.settings)
            if str(database).startswith("postgresql://"):
                settings["database.path"] = folder / "local.db"  # this host's CGI slots
            server = Gunicorn(folder, settings)
            if database not in self.keys:
                server.init()
                self.keys[database] = (server.api_key, server.callback_path)
            server.api_key, server.callback_path = self.keys[database]
            servers.append(server)
        return servers

    def direct(self, condition: str) -> str:
        """The database as the bench's data loader reaches it (never through the proxy)."""
        database = str(self.databases[condition])
        return database.replace(f":{self.ports[0]}/", f":{self.ports[1]}/")


def burst(setup: Setup, condition: str, action: str, proxy: DelayProxy, args) -> dict:
    servers = setup.hosts(condition)
    setup.sink.reset()  # our SMS ids restart in each database: not resends of the last run's
    proxy.set_delay(args.db_delay_ms if condition == "2 hosts far" else 0.0)
    try:
        for server in servers:
            server.start()
        servers[0].put_options(options(action, setup.sink.url))
        database = setup.direct(condition)
        warm = post_to_hosts(
            servers, setup.sink, open_conversations(database, WARM), f"{action}-{condition}-warm", 8
        )
        count = min(args.replies, max(200, int(warm["replies_per_second"] * args.burst_seconds)))
        targets = open_conversations(database, count)
        before = proxy.counts()
        phase = post_to_hosts(
            servers, setup.sink, targets, f"{action}-{condition}", args.concurrency
        )
        crossed = proxy.counts() - before
    finally:
        for server in servers:
            server.stop()
    if condition.startswith("2 hosts"):
        replies = max(phase["acknowledged"], 1)
        phase["statements_per_reply"] = round(crossed.statements / replies, 1)
        phase["round_trips_per_reply"] = round(crossed.round_trips / replies, 1)
        phase["held_ms"] = round(crossed.held_ms, 2)
        # The balance row, held by one transaction at a time: 1000 / this is the ceiling.
        phase["shared_ms_per_reply"] = round(crossed.shared_ms / replies, 2)
        phase["shared_wait_ms_per_reply"] = round(crossed.shared_wait_ms / replies, 2)
    return phase


def measure(args, cluster, sink, workdir: Path) -> dict:
    """Every round's bursts, and the medians of the ratios within rounds."""
    runs = []
    with DelayProxy(cluster.port) as proxy:
        setup = Setup(workdir, sink, cluster, proxy, args)
        for round_number in range(args.rounds):
            for action in args.actions:
                order = CONDITIONS if round_number % 2 == 0 else tuple(reversed(CONDITIONS))
                for condition in order:
                    phase = burst(setup, condition, action, proxy, args)
                    runs.append(
                        {
                            "round": round_number,
                            "action": action,
                            "condition": condition,
                            "burst": phase,
                        }
                    )
                    report.progress(progress_line(runs[-1]))
    return {"db_delay_ms": args.db_delay_ms, "runs": runs, "medians": medians(runs)}


def progress_line(run: dict) -> str:
    burst = run["burst"]
    counted = (
        f", {burst['statements_per_reply']} statements / {burst['round_trips_per_reply']} "
        f"round trips a reply (held {burst['held_ms']} ms); the balance row held "
        f"{burst['shared_ms_per_reply']} ms a reply (waited for: "
        f"{burst['shared_wait_ms_per_reply']} ms)"
        if "statements_per_reply" in burst
        else ""
    )
    return (
        f"round {run['round']} {run['action']} {run['condition']}: "
        f"{burst['replies_per_second']} answers/s, p50/p99 {burst['p50_ms']}/{burst['p99_ms']} "
        f"ms, lost {burst['lost']}, doubled {burst['duplicated']}{counted}"
    )


def _median(values: list[float]) -> float:
    return round(statistics.median(values), 3) if values else float("nan")


def _ratio(rounds: list[dict], top: str, bottom: str) -> float:
    """The median over rounds of ``top``'s answers/s over ``bottom``'s in the same round."""
    return _median(
        [
            found[top]["replies_per_second"] / found[bottom]["replies_per_second"]
            for found in rounds
            if found[bottom]["replies_per_second"]
        ]
    )


def medians(runs: list[dict]) -> list[dict]:
    rows = []
    for action in dict.fromkeys(run["action"] for run in runs):
        by_round: dict[int, dict[str, dict]] = {}
        for run in runs:
            if run["action"] == action:
                by_round.setdefault(run["round"], {})[run["condition"]] = run["burst"]
        rounds = list(by_round.values())
        row = {"action": action, "rounds": len(rounds)}
        for condition in CONDITIONS:
            row[condition] = _median([found[condition]["replies_per_second"] for found in rounds])
        row["postgresql_vs_sqlite"] = _ratio(rounds, "postgresql", "sqlite")
        row["two_hosts_vs_one"] = _ratio(rounds, "2 hosts", "postgresql")
        row["far_vs_near"] = _ratio(rounds, "2 hosts far", "2 hosts")
        for key in ("statements_per_reply", "round_trips_per_reply"):
            row[key] = _median([found[c][key] for found in rounds for c in CONDITIONS[2:]])
        for condition, key in (("2 hosts", "shared_ms_near"), ("2 hosts far", "shared_ms_far")):
            row[key] = _median([found[condition]["shared_ms_per_reply"] for found in rounds])
        row["held_ms"] = _median([found["2 hosts far"]["held_ms"] for found in rounds])
        row["lost"] = sum(found[c]["lost"] for found in rounds for c in CONDITIONS)
        row["duplicated"] = sum(found[c]["duplicated"] for found in rounds for c in CONDITIONS)
        rows.append(row)
    return rows


HEADER = (
    "| action | SQLite 1 host | PostgreSQL 1 host | x SQLite | 2 hosts | x 1 host "
    "| 2 hosts, DB {delay} ms away | x near | statements / round trips per reply "
    "| balance row held ms/reply, near / far | lost / dup |"
)


def table(found: dict) -> str:
    header = HEADER.format(delay=found["db_delay_ms"])
    lines = ["", "Answers per second (medians of the rounds; ratios within each round):", ""]
    lines += [header, "|" + "|".join("---" for _ in range(header.count("|") - 1)) + "|"]
    for row in found["medians"]:
        cells = [row["action"], *(f"{row[c]:,.0f}" for c in CONDITIONS[:2])]
        cells += [f"{row['postgresql_vs_sqlite']:.2f}", f"{row['2 hosts']:,.0f}"]
        cells += [f"{row['two_hosts_vs_one']:.2f}", f"{row['2 hosts far']:,.0f}"]
        cells += [f"{row['far_vs_near']:.2f}"]
        cells += [f"{row['statements_per_reply']} / {row['round_trips_per_reply']}"]
        cells += [f"{row['shared_ms_near']:.2f} / {row['shared_ms_far']:.2f}"]
        cells += [f"{row['lost']} / {row['duplicated']}"]
        lines.append("| " + " | ".join(cells) + " |")
    lines += ["", "| target | measured | met? |", "|---|---|---|"]
    for row in found["medians"]:
        far = row["far_vs_near"]
        lines.append(
            f"| {row['action']}: DB {found['db_delay_ms']} ms away >= 0.8 x near "
            f"| {far:.2f} x | {'yes' if far >= 0.8 else 'no'} |"
        )
        ratio = row["postgresql_vs_sqlite"]
        lines.append(
            f"| {row['action']}: PostgreSQL per host >= 0.7 x SQLite | {ratio:.2f} x "
            f"| {'yes' if ratio >= 0.7 else 'no'} |"
        )
    lost = sum(row["lost"] + row["duplicated"] for row in found["medians"])
    lines.append(f"| 0 lost, 0 doubled | {lost} | {'yes' if lost == 0 else 'no'} |")
    return "\n".join(lines)
