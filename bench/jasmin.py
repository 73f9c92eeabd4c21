"""The Python peer measured in the same run: Jasmin's two-way loop, as Jasmin documents it.

Each reply goes operator → Jasmin → customer's app → Jasmin → operator:

1. the load generator posts the reply (MO) to the SMSC stand-in (``bench/smsc.py``), which
   delivers it over SMPP (``deliver_sm``) on one of Jasmin's ``binds`` (1 or 4 SMPP client
   connectors, transceivers), and answers 200 once Jasmin's ``deliver_sm_resp`` came back;
2. Jasmin routes it through RabbitMQ (MO route: ``DefaultRoute`` to the HTTP connector) and
   ``deliversmd`` POSTs it to the answer app (``bench/jasmin_app.py``), which answers
   ``ACK/Jasmin`` and calls Jasmin's HTTP API ``/send`` with the answer;
3. Jasmin routes the answer through RabbitMQ (MT route: ``DefaultRoute`` with one bind; a
   ``TransparentFilter`` and a ``RandomRoundrobinMTRoute`` over the binds with four) to an
   SMPP connector, which sends a ``submit_sm``; the SMSC acknowledges it and hands it to the
   bench's sink, tagged with the reply's phone number (one sender per reply).

Throttles lifted (Jasmin's defaults would cap the run, not measure it): each connector's
``submit_throughput`` 0 (the default 1 sends one answer a second), the MT route's ``rate``
0.0, the user's ``http_throughput`` left at its default (unlimited). Logs at WARNING.
Jasmin's CPU is its four daemons', RabbitMQ's (with epmd), Redis's and the answer app's; the
SMSC stand-in is the operator's, left out as the sink is.

Example::

    with JasminPeer(tmp, sink.url, binds=4) as jasmin:
        requests = jasmin.replies(targets)
        jasmin.usage(), jasmin.usage_by_part()
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlencode

from testkit.dataset import Target
from testkit.gunicorn import Usage, process_usage
from testkit.wire import request

from .jasmin_boxes import JCLI_PASSWORD, JCLI_USER, JasminBoxes
from .jcli import JCli
from .kannel import phone_targets
from .run import post_replies
from .smsc import SmscProcess

WINDOW = 10  # deliver_sm in flight a bind, as an SMSC's window
USER, PASSWORD = "bench", "benchpwd"


class JasminPeer:
    def __init__(self, workdir: Path, sink_url: str, binds: int) -> None:
        self.dir = Path(workdir) / f"jasmin-{binds}"
        self.sink_url, self.binds = sink_url, binds
        self.smsc: SmscProcess | None = None
        self.boxes: JasminBoxes | None = None
        self.app: subprocess.Popen | None = None
        self.port = self.app_port = 0

    def start(self, timeout: float = 60.0) -> JasminPeer:
        try:
            self.smsc = SmscProcess(self.sink_url, WINDOW).start()
            self.boxes = JasminBoxes(self.dir, os.environ.get("BENCH_JASMIN_LOG", "WARNING"))
            self.boxes.start()
            self.app = subprocess.Popen(
                [sys.executable, "-m", "bench.jasmin_app", str(self.boxes.ports["http"]),
                 USER, PASSWORD],
                stdout=subprocess.PIPE, text=True, start_new_session=True,
            )  # fmt: skip
            self.app_port = int(self.app.stdout.readline().split()[1])
            self.configure(f"http://127.0.0.1:{self.app_port}/mo")
            deadline = time.monotonic() + timeout
            while self.smsc.stats()["binds"] < self.binds:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"Jasmin did not bind:\n{self.boxes.logs()}")
                time.sleep(0.2)
            self._wait_for_the_loop(deadline)
        except BaseException:
            self.stop()
            raise
        self.port = self.smsc.port
        return self

    def _app_stats(self) -> dict:
        with urllib.request.urlopen(f"http://127.0.0.1:{self.app_port}/_stats") as answer:
            return json.loads(answer.read())

    def _wait_for_the_loop(self, deadline: float) -> None:
        """Until a probe reply reaches the app: ``deliversmd`` declares its queue only once
        started, and RabbitMQ drops what the router publishes before (unroutable)."""
        probe = f"http://127.0.0.1:{self.smsc.port}/?from=%2B33700000000&to=38000&text=PROBE"
        while time.monotonic() < deadline:
            urllib.request.urlopen(probe, timeout=30).read()
            for _ in range(10):
                if self._app_stats()["received"]:
                    return
                time.sleep(0.1)
        raise RuntimeError(f"no reply reached the app through Jasmin:\n{self.boxes.logs()}")

    def configure(self, app_url: str) -> None:
        """jCli, in order: the SMPP connectors, the HTTP connector, the MO and MT routes,
        the user of ``/send``, then each connector started."""
        cids = [f"smsc{number}" for number in range(1, self.binds + 1)]
        with JCli(self.boxes.ports["jcli"], JCLI_USER, JCLI_PASSWORD) as jcli:
            for cid in cids:
                jcli.block(
                    "smppccm -a", cid=cid, host="127.0.0.1", port=self.smsc.smpp_port,
                    username=cid, password="pwd", bind="transceiver", submit_throughput=0,
                    loglevel=30,
                )  # fmt: skip
            jcli.block("httpccm -a", cid="app", url=app_url, method="POST")
            jcli.block("morouter -a", type="DefaultRoute", connector="http(app)")
            if self.binds == 1:
                jcli.block("mtrouter -a", type="DefaultRoute", connector="smppc(smsc1)", rate=0.0)
            else:
                jcli.block("filter -a", type="TransparentFilter", fid="all")
                connectors = ";".join(f"smppc({cid})" for cid in cids)
                jcli.block(
                    "mtrouter -a", type="RandomRoundrobinMTRoute", order=10, filters="all",
                    connectors=connectors, rate=0.0,
                )  # fmt: skip
            jcli.block("group -a", gid="bench")
            jcli.block("user -a", username=USER, password=PASSWORD, gid="bench", uid="bench")
            for cid in cids:
                jcli.command(f"smppccm -1 {cid}")

    def replies(self, targets: list[Target], message: str = "OUI") -> list[bytes]:
        """The operator's MO, one per target, as the SMSC stand-in takes them."""
        host = f"127.0.0.1:{self.port}"
        return [
            request(
                "GET",
                "/?" + urlencode({"from": t.recipient, "to": t.shortcode, "text": message}),
                host,
            )  # fmt: skip
            for t in targets
        ]

    def usage_by_part(self) -> dict[str, Usage]:
        parts = self.boxes.usage()
        parts["answer app"] = self._app_usage()
        return parts

    def _app_usage(self) -> Usage:
        return process_usage([self.app.pid])

    def usage(self) -> Usage:
        """All of Jasmin's side: the daemons, RabbitMQ, Redis and the answer app."""
        parts = self.usage_by_part().values()
        return Usage(sum(part.cpu_seconds for part in parts), 0.0)

    def stop(self) -> None:
        if self.app is not None:
            self.app.terminate()
            self.app.wait(timeout=10)
            self.app = None
        if self.boxes is not None:
            self.boxes.stop()
        if self.smsc is not None:
            self.smsc.stop()
            self.smsc = None

    def __enter__(self) -> JasminPeer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def run_jasmin(workdir: Path, sink, binds: int, first: int, args) -> dict:
    """Jasmin with ``binds`` SMPP binds: a burst and a paced run, as ``run_peer`` does for
    Kannel; the CPU of the burst split by part (ms a reply)."""
    burst = args.replies
    targets = phone_targets(burst + args.replies + 100, first)
    with JasminPeer(workdir, sink.url, binds) as jasmin:
        warm = targets[burst + args.replies :]
        post_replies(jasmin, sink, warm, f"jasmin-{binds}-warm", 8,
                     requests=jasmin.replies(warm))  # fmt: skip
        before = jasmin.usage_by_part()
        bursted = post_replies(
            jasmin, sink, targets[:burst], f"jasmin-{binds}", args.concurrency,
            requests=jasmin.replies(targets[:burst]),
        )  # fmt: skip
        after = jasmin.usage_by_part()
        rate = min(args.rate, max(bursted["replies_per_second"] * 0.5, 1.0))
        count = max(10, min(args.replies, int(rate * args.paced_seconds)))
        paced_targets = targets[burst : burst + count]
        paced = post_replies(
            jasmin, sink, paced_targets, f"jasmin-{binds}-paced", 32, rate=rate,
            requests=jasmin.replies(paced_targets),
        )  # fmt: skip
    replies = max(bursted["acknowledged"], 1)
    split = {
        part: round((after[part] - before[part]).cpu_seconds / replies * 1000, 3) for part in after
    }
    name = f"jasmin {binds} bind" + ("s" if binds > 1 else "")
    return {"action": name, "peer": True, "floor": 0.0, "burst": bursted, "paced": paced,
            "peer_cpu": split}  # fmt: skip
