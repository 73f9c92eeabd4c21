"""A gateway's ``/send`` that keeps connections open (HTTP/1.1), over TCP or TLS, and closes
them under its client on demand — what a real gateway's idle timeout or restart does.

Every request is answered ``Success "<n>"`` (Jasmin's shape; gzipped when asked) unless it
is dropped:
``drop_next(count)`` closes the connection of the next ``count`` requests after reading
them, without a word of answer; ``close_idle()`` closes every connection waiting for a
request. ``connections`` counts the connections accepted, ``requests`` the requests read
(dropped ones too), ``accepted`` the form fields of those answered.

Example::

    with KeptAliveGateway() as gateway:
        gateway.drop_next(); gateway.url; gateway.connections
"""

from __future__ import annotations

import contextlib
import gzip
import socket
import ssl
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl

from tests.support.httpapp import ServedInThread


class KeptAliveGateway(ServedInThread):
    def __init__(self, tls: ssl.SSLContext | None = None) -> None:
        self.connections = 0
        self.requests = 0
        self.accepted: list[dict[str, str]] = []
        self._drops = 0
        self._idle: set[socket.socket] = set()
        self._lock = threading.Lock()
        owner = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive unless a side says close

            def setup(self) -> None:
                super().setup()
                with owner._lock:
                    owner.connections += 1

            def handle_one_request(self) -> None:
                with owner._lock:
                    owner._idle.add(self.connection)
                super().handle_one_request()
                with owner._lock:
                    owner._idle.discard(self.connection)

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with owner._lock:
                    owner._idle.discard(self.connection)
                    owner.requests += 1
                    dropped = owner._drops > 0
                    owner._drops -= dropped
                    if not dropped:
                        owner.accepted.append(dict(parse_qsl(body.decode())))
                        number = len(owner.accepted)
                if dropped:
                    self.close_connection = True
                    return
                answer = f'Success "gw-{number}"'.encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/plain")
                if "gzip" in self.headers.get("Accept-Encoding", ""):
                    answer = gzip.compress(answer)
                    self.send_header("Content-Encoding", "gzip")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args) -> None:
                pass

        self.serve(ThreadingHTTPServer(("127.0.0.1", 0), Handler))
        self.server.daemon_threads = True
        if tls is not None:
            self.server.socket = tls.wrap_socket(self.server.socket, server_side=True)
        scheme = "https" if tls is not None else "http"
        self.url = f"{scheme}://127.0.0.1:{self.server.server_port}/send"

    @property
    def idle(self) -> int:
        with self._lock:
            return len(self._idle)

    def drop_next(self, count: int = 1) -> None:
        with self._lock:
            self._drops = count

    def close_idle(self, wait_for: int = 0) -> None:
        """Close the connections waiting for a request (once ``wait_for`` of them wait)."""
        deadline = time.monotonic() + 10
        while self.idle < wait_for and time.monotonic() < deadline:
            time.sleep(0.01)
        with self._lock:
            idle, self._idle = list(self._idle), set()
        for sock in idle:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

    def stop_serving(self) -> None:
        self.close_idle()
        super().stop_serving()
