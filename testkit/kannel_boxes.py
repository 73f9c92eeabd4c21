"""Kannel's two boxes as processes: bearerbox, then smsbox, on free loopback ports.

A subclass writes the configuration (``config()``, with ``self.ports`` and ``self.dir``);
``start`` writes it to ``kannel.conf``, starts bearerbox, starts smsbox once bearerbox
listens for it (before, smsbox gives up), and waits until bearerbox's status page shows
smsbox connected and the SMSC online. Each box runs in its own process group, stopped as
one (smsbox first). Used by the bench's peer (``bench/kannel.py``) and the tests' gateway
(``tests/support/kannel/gateway.py``).

Example::

    class Boxes(KannelBoxes):
        admin_password = "secret"
        def config(self) -> str: ...

    with Boxes(tmp_path / "kannel") as kannel:
        kannel.ports["sendsms"]
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
from urllib.parse import quote

from .ports import free_port


def find_program(name: str) -> str | None:
    """``name`` on PATH, or in /usr/sbin, where Debian installs the boxes."""
    return shutil.which(name, path=os.pathsep.join([os.environ.get("PATH", ""), "/usr/sbin"]))


def installed() -> bool:
    return find_program("bearerbox") is not None and find_program("smsbox") is not None


def _listening(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


class KannelBoxes:
    admin_password = "kannel-admin"
    smsc_label = ""  # e.g. "operator[operator]": the SMSC that must be online, when named

    def __init__(self, directory: Path) -> None:
        self.dir = Path(directory)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.ports = {name: free_port() for name in ("admin", "smsbox", "sendsms", "smsc")}
        self.processes: list[subprocess.Popen] = []

    def config(self) -> str:
        raise NotImplementedError

    def start(self, timeout: float = 20.0):
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
        with (self.dir / f"{box}.out").open("ab") as output:
            self.processes.append(
                subprocess.Popen(
                    [find_program(box) or box, str(conf)],
                    cwd=self.dir,
                    stdout=output,
                    stderr=output,
                    start_new_session=True,  # its own process group, stopped as one
                )
            )

    def _ready(self) -> bool:
        """bearerbox reports smsbox connected and the SMSC online."""
        try:
            connection = http.client.HTTPConnection("127.0.0.1", self.ports["admin"], timeout=1)
            connection.request("GET", f"/status.txt?password={quote(self.admin_password)}")
            status = connection.getresponse().read().decode(errors="replace")
            connection.close()
        except OSError:
            return False
        boxes = status.partition("Box connections:")[2].partition("SMSC connections:")
        smscs = boxes[2]
        return "smsbox:" in boxes[0] and self.smsc_label in smscs and "online" in smscs

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

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()
