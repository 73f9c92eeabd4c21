"""Real Prometheus for end-to-end tests, configured from the shipped
``deploy/prometheus/prometheus.yml``: its targets, token file, rule file path and intervals
made local (every change must find its text once, as ``tests/support/nginx.py`` does), its data in
``tmp_path``, on a free loopback port. ``query()`` asks its HTTP API.

Example::

    with Prometheus(tmp_path, ["127.0.0.1:8081", "127.0.0.1:8082"], token) as prometheus:
        prometheus.query('count(up{job="smsreply"} == 1)')  # [{"metric": {}, "value": …}]
"""

from __future__ import annotations

import shutil
import subprocess
import time
from pathlib import Path

import requests

from testkit.ports import free_port
from tests.support.servers import ROOT

SHIPPED = ROOT / "deploy" / "prometheus"


def prometheus_binary() -> str | None:
    return shutil.which("prometheus")


class Prometheus:
    def __init__(self, tmp_path: Path, targets: list[str], token: str) -> None:
        self.dir = Path(tmp_path) / "prometheus"
        self.targets = targets
        self.token = token
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen | None = None

    def config(self) -> str:
        text = (SHIPPED / "prometheus.yml").read_text()
        token_file = self.dir / "token"
        token_file.write_text(self.token)
        token_file.chmod(0o600)
        listed = "\n".join(f"          - {target}" for target in self.targets)
        changes = [
            ("scrape_interval: 15s", "scrape_interval: 1s"),
            ("evaluation_interval: 15s", "evaluation_interval: 1s"),
            ("  - alerts.yml", f"  - {SHIPPED / 'alerts.yml'}"),
            ("scheme: https ", "scheme: http "),  # straight to gunicorn, no nginx here
            (
                "credentials_file: /etc/prometheus/smsreply-metrics-token",
                f"credentials_file: {token_file}",
            ),
            (
                "          - sms-host-1.example.org:443\n          - sms-host-2.example.org:443",
                listed,
            ),
        ]
        for old, new in changes:
            if text.count(old) != 1:
                raise AssertionError(f"prometheus.yml no longer has {old!r} once")
            text = text.replace(old, new)
        return text

    def start(self, timeout: float = 30.0) -> Prometheus:
        self.dir.mkdir(parents=True, exist_ok=True)
        config = self.dir / "prometheus.yml"
        config.write_text(self.config())
        log = (self.dir / "prometheus.log").open("wb")
        self.process = subprocess.Popen(
            [prometheus_binary(), f"--config.file={config}",
             f"--storage.tsdb.path={self.dir / 'data'}",
             f"--web.listen-address=127.0.0.1:{self.port}"],
            stdout=log,
            stderr=log,
            start_new_session=True,
        )  # fmt: skip
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError((self.dir / "prometheus.log").read_text()[-3000:])
            try:
                if requests.get(self.url + "/-/ready", timeout=1).status_code == 200:
                    return self
            except requests.ConnectionError:
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError("prometheus did not become ready")

    def api(self, path: str, **params: str) -> object:
        answer = requests.get(f"{self.url}/api/v1/{path}", params=params, timeout=10).json()
        assert answer["status"] == "success", answer
        return answer["data"]

    def query(self, expr: str) -> list[dict]:
        return self.api("query", query=expr)["result"]

    def value(self, expr: str) -> float | None:
        """The single value of ``expr`` now, None when it has no series."""
        result = self.query(expr)
        return float(result[0]["value"][1]) if result else None

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def __enter__(self) -> Prometheus:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
