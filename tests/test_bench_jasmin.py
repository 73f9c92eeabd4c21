"""The bench's Python peer (issue 23): a real Jasmin (its four daemons, RabbitMQ, Redis) set
up through jCli, fed by the SMSC stand-in, answering through its app and ``/send`` — counts
only, never timings — and the ratios to it taken within each round. The real run skips when
Jasmin or RabbitMQ is not installed (``python -m bench --peers jasmin`` installs them; CI
does not need them).
"""

from __future__ import annotations

import os

import pytest

from bench.compare import medians, targets
from bench.jasmin import JasminPeer
from bench.jasmin_boxes import installed
from bench.kannel import phone_targets
from bench.run import post_replies
from testkit.sink import SinkProcess
from tests.conftest import ON_POSTGRES
from tests.test_bench_kannel import _run

pytestmark = pytest.mark.skipif(
    ON_POSTGRES, reason="about Jasmin and the bench's arithmetic only (no smsreply database)"
)


@pytest.mark.skipif(
    not installed(), reason="Jasmin/RabbitMQ/Redis not installed (python -m bench --peers jasmin)"
)
def test_jasmin_answers_every_reply_through_smpp_and_its_app(tmp_path):
    # One bind, then four, on one sink as in a bench round: the second SMSC's message ids
    # must not look like resends of the first's.
    with SinkProcess() as sink:
        for binds, first in ((1, 0), (4, 100)):
            targets_ = phone_targets(40, first)
            with JasminPeer(tmp_path, sink.url, binds) as jasmin:
                phase = post_replies(
                    jasmin, sink, targets_, f"j{binds}", concurrency=8, idle=10,
                    requests=jasmin.replies(targets_),
                )  # fmt: skip
                smsc, app, parts = jasmin.smsc.stats(), jasmin._app_stats(), jasmin.usage_by_part()
                processes = [p.pid for p in [jasmin.app, *jasmin.boxes.processes.values()]]
            assert phase["acknowledged"] == phase["answered"] == 40, jasmin.boxes.logs()
            assert phase["lost"] == phase["duplicated"] == 0
            assert smsc["binds"] == binds and smsc["submitted"] == smsc["forwarded"] == 41
            assert app["received"] == 41 and app["refused"] == app["failed"] == 0  # + the probe
            assert set(parts) == {"jasmin", "rabbitmq", "redis", "answer app"}
            assert parts["jasmin"].cpu_seconds > 0 and parts["rabbitmq"].cpu_seconds > 0
            for pid in processes:  # everything it started is stopped
                with pytest.raises(ProcessLookupError):
                    os.kill(pid, 0)
        assert sink.stats()["resent"] == 0


def test_ratios_to_jasmin_four_binds_within_each_round():
    runs = [
        _run("jasmin 1 bind", 0, 100.0, peer=True),
        _run("jasmin 4 binds", 0, 200.0, peer=True),
        _run("text", 0, 500.0, floor=1000.0),  # 2.5 x in round 0
        _run("url", 0, 300.0, floor=1000.0),  # 1.5 x
        _run("jasmin 4 binds", 1, 400.0, peer=True),
        _run("text", 1, 600.0, floor=1000.0),  # 1.5 x in round 1
        _run("url", 1, 800.0, floor=1000.0),  # 2.0 x
        _run("jasmin 4 binds", 2, 250.0, peer=True),
        _run("text", 2, 550.0, floor=1000.0),  # 2.2 x in round 2
        _run("url", 2, 450.0, floor=1000.0),  # 1.8 x
    ]
    rows = {row["action"]: row for row in medians(runs, {})}
    assert rows["text"]["vs_jasmin"] == 2.2 and rows["url"]["vs_jasmin"] == 1.8
    assert rows["jasmin 4 binds"]["vs_jasmin"] is None  # a peer is not compared with itself
    verdicts = {name: met for name, _, met in targets(list(rows.values()))}
    assert verdicts["text >= 2.0 x jasmin 4 binds"] is True
    assert verdicts["url >= 1.6 x jasmin 4 binds"] is True
    assert verdicts["Jasmin: 0 lost, 0 doubled"] is True
