"""smsreply under gunicorn exactly as ``make run`` starts it, plus what the bench measures.

``Gunicorn`` runs ``gunicorn -c config/gunicorn.conf.py <app>`` from the repository root (or a copy)
with ``SMSREPLY_CONFIG=config/smsreply.toml`` (as the Makefile exports it) and settings
given as ``SMSREPLY_*`` variables, on an ephemeral loopback port, in its own process group
(so a fault run can ``kill -9`` the master or the workers). ``usage()`` sums the CPU time
(with reaped children: CGI scripts) and the peak RSS of the master and its workers from
``/proc``; ``usage(pid)`` does the same for any process.

Example::

    server = Gunicorn(tmp, {"database.path": str(tmp / "sms.db")}).init().start()
    before = server.usage()
    ...
    server.stop()
"""

from __future__ import annotations

import http.client
import json
import os
import re
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TICK = os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class Usage:
    cpu_seconds: float  # the processes' own and their reaped children's
    peak_rss_mb: float  # sum of each process's peak (VmHWM)
    children_seconds: float = 0.0  # of which reaped children's (CGI scripts)

    def __sub__(self, other: Usage) -> Usage:
        return Usage(
            self.cpu_seconds - other.cpu_seconds,
            self.peak_rss_mb,
            self.children_seconds - other.children_seconds,
        )


def process_usage(pids: list[int]) -> Usage:
    cpu, rss, reaped = 0.0, 0.0, 0.0
    for pid in pids:
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:  # gone (a killed worker)
            continue
        fields = stat.rsplit(")", 1)[1].split()
        cpu += sum(int(value) for value in fields[11:15]) / TICK  # utime stime cutime cstime
        reaped += sum(int(value) for value in fields[13:15]) / TICK
        found = re.search(r"VmHWM:\s+(\d+) kB", status)
        rss += int(found.group(1)) / 1024 if found else 0
    return Usage(cpu, rss, reaped)


def machine_busy_seconds() -> float:
    """CPU seconds every process on the machine has used since boot (``/proc/stat``)."""
    fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]
    user, nice, system, _idle, _iowait, irq, softirq, steal = (int(v) for v in fields[:8])
    return (user + nice + system + irq + softirq + steal) / TICK


def children(pid: int) -> list[int]:
    try:
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


class Gunicorn:
    def __init__(
        self,
        workdir: Path,
        settings: dict[str, object],
        app: str = "app:app",
        project: Path = ROOT,
    ) -> None:
        self.workdir = Path(workdir)
        self.app = app
        self.project = Path(project)  # the folder it runs in: app.py, config/, cgi-bin/…
        self.env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "SMSREPLY_CONFIG": "config/smsreply.toml",
            "SMSREPLY_SERVER_BIND": "127.0.0.1:0",
            # Its port is chosen at start, so server.base_url is not this server: simulated
            # delivery reports would go to 127.0.0.1:8080. Off unless a caller sets it.
            "SMSREPLY_SIMULATOR_DLR_DELAY": "0",
            # Each server's metrics folder is its own: gunicorn empties it at start, and two
            # servers sharing the project's var/metrics would delete each other's files.
            "SMSREPLY_METRICS_DIRECTORY": str(self.workdir / "metrics"),
        }
        for name, value in settings.items():
            self.env["SMSREPLY_" + name.upper().replace(".", "_")] = str(value)
        self.log = self.workdir / "gunicorn.log"
        self.process: subprocess.Popen | None = None
        self.port = 0
        self.api_key = ""
        self.callback_path = ""

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def run_init(self) -> dict[str, str]:
        """The real ``smsreply init`` on this server's database; what it printed, by label."""
        result = subprocess.run(
            [sys.executable, "-m", "smsreply.cli", "init"],
            cwd=self.project,
            env=self.env,
            capture_output=True,
            text=True,
            check=True,
        )
        lines = (line.split(":", 1) for line in result.stdout.splitlines() if ":" in line)
        return {label.strip(): value.strip() for label, value in lines}

    def init(self) -> Gunicorn:
        """``smsreply init``; keeps the API key and the OVH-shaped callback path."""
        printed = self.run_init()
        self.api_key = printed["API key"]
        # Replies are posted the way OVH does, whatever provider sends the answers.
        self.callback_path = "/callbacks/ovh/" + printed["Callback URL"].rsplit("/", 1)[1]
        return self

    def start(self, timeout: float = 30.0) -> Gunicorn:
        offset = self.log.stat().st_size if self.log.exists() else 0
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "gunicorn", "-c", "config/gunicorn.conf.py", self.app],
                cwd=self.project,
                env=self.env,
                stdout=log,
                stderr=log,
                start_new_session=True,
            )
        deadline = time.monotonic() + timeout
        workers = int(self.env.get("SMSREPLY_SERVER_WORKERS", 2))
        while time.monotonic() < deadline:
            text = self.log.read_bytes()[offset:].decode(errors="replace")
            found = re.findall(r"Listening at: http://127\.0\.0\.1:(\d+)", text)
            booted = text.count("Booting worker")
            if found and booted >= workers and self._healthy(int(found[-1])):
                self.port = int(found[-1])
                return self
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited:\n{text[-3000:]}")
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"gunicorn did not start:\n{self.log.read_text()[-3000:]}")

    def put_options(self, spec: dict) -> None:
        """Save the reply options through the API, as a customer does."""
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        headers = {"Authorization": f"Bearer {self.api_key}", "Content-Type": "application/json"}
        connection.request("PUT", "/api/reply-options", json.dumps(spec), headers)
        answer = connection.getresponse()
        if answer.status != 200:
            raise RuntimeError(f"reply options refused: {answer.status} {answer.read()[:300]!r}")
        connection.close()

    def _healthy(self, port: int) -> bool:
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            connection.request("GET", "/api/health")
            ok = connection.getresponse().status == 200
            connection.close()
            return ok
        except OSError:
            return False

    def workers(self) -> list[int]:
        return children(self.process.pid) if self.process else []

    def pids(self) -> list[int]:
        return [self.process.pid, *self.workers()] if self.process else []

    def usage(self) -> Usage:
        return process_usage(self.pids())

    def kill9_workers(self) -> list[int]:
        """SIGKILL every worker; the master starts new ones."""
        killed = self.workers()
        for pid in killed:
            os.kill(pid, signal.SIGKILL)
        return killed

    def kill9(self) -> None:
        """SIGKILL the master and its workers at once, as a crash of the machine's service."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()

    def __enter__(self) -> Gunicorn:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
