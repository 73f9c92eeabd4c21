"""Medians of the interleaved rounds, each smsreply figure as a ratio to Kannel and to its
floor, and the issue's targets checked against them.

A ratio to Kannel is taken within each round (smsreply and Kannel measured minutes apart on
the same machine, under the same outside load) and the median of those is kept: on a shared
machine absolute figures drift from round to round, ratios measured side by side much less.

Example::

    rows = medians(results["runs"], results["floors"])
    rows[0]["burst_rps"], rows[0]["vs_kannel"], rows[0]["vs_kannel_spool"], rows[0]["vs_floor"]
"""

from __future__ import annotations

import statistics
from collections import defaultdict

# The Kannel job each smsreply action is compared with.
PEER_OF = {"cgi-sh": "exec", "cgi-py": "exec", "text": "text", "handler": "text", "url": "text"}
# Jasmin has one job (its app answers); every action is compared with its best setup.
JASMIN = "jasmin 4 binds"
# The targets against it (issue 23): smsreply's throughput as a multiple of Jasmin's.
JASMIN_TARGETS = {"text": 2.0, "handler": 2.0, "url": 1.6, "cgi-sh": 1.2}


def _median(values: list[float]) -> float:
    values = [value for value in values if value == value]  # drop nan (no latency measured)
    return round(statistics.median(values), 3) if values else float("nan")


def medians(runs: list[dict], floors: dict) -> list[dict]:
    """One row per (history, action or Kannel job): medians over the rounds, and ratios."""
    grouped: dict[tuple[int, str], list[dict]] = defaultdict(list)
    by_round: dict[tuple[int, int, str], dict] = {}
    for run in runs:
        grouped[(run["history"], run["action"])].append(run)
        by_round[(run["history"], run.get("round", 0), run["action"])] = run
    rows = []
    for (history, action), group in grouped.items():
        burst = [run["burst"]["replies_per_second"] for run in group]
        row = {
            "history": history,
            "action": action,
            "peer": bool(group[0].get("peer")),
            "rounds": len(group),
            "burst_rps": _median(burst),
            "burst_rps_all": burst,
            "floor": group[0]["floor"],
            "vs_floor": _median([rps / run["floor"] for rps, run in zip(burst, group, strict=True)])
            if group[0]["floor"]
            else None,
            "paced_rate": _median([run["paced"]["rate"] or 0.0 for run in group]),
            "paced_p50_ms": _median([run["paced"]["p50_ms"] for run in group]),
            "paced_p99_ms": _median([run["paced"]["p99_ms"] for run in group]),
            "cpu_ms": _median([run["burst"]["server_cpu_ms_per_reply"] for run in group]),
            "lost": sum(run[phase]["lost"] for run in group for phase in ("burst", "paced")),
            "duplicated": sum(
                run[phase]["duplicated"] for run in group for phase in ("burst", "paced")
            ),
            "other_load": _median([run["burst"]["other_processes_cpu_share"] for run in group]),
        }
        if "cpu_split" in group[0]:
            row["cpu_split"] = {
                part: _median([run["cpu_split"][part] for run in group])
                for part in group[0]["cpu_split"]
            }
        row["tail"] = round(row["paced_p99_ms"] / row["paced_p50_ms"], 2)
        job = PEER_OF.get(action)
        if "peer_cpu" in group[0]:
            row["peer_cpu"] = {
                part: _median([run["peer_cpu"][part] for run in group])
                for part in group[0]["peer_cpu"]
            }
        for key, peer in (
            ("vs_kannel", f"kannel {job}"),
            ("vs_kannel_spool", f"kannel {job} spool"),
            ("vs_jasmin", JASMIN if not group[0].get("peer") else None),
        ):
            ratios = [
                run["burst"]["replies_per_second"] / other["burst"]["replies_per_second"]
                for run in group
                if (other := by_round.get((history, run.get("round", 0), peer)))
                and other["burst"]["replies_per_second"]
            ]
            row[key] = _median(ratios) if ratios else None
        job_or_peer = action.split()[1] if action.startswith("kannel ") else PEER_OF.get(action)
        if "relay" in floors and job_or_peer == "text":
            relay = floors["relay"]["requests_per_second"]  # both exchanges, nothing else
            row["vs_relay"] = round(row["burst_rps"] / relay, 3) if relay else None
        if action in floors and "parallel" in floors[action]:
            row["vs_spawn_floor"] = round(row["burst_rps"] / floors[action]["parallel"], 3)
        rows.append(row)
    return rows


def targets(rows: list[dict]) -> list[tuple[str, str, bool]]:
    """(target, measured, met) for each of the issue's targets that this run measured."""
    found = []
    fresh = {row["action"]: row for row in rows if row["history"] == 0}
    longer = {row["action"]: row for row in rows if row["history"] > 0}
    if "cgi-sh" in fresh and fresh["cgi-sh"]["vs_kannel"] is not None:
        ratio = fresh["cgi-sh"]["vs_kannel"]
        found.append(("cgi-sh >= 1.5 x Kannel exec", f"{ratio:.2f} x", ratio >= 1.5))
    if "cgi-sh" in fresh and "vs_spawn_floor" in fresh["cgi-sh"]:
        ratio = fresh["cgi-sh"]["vs_spawn_floor"]
        found.append(("cgi-sh >= 0.6 of the parallel spawn floor", f"{ratio:.2f}", ratio >= 0.6))
    for action in ("text", "handler"):
        if action not in fresh:
            continue
        ratio = fresh[action]["vs_floor"]
        found.append((f"{action} >= 0.5 of the empty-app floor", f"{ratio:.2f}", ratio >= 0.5))
        ratio = fresh[action]["vs_kannel_spool"]
        if ratio is not None:
            found.append((f"{action} >= Kannel text with spool", f"{ratio:.2f} x", ratio >= 1.0))
    for row in rows:
        if not row["peer"]:
            met = row["tail"] <= 3.0
            found.append((f"{row['action']} paced p99 <= 3 x p50 (history {row['history']:,})",
                          f"{row['tail']:.1f} x", met))  # fmt: skip
    for action, row in longer.items():
        if action in fresh and not row["peer"]:
            change = row["burst_rps"] / fresh[action]["burst_rps"] - 1
            found.append((f"{action} within 10 % with history {row['history']:,}",
                          f"{change:+.0%}", abs(change) <= 0.10))  # fmt: skip
    for action, minimum in JASMIN_TARGETS.items():
        ratio = fresh.get(action, {}).get("vs_jasmin")
        if ratio is not None:
            found.append((f"{action} >= {minimum} x {JASMIN}", f"{ratio:.2f} x", ratio >= minimum))
    lost = sum(row["lost"] + row["duplicated"] for row in rows if not row["peer"])
    found.append(("0 lost, 0 doubled", str(lost), lost == 0))
    jasmin = [row for row in rows if row["action"].startswith("jasmin")]
    if jasmin:
        lost = sum(row["lost"] + row["duplicated"] for row in jasmin)
        found.append(("Jasmin: 0 lost, 0 doubled", str(lost), lost == 0))
    return found
