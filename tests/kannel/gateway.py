"""A real Kannel for end-to-end tests: bearerbox + smsbox on free loopback ports in tmp_path.

The ``kannel.conf`` is the one ``docs/providers-kannel.md`` tells operators to paste (core,
smsbox with ``mo-recode``, a sendsms-user, a catch-all sms-service that forwards to
smsreply and answers nothing itself), plus a *generic HTTP SMSC* standing in for the
operator: Kannel sends MT to ``operator_url`` and takes MO and DLRs on ``smsc_url``.
Each box runs in its own process group and is stopped with it.

Example::

    with KannelGateway(tmp_path, get_url=callback + "?id=%I&…", operator_url=fake.url) as kannel:
        kannel.sendsms_url, kannel.smsc_url
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

import requests

USERNAME, PASSWORD, ADMIN_PASSWORD = "smsreply", "kannel-test-password", "kannel-admin"
# The service's get-url after smsreply's callback URL (docs/providers-kannel.md).
GET_URL_QUERY = "?id=%I&from=%p&to=%P&text=%b&time=%T&smsc=%i&coding=%c&charset=%C"


def find_program(name: str) -> str | None:
    """``name`` on PATH, or in the sbin folders Debian installs Kannel into."""
    return shutil.which(name, path=os.pathsep.join([os.environ.get("PATH", ""), "/usr/sbin"]))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _listening(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


class KannelGateway:
    def __init__(self, tmp_path: Path, *, get_url: str, operator_url: str) -> None:
        self.dir = tmp_path / "kannel"
        self.dir.mkdir(exist_ok=True)
        self.ports = {name: free_port() for name in ("admin", "smsbox", "sendsms", "smsc")}
        self.get_url, self.operator_url = get_url, operator_url
        self.sendsms_url = f"http://127.0.0.1:{self.ports['sendsms']}/cgi-bin/sendsms"
        self.smsc_url = f"http://127.0.0.1:{self.ports['smsc']}/"
        self.processes: list[subprocess.Popen] = []

    def config(self) -> str:
        ports, logs = self.ports, self.dir
        return f"""\
group = core
admin-port = {ports["admin"]}
admin-interface = 127.0.0.1
admin-password = {ADMIN_PASSWORD}
admin-allow-ip = 127.0.0.1
smsbox-port = {ports["smsbox"]}
smsbox-interface = 127.0.0.1
box-allow-ip = 127.0.0.1
dlr-storage = internal
log-file = "{logs}/bearerbox.log"
log-level = 0

group = smsc
smsc = http
smsc-id = operator
system-type = generic
port = {ports["smsc"]}
connect-allow-ip = 127.0.0.1
send-url = "{self.operator_url}?from=%P&to=%p&text=%b&coding=%c&dlr-mask=%d"
status-success-regex = "^OK"
generic-foreign-id-regex = "^OK ([0-9a-zA-Z-]+)"

group = smsbox
bearerbox-host = 127.0.0.1
bearerbox-port = {ports["smsbox"]}
sendsms-port = {ports["sendsms"]}
sendsms-interface = 127.0.0.1
mo-recode = true
http-request-retry = 3
http-queue-delay = 2
log-file = "{logs}/smsbox.log"
log-level = 0

group = sendsms-user
username = {USERNAME}
password = {PASSWORD}
max-messages = 6
concatenation = true

group = sms-service
keyword = default
catch-all = yes
max-messages = 0
omit-empty = yes
get-url = "{self.get_url}"
"""

    def start(self, timeout: float = 15.0) -> KannelGateway:
        conf = self.dir / "kannel.conf"
        conf.write_text(self.config())
        self._spawn("bearerbox", conf)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if len(self.processes) == 1 and _listening(self.ports["smsbox"]):
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
        output = (self.dir / f"{box}.out").open("ab")
        self.processes.append(
            subprocess.Popen(
                [find_program(box) or box, str(conf)],
                cwd=self.dir,
                stdout=output,
                stderr=output,
                start_new_session=True,  # its own process group, stopped as one
            )
        )
        output.close()

    def _ready(self) -> bool:
        """bearerbox reports smsbox connected and the operator SMSC online."""
        try:
            status = requests.get(
                f"http://127.0.0.1:{self.ports['admin']}/status.txt",
                params={"password": ADMIN_PASSWORD},
                timeout=1,
            ).text
        except requests.RequestException:
            return False
        boxes = status.partition("Box connections:")[2].partition("SMSC connections:")
        return "smsbox:" in boxes[0] and "operator[operator]" in boxes[2] and "online" in boxes[2]

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
            self._signal(process, signal.SIGTERM)
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._signal(process, signal.SIGKILL)
                process.wait()
        self.processes.clear()

    @staticmethod
    def _signal(process: subprocess.Popen, number: int) -> None:
        if process.poll() is not None:
            return  # exited and reaped: its group id may belong to someone else by now
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, number)  # the group: the box and anything it started

    def __enter__(self) -> KannelGateway:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()
