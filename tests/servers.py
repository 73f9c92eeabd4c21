"""Real servers for end-to-end tests: smsreply under gunicorn on an ephemeral loopback port.

The server runs in its own process group so a test can ``kill -9`` the master and its
workers at once, as a crash would, then start it again on the same database.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent


class GunicornServer:
    def __init__(self, tmp_path: Path, **settings: object) -> None:
        self.tmp_path = tmp_path
        self.env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "SMSREPLY_DATABASE_PATH": str(tmp_path / "smsreply.db"),
            "SMSREPLY_SERVER_BIND": "127.0.0.1:0",
            "SMSREPLY_SERVER_WORKERS": "2",
            "SMSREPLY_WORKER_SWEEP_SECONDS": "0.5",
            "SMSREPLY_LOG_LEVEL": "WARNING",
        }
        for name, value in settings.items():
            self.env["SMSREPLY_" + name.upper()] = str(value)
        self.process: subprocess.Popen | None = None
        self.url = ""
        self.log = tmp_path / "gunicorn.log"

    def start(self, timeout: float = 20.0) -> GunicornServer:
        offset = self.log.stat().st_size if self.log.exists() else 0
        log = self.log.open("ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", "config/gunicorn.conf.py", "app:app"],
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=log,
            start_new_session=True,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            text = self.log.read_bytes()[offset:].decode(errors="replace")
            found = re.findall(r"Listening at: (http://127\.0\.0\.1:\d+)", text)
            if found and self._healthy(found[-1]):
                self.url = found[-1]
                return self
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited:\n{text[-3000:]}")
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"gunicorn did not start:\n{self.log.read_text()[-3000:]}")

    def init(self) -> dict[str, str]:
        """Run the real `smsreply init` on this server's database; return what it printed."""
        result = subprocess.run(
            [sys.executable, "-m", "smsreply.cli", "init"],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            check=True,
        )
        lines = dict(line.split(":", 1) for line in result.stdout.splitlines() if ":" in line)
        return {key.strip(): value.strip() for key, value in lines.items()}

    def _healthy(self, url: str) -> bool:
        try:
            return requests.get(url + "/api/health", timeout=1).ok
        except requests.RequestException:
            return False

    def kill9(self) -> None:
        """Kill the master and every worker at once, with no chance to clean up."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()

    def __enter__(self) -> GunicornServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
