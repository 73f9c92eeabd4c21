"""The peer measured in the same run: Kannel (bearerbox + smsbox) doing smsreply's jobs.

Kannel gets the bench's own configuration, written here (nothing copied from a Kannel
install): a generic HTTP SMSC that takes each reply (MO) from the load generator on its
``port`` and hands each answer (MT) to the sink's ``/send`` — the same generator, the same
sink, the same pairing fields (``tag``, ``id``: the phone number, one per reply) — and one
catch-all ``sms-service`` that answers either with a fixed ``text`` or by ``exec`` of the
bench's sh script (Kannel runs it through ``popen``, one at a time, stdout as the answer).
``store=True`` turns on Kannel's message store (``store-type = spool``): every MO and MT is
written to a spool directory before it is acknowledged, as smsreply commits before its 200.
Logging is at warning level, as smsreply's is.

Example::

    with KannelPeer(tmp, sink.url, "exec", store=True) as kannel:
        requests = kannel.replies(targets)   # GET /?from=…&to=…&text=OUI
        kannel.usage()                       # CPU of both boxes and the scripts they ran
"""

from __future__ import annotations

import contextlib
import http.client
import os
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path
from urllib.parse import urlencode

from .actions import ANSWER, SCRIPTS
from .dataset import Target
from .run import post_replies
from .server import Usage, process_usage
from .wire import request

# Kannel's jobs, named like smsreply's actions they are compared with.
JOBS = {"exec": "cgi-sh", "text": "text"}


def kannel_program(name: str) -> str | None:
    """``name`` on PATH or in /usr/sbin, where Debian installs the boxes."""
    return shutil.which(name, path=os.pathsep.join([os.environ.get("PATH", ""), "/usr/sbin"]))


def installed() -> bool:
    return kannel_program("bearerbox") is not None and kannel_program("smsbox") is not None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def phone_targets(count: int, offset: int = 0) -> list[Target]:
    """One distinct sender per reply: Kannel's answer names it, so it pairs with the reply."""
    return [
        Target(index, f"+3361{offset + index:07d}", "38000", f"+3361{offset + index:07d}")
        for index in range(count)
    ]


class KannelPeer:
    def __init__(self, workdir: Path, sink_url: str, job: str, store: bool = False) -> None:
        if job not in JOBS:
            raise ValueError(f"unknown Kannel job {job!r}; known: {', '.join(JOBS)}")
        self.dir = Path(workdir) / f"kannel-{job}-{'spool' if store else 'nostore'}"
        self.dir.mkdir(parents=True, exist_ok=True)
        self.job, self.store, self.sink_url = job, store, sink_url
        self.ports = {name: _free_port() for name in ("admin", "smsbox", "sendsms", "smsc")}
        self.port = self.ports["smsc"]  # where the load generator posts the replies
        self.processes: list[subprocess.Popen] = []

    def service(self) -> str:
        if self.job == "text":
            return f'text = "{ANSWER}"'
        # popen runs it through /bin/sh; the script reads the message as smsreply gives it.
        return f'exec = "X_SMSREPLY_MESSAGE=%b {SCRIPTS["cgi-sh"]}"'

    def config(self) -> str:
        ports, logs = self.ports, self.dir
        store = f'store-type = spool\nstore-location = "{self.dir}/spool"\n' if self.store else ""
        send = f"{self.sink_url}/send?to=%p&from=%P&content=%b&tag=%p&id=%p"
        return f"""\
group = core
admin-port = {ports["admin"]}
admin-interface = 127.0.0.1
admin-password = bench
admin-allow-ip = 127.0.0.1
smsbox-port = {ports["smsbox"]}
smsbox-interface = 127.0.0.1
box-allow-ip = 127.0.0.1
log-file = "{logs}/bearerbox.log"
log-level = 2
{store}
group = smsc
smsc = http
smsc-id = sink
system-type = generic
port = {ports["smsc"]}
connect-allow-ip = 127.0.0.1
send-url = "{send}"
status-success-regex = "^Success"
generic-status-sent = 200

group = smsbox
bearerbox-host = 127.0.0.1
bearerbox-port = {ports["smsbox"]}
sendsms-port = {ports["sendsms"]}
sendsms-interface = 127.0.0.1
log-file = "{logs}/smsbox.log"
log-level = 2

group = sms-service
keyword = default
catch-all = yes
{self.service()}
"""

    def replies(self, targets: list[Target], message: str = "OUI") -> list[bytes]:
        """The operator's MO, one per target, as the generic HTTP SMSC takes them."""
        host = f"127.0.0.1:{self.port}"
        return [
            request(
                "GET",
                "/?" + urlencode({"from": t.recipient, "to": t.shortcode, "text": message}),
                host,
            )
            for t in targets
        ]

    def start(self, timeout: float = 20.0) -> KannelPeer:
        conf = self.dir / "kannel.conf"
        conf.write_text(self.config())
        (self.dir / "spool").mkdir(exist_ok=True)
        self._spawn("bearerbox", conf)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if len(self.processes) == 1 and self._listening(self.ports["smsbox"]):
                self._spawn("smsbox", conf)  # before bearerbox listens, smsbox gives up
            if len(self.processes) == 2 and self._ready():
                return self
            for process in self.processes:
                if process.poll() is not None:
                    self.stop()
                    raise RuntimeError(f"{process.args[0]} exited:\n{self.logs()}")
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"Kannel did not start:\n{self.logs()}")

    def _spawn(self, box: str, conf: Path) -> None:
        with (self.dir / f"{box}.out").open("ab") as output:
            self.processes.append(
                subprocess.Popen(
                    [kannel_program(box) or box, str(conf)],
                    cwd=self.dir,
                    stdout=output,
                    stderr=output,
                    start_new_session=True,
                )
            )

    @staticmethod
    def _listening(port: int) -> bool:
        with socket.socket() as sock:
            sock.settimeout(0.5)
            return sock.connect_ex(("127.0.0.1", port)) == 0

    def _ready(self) -> bool:
        """bearerbox reports smsbox connected and the sink's SMSC online."""
        try:
            connection = http.client.HTTPConnection("127.0.0.1", self.ports["admin"], timeout=1)
            connection.request("GET", "/status.txt?password=bench")
            status = connection.getresponse().read().decode(errors="replace")
            connection.close()
        except OSError:
            return False
        boxes = status.partition("Box connections:")[2].partition("SMSC connections:")
        return "smsbox:" in boxes[0] and "online" in boxes[2]

    def usage(self) -> Usage:
        """CPU of bearerbox and smsbox, with the scripts smsbox ran (reaped children)."""
        return process_usage([process.pid for process in self.processes])

    def logs(self, tail: int = 3000) -> str:
        parts = []
        for name in ("bearerbox.out", "smsbox.out", "bearerbox.log", "smsbox.log"):
            path = self.dir / name
            if path.exists():
                parts.append(f"--- {name}\n{path.read_text(errors='replace')[-tail:]}")
        return "\n".join(parts)

    def stop(self) -> None:
        """smsbox first, then bearerbox: TERM each group, KILL what outlives 10 s."""
        for process in reversed(self.processes):
            if process.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGTERM)
                try:
                    process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    with contextlib.suppress(ProcessLookupError):
                        os.killpg(process.pid, signal.SIGKILL)
                    process.wait()
        self.processes.clear()

    def __enter__(self) -> KannelPeer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def run_peer(workdir: Path, sink, job: str, store: bool, first: int, args) -> dict:
    """Kannel doing ``job``: a burst and a paced run, exactly as ``run_action`` does for
    smsreply; ``first`` numbers the senders so that no two phases share one."""
    burst = args.replies
    targets = phone_targets(burst + args.replies, first)
    with KannelPeer(workdir, sink.url, job, store) as kannel:
        bursted = post_replies(
            kannel, sink, targets[:burst], f"kannel-{job}", args.concurrency,
            requests=kannel.replies(targets[:burst]),
        )  # fmt: skip
        rate = min(args.rate, max(bursted["replies_per_second"] * 0.5, 1.0))
        count = max(10, min(args.replies, int(rate * args.paced_seconds)))
        paced_targets = targets[burst : burst + count]
        paced = post_replies(
            kannel, sink, paced_targets, f"kannel-{job}-paced", 32, rate=rate,
            requests=kannel.replies(paced_targets),
        )  # fmt: skip
    name = f"kannel {job}" + (" spool" if store else "")
    return {"action": name, "peer": True, "floor": 0.0, "burst": bursted, "paced": paced}
