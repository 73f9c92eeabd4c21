"""The bench's peer: a real Kannel (bearerbox + smsbox) on the bench's own config, fed by
the bench's load generator and answering to the bench's sink, so that ``make bench`` can
put smsreply's figures beside Kannel's. Counts only, never timings: the rates are the
bench's business (``docs/performance.md``).
"""

from __future__ import annotations

import argparse

import pytest

from bench.compare import medians, targets
from bench.kannel import KannelPeer, phone_targets, run_peer
from bench.run import post_replies
from testkit.kannel_boxes import installed
from testkit.sink import SinkProcess
from tests.conftest import ON_POSTGRES

needs_kannel = pytest.mark.skipif(
    not installed(), reason="Kannel is not installed; tests/system-deps.sh installs it"
)
# Kannel keeps its own store (spool) and the ratios are plain arithmetic: no smsreply
# database is involved, so these run once, in the SQLite run.
pytestmark = pytest.mark.skipif(
    ON_POSTGRES, reason="about Kannel and the bench's arithmetic only (no smsreply database)"
)


@needs_kannel
@pytest.mark.parametrize("job", ["text", "exec"])
def test_kannel_answers_every_reply_through_the_sink(tmp_path, job):
    targets_ = phone_targets(40)
    with SinkProcess() as sink, KannelPeer(tmp_path, sink.url, job, store=True) as kannel:
        phase = post_replies(
            kannel, sink, targets_, job, concurrency=8, idle=10, requests=kannel.replies(targets_)
        )
        answers = sink.records()
        spooled = list((kannel.dir / "spool").rglob("*"))
    assert phase["acknowledged"] == phase["answered"] == 40, kannel.logs()
    assert phase["lost"] == phase["duplicated"] == phase["unexpected"] == 0
    assert {tag for _, tag, _ in answers} == {target.tag for target in targets_}
    assert spooled  # store-type = spool: Kannel wrote its store (directories at least)
    assert phase["server_cpu_ms_per_reply"] > 0  # both boxes (and the scripts) are measured


@needs_kannel
def test_each_phase_of_a_run_uses_senders_of_its_own(tmp_path):
    args = argparse.Namespace(replies=20, rate=50.0, paced_seconds=0.2, concurrency=4)
    with SinkProcess() as sink:
        first = run_peer(tmp_path / "a", sink, "text", False, 0, args)
        second = run_peer(tmp_path / "b", sink, "text", True, 40, args)
        assert sink.stats()["resent"] == 0  # no sender answered twice across the phases
    assert first["action"] == "kannel text" and second["action"] == "kannel text spool"
    for run in (first, second):
        assert run["burst"]["answered"] == 20 and run["paced"]["answered"] == 10


def _run(action, round_number, rps, p50=1.0, p99=2.0, floor=0.0, peer=False):
    phase = {"replies_per_second": rps, "server_cpu_ms_per_reply": 1.0, "lost": 0}
    phase |= {"duplicated": 0, "other_processes_cpu_share": 0.0}
    paced = phase | {"rate": rps / 2, "p50_ms": p50, "p99_ms": p99}
    run = {"action": action, "history": 0, "round": round_number, "floor": floor}
    return run | {"peer": peer, "burst": phase, "paced": paced}


def test_ratios_to_kannel_are_taken_within_each_round_then_the_median():
    runs = [
        _run("kannel exec", 0, 100.0, peer=True),
        _run("cgi-sh", 0, 200.0, floor=1000.0),  # 2.0 x in round 0
        _run("kannel exec", 1, 400.0, peer=True),
        _run("cgi-sh", 1, 400.0, floor=1000.0),  # 1.0 x in round 1
        _run("kannel exec", 2, 300.0, peer=True),
        _run("cgi-sh", 2, 480.0, p99=9.0, floor=1000.0),  # 1.6 x in round 2
    ]
    floors = {"cgi-sh": {"sequential": 300.0, "parallel": 800.0}}
    row = next(row for row in medians(runs, floors) if row["action"] == "cgi-sh")
    assert row["vs_kannel"] == 1.6  # not 400 / 300 (the ratio of the medians)
    assert row["burst_rps"] == 400.0 and row["vs_floor"] == 0.4 and row["vs_spawn_floor"] == 0.5
    assert row["vs_kannel_spool"] is None  # not measured in this run
    verdicts = {name: met for name, _, met in targets(medians(runs, floors))}
    assert verdicts["cgi-sh >= 1.5 x Kannel exec"] is True
    assert verdicts["cgi-sh >= 0.6 of the parallel spawn floor"] is False
    assert verdicts["cgi-sh paced p99 <= 3 x p50 (history 0)"] is True  # median p99 2.0
