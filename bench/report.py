"""The bench's printed results: a Markdown table per run, floors and the machine first.

Example::

    print(table(results))  # | history | action | replies/s | floor | ratio | ...
"""

from __future__ import annotations

import sys

from .compare import targets

HEADER = (
    "| history | action | burst replies/s | floor/s | ratio | burst p50 / p99 ms "
    "| paced rate/s | paced p50 / p99 ms | lost | dup | server CPU ms/reply | peak RSS MB "
    "| other load |"
)


MEDIANS = (
    "| history | action | burst replies/s | x Kannel | x Kannel spool | x Jasmin 4 binds "
    "| x floor | x relay floor "
    "| x spawn floor "
    "| paced rate/s | paced p50 / p99 ms (p99/p50) | server CPU ms/reply | lost / dup "
    "| other load |"
)
PEER_SPLIT = (
    "| history | peer | Jasmin's daemons | RabbitMQ | Redis | answer app "
    "| total (CPU ms per reply, burst) |"
)
SPLIT = (
    "| history | action | receive | (of which the callback view) | handle | send | spawn "
    "| total (server CPU ms per reply, burst and paced) |"
)


def progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def row(run: dict) -> str:
    burst, paced = run["burst"], run["paced"]
    ratio = burst["replies_per_second"] / run["floor"] if run["floor"] else 0.0
    lost = burst["lost"] + paced["lost"]
    duplicated = burst["duplicated"] + paced["duplicated"]
    cells = [
        f"{run['history']:,}",
        run["action"],
        f"{burst['replies_per_second']:,.0f}",
        f"{run['floor']:,.0f}",
        f"{ratio:.2f}",
        f"{burst['p50_ms']:.1f} / {burst['p99_ms']:.1f}",
        f"{paced['rate']:,.0f}",
        f"{paced['p50_ms']:.1f} / {paced['p99_ms']:.1f}",
        str(lost),
        str(duplicated),
        f"{burst['server_cpu_ms_per_reply']:.2f}",
        f"{burst['server_peak_rss_mb']:.0f}",
        f"{burst['other_processes_cpu_share']:.0%}",
    ]
    return "| " + " | ".join(cells) + " |"


def _database(machine: dict) -> str:
    if machine.get("database") == "postgresql":
        return f"PostgreSQL {machine['postgresql']} (private server, synchronous_commit=off, TCP)"
    return "SQLite file (WAL, synchronous=NORMAL)"


def table_head(machine: dict) -> str:
    return (
        f"Machine: {machine['nproc']} CPU ({machine['cpu']}), Python {machine['python']}, "
        f"SQLite {machine['sqlite']}, Linux {machine['kernel']}\nDatabase: {_database(machine)}"
    )


def table(results: dict) -> str:
    machine = results["machine"]
    floors = results["floors"]
    lines = [
        table_head(machine),
        "",
        "Floors:",
        f"- empty WSGI app under gunicorn: {floors['app']['requests_per_second']:,} req/s "
        f"(paced p50/p99 {floors['app']['paced_p50_ms']} / {floors['app']['paced_p99_ms']} ms, "
        f"{floors['app']['server_cpu_ms_per_request']} ms CPU/req)",
        *(
            [
                f"- relay app (callback in, one answer to the sink over http.client, nothing "
                f"stored): {floors['relay']['requests_per_second']:,} req/s (paced p50/p99 "
                f"{floors['relay']['paced_p50_ms']} / {floors['relay']['paced_p99_ms']} ms, "
                f"{floors['relay']['server_cpu_ms_per_request']} ms CPU/req, "
                f"{floors['relay']['answers_per_request']} answers/req)"
            ]
            if "relay" in floors
            else []
        ),
        f"- load generator -> sink: {floors['wire']['requests_per_second']:,} req/s "
        f"({floors['wire']['generator_us_per_request']} us + "
        f"{floors['wire']['sink_us_per_request']} us CPU/req)",
    ]
    for name in ("cgi-sh", "cgi-py"):
        if name in floors:
            lines.append(
                f"- spawning the {name} script: {floors[name]['sequential']:,}/s one at a time, "
                f"{floors[name]['parallel']:,}/s eight at a time"
            )
    lines += ["", "Every run (rounds interleaved: the peers, then smsreply's actions):", ""]
    lines += [HEADER, _rule(HEADER)]
    lines += [row(run) for run in results["runs"]]
    lines += ["", "Medians of the rounds; ratios to the peers taken within each round:", ""]
    lines += [MEDIANS, _rule(MEDIANS)]
    lines += [median_row(found) for found in results["medians"]]
    if any("cpu_split" in found for found in results["medians"]):
        lines += ["", SPLIT, _rule(SPLIT)]
        lines += [split_row(found) for found in results["medians"] if "cpu_split" in found]
    peers = [found for found in results["medians"] if "peer_cpu" in found]
    if peers:
        lines += ["", PEER_SPLIT, _rule(PEER_SPLIT)]
        lines += [peer_split_row(found) for found in peers]
    lines += ["", "| target | measured | met? |", "|---|---|---|"]
    lines += [
        f"| {name} | {measured} | {'yes' if met else 'no'} |"
        for name, measured, met in targets(results["medians"])
    ]
    if "plans" in results:
        lines += ["", "Query plans with the history (EXPLAIN QUERY PLAN):"]
        lines += [f"- {name}: {'; '.join(plan)}" for name, plan in results["plans"].items()]
        lines.append(f"Full table scans: {', '.join(results['full_scans']) or 'none'}")
    return "\n".join(lines)


def _ratio(value: float | None) -> str:
    return "" if value is None else f"{value:.2f}"


def median_row(found: dict) -> str:
    cells = [
        f"{found['history']:,}",
        found["action"],
        f"{found['burst_rps']:,.0f}",
        _ratio(found["vs_kannel"]),
        _ratio(found["vs_kannel_spool"]),
        _ratio(found.get("vs_jasmin")),
        _ratio(found["vs_floor"]),
        _ratio(found.get("vs_relay")),
        _ratio(found.get("vs_spawn_floor")),
        f"{found['paced_rate']:,.0f}",
        f"{found['paced_p50_ms']:.1f} / {found['paced_p99_ms']:.1f} ({found['tail']:.1f} x)",
        f"{found['cpu_ms']:.2f}",
        f"{found['lost']} / {found['duplicated']}",
        f"{found['other_load']:.0%}",
    ]
    return "| " + " | ".join(cells) + " |"


def split_row(found: dict) -> str:
    split = found["cpu_split"]
    cells = [f"{found['history']:,}", found["action"]]
    parts = ("receive", "callback", "handle", "send", "spawn", "total")
    cells += [f"{split[part]:.2f}" for part in parts]
    return "| " + " | ".join(cells) + " |"


def peer_split_row(found: dict) -> str:
    split = found["peer_cpu"]
    parts = ("jasmin", "rabbitmq", "redis", "answer app")
    cells = [f"{found['history']:,}", found["action"]]
    cells += [f"{split.get(part, 0.0):.2f}" for part in parts]
    cells.append(f"{sum(split.values()):.2f}")
    return "| " + " | ".join(cells) + " |"


def _rule(header: str) -> str:
    return "|" + "|".join("---" for _ in range(header.count("|") - 1)) + "|"
