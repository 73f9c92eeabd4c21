"""Real nginx for end-to-end tests, configured from the shipped ``deploy/nginx.conf``.

``Nginx(tmp_path, upstream_port).start()`` wraps the shipped site file in a minimal
``nginx.conf`` (``daemon off``, pid, logs and temp folders in ``tmp_path``) and changes
only what a test must: loopback ports instead of 80/443, the upstream's port, and a
self-signed certificate made with ``openssl`` instead of Let's Encrypt's. Every other line
(timeouts, sizes, buffering, forwarded headers, TLS) is the operator's, so a change to
the shipped file is a change to what the test proves.

Example::

    with Nginx(tmp_path, gunicorn.port) as proxy:
        ...  # https://127.0.0.1:{proxy.https_port}, verified with proxy.client_context()
"""

from __future__ import annotations

import os
import shutil
import socket
import ssl
import subprocess
import time
from pathlib import Path

from testkit.ports import free_port

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = ROOT / "deploy" / "nginx.conf"
CERT = "/etc/letsencrypt/live/sms.example.org/fullchain.pem"
KEY = "/etc/letsencrypt/live/sms.example.org/privkey.pem"


def nginx_binary() -> str | None:
    return shutil.which("nginx") or next(
        (path for path in ("/usr/sbin/nginx",) if os.access(path, os.X_OK)), None
    )


class Nginx:
    def __init__(self, tmp_path: Path, upstream_port: int) -> None:
        self.dir = Path(tmp_path) / "nginx"
        self.upstream_port = upstream_port
        self.http_port = free_port()
        self.https_port = free_port()
        self.access_log = self.dir / "access.log"
        self.process: subprocess.Popen | None = None

    def site(self) -> str:
        """The shipped site file with ports and certificate paths made local."""
        text = SHIPPED.read_text()
        changes = [
            ("server 127.0.0.1:8080;", f"server 127.0.0.1:{self.upstream_port};"),
            ("listen 80;", f"listen 127.0.0.1:{self.http_port};"),
            ("listen 443 ssl;", f"listen 127.0.0.1:{self.https_port} ssl;"),
            ("listen [::]:80;", ""),
            ("listen [::]:443 ssl;", ""),
            (CERT, str(self.dir / "cert.pem")),
            (KEY, str(self.dir / "key.pem")),
            ("root /var/www/letsencrypt;", f"root {self.dir / 'acme'};"),
            ("/var/log/nginx/smsreply.access.log", str(self.access_log)),
        ]
        for old, new in changes:
            if text.count(old) != 1:
                raise AssertionError(f"deploy/nginx.conf no longer has {old!r} once")
            text = text.replace(old, new)
        return text

    def config(self) -> str:
        temp = "\n".join(
            f"    {kind}_temp_path {self.dir / kind};"
            for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
        )
        # As root, nginx would run its workers as nobody, who cannot enter tmp_path.
        user = "user root root;\n" if os.geteuid() == 0 else ""
        return (
            f"daemon off;\n{user}worker_processes 2;\npid {self.dir / 'nginx.pid'};\n"
            f"error_log {self.dir / 'error.log'} warn;\n"
            "events { worker_connections 2048; }\n"
            f"http {{\n    access_log off;\n{temp}\n{self.site()}\n}}\n"
        )

    def make_certificate(self) -> None:
        subprocess.run(
            [
                "openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2", "-subj",
                "/CN=sms.example.org", "-addext", "subjectAltName=DNS:sms.example.org",
                "-keyout", str(self.dir / "key.pem"), "-out", str(self.dir / "cert.pem"),
            ],
            check=True,
            capture_output=True,
        )  # fmt: skip

    def client_context(self) -> ssl.SSLContext:
        """TLS as a provider's client does it, trusting only this test's certificate."""
        context = ssl.create_default_context(cafile=str(self.dir / "cert.pem"))
        context.check_hostname = False  # we dial 127.0.0.1, the certificate names the site
        return context

    def start(self, timeout: float = 15.0) -> Nginx:
        (self.dir / "acme").mkdir(parents=True, exist_ok=True)
        self.make_certificate()
        conf = self.dir / "nginx.conf"
        conf.write_text(self.config())
        self.process = subprocess.Popen(
            [nginx_binary(), "-p", str(self.dir), "-e", str(self.dir / "error.log"),
             "-c", str(conf)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )  # fmt: skip
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"nginx exited: {self.process.stderr.read().decode()}")
            try:
                socket.create_connection(("127.0.0.1", self.https_port), timeout=1).close()
                return self
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError("nginx did not start listening")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()  # SIGTERM: fast shutdown of the master and workers
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, 9)
                self.process.wait()

    def __enter__(self) -> Nginx:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
