"""One measured phase: N replies posted to smsreply, every answer awaited at the sink.

``post_replies`` posts one OVH-shaped callback per target conversation (a burst with bounded
concurrency, or paced), then waits until the sink has an answer for every acknowledged
reply (or until answers stop coming), and sums up: throughput from the first callback to
the last answer, latency from each callback to its answer, answers lost and duplicated,
and the CPU time of the server, the sink and the load generator.

Example::

    phase = post_replies(server, sink, targets, "burst-1", concurrency=64)
    phase["replies_per_second"], phase["lost"], phase["duplicated"]
"""

from __future__ import annotations

import asyncio
import os
import resource
import time
from collections import Counter, defaultdict

from testkit.dataset import Target
from testkit.gunicorn import Gunicorn, machine_busy_seconds, process_usage
from testkit.load import fire, percentile
from testkit.scenario import callbacks, wait_for_answers


def _cpu_self() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def post_replies(
    server: Gunicorn,
    sink,
    targets: list[Target],
    label: str,
    concurrency: int = 64,
    rate: float | None = None,
    idle: float = 20.0,
    limit: float = 900.0,
    requests: list[bytes] | None = None,
) -> dict:
    """Post one reply per target (OVH callbacks, or the ``requests`` given: Kannel's MO),
    wait for the answers, return the phase's figures."""
    requests = callbacks(server, targets, label) if requests is None else requests
    start = sink.stats()["accepted"]
    server_before, sink_before = server.usage(), process_usage([sink.process.pid])
    own_before, busy_before, started = _cpu_self(), machine_busy_seconds(), time.monotonic()
    shots = asyncio.run(fire("127.0.0.1", server.port, requests, concurrency, rate))
    acked = [shot for shot in shots if shot.status == 200]
    own_cpu = _cpu_self() - own_before
    wait_for_answers(sink, start, len(acked), idle, limit)
    server_after, sink_after = server.usage(), process_usage([sink.process.pid])
    busy, elapsed = machine_busy_seconds() - busy_before, time.monotonic() - started
    return summarise(
        targets,
        shots,
        sink.records(start),
        {
            "server_cpu_seconds": (server_after - server_before).cpu_seconds,
            "sink_cpu_seconds": (sink_after - sink_before).cpu_seconds,
            "generator_cpu_seconds": own_cpu,
            "server_peak_rss_mb": server_after.peak_rss_mb,
            "machine_cpu_seconds": busy,
            "elapsed_seconds": elapsed,
        },
        rate,
    )


def summarise(targets, shots, records, usage: dict, rate: float | None) -> dict:
    arrivals: dict[str, list[float]] = defaultdict(list)
    for arrived, tag, _ in records:
        arrivals[tag].append(arrived)
    acked = [shot for shot in shots if shot.status == 200]
    acked_tags = {targets[shot.index].tag for shot in acked}
    latencies = [
        arrivals[targets[shot.index].tag][0] - shot.due
        for shot in acked
        if arrivals.get(targets[shot.index].tag)
    ]
    first = min((shot.sent for shot in shots if shot.sent), default=0.0)
    last = max((times[-1] for times in arrivals.values()), default=first)
    answered = sum(1 for tag in acked_tags if arrivals.get(tag))
    count = max(len(acked), 1)
    ours = sum(usage[key] for key in ("server_cpu_seconds", "sink_cpu_seconds"))
    ours += usage["generator_cpu_seconds"]
    # CPU used by anything else on the machine meanwhile: a disturbed run shows here.
    others = max(usage.pop("machine_cpu_seconds") - ours, 0.0)
    others_share = others / (usage.pop("elapsed_seconds") * (os.cpu_count() or 1))
    return {
        "replies": len(targets),
        "rate": rate,
        "acknowledged": len(acked),
        "not_acknowledged": len(shots) - len(acked),
        "statuses": {str(code): n for code, n in Counter(shot.status for shot in shots).items()},
        "answered": answered,
        "lost": len(acked_tags) - answered,
        # Two answers for one reply: two SMS (the sink counts a resend of one SMS apart).
        "duplicated": sum(1 for tag in arrivals if len(arrivals[tag]) > 1),
        "unexpected": sum(1 for tag in arrivals if tag not in acked_tags),
        "seconds": round(last - first, 3),
        "replies_per_second": round(answered / (last - first), 1) if last > first else 0.0,
        "acks_per_second": round(len(acked) / (max(shot.answered for shot in acked) - first), 1)
        if acked
        else 0.0,
        "p50_ms": round(percentile(latencies, 0.50) * 1000, 2),
        "p99_ms": round(percentile(latencies, 0.99) * 1000, 2),
        "max_ms": round(max(latencies, default=float("nan")) * 1000, 2),
        "server_cpu_ms_per_reply": round(usage["server_cpu_seconds"] / count * 1000, 3),
        "sink_cpu_ms_per_reply": round(usage["sink_cpu_seconds"] / count * 1000, 3),
        "generator_cpu_ms_per_reply": round(usage["generator_cpu_seconds"] / count * 1000, 3),
        "other_processes_cpu_share": round(others_share, 3),
        **{key: round(value, 2) for key, value in usage.items()},
    }
