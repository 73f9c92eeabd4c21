"""A customer URL that answers slowly: the status line at once, then one body byte every
``interval`` seconds (the shape of a slow upstream that per-read timeouts never cut).

``hits`` counts the requests that reached it; ``finished`` those whose whole body was sent.
"""

from __future__ import annotations

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from tests.support.httpapp import ServedInThread


class TrickleServer(ServedInThread):
    def __init__(self, body: bytes, interval: float) -> None:
        self.body = body
        self.interval = interval
        self.hits = 0
        self.finished = 0
        self._lock = threading.Lock()
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with owner._lock:
                    owner.hits += 1
                self.send_response(200)
                self.send_header("Content-Type", "text/plain; charset=utf-8")
                self.send_header("Content-Length", str(len(owner.body)))
                self.end_headers()
                try:
                    for index in range(len(owner.body)):
                        self.wfile.write(owner.body[index : index + 1])
                        self.wfile.flush()
                        time.sleep(owner.interval)
                except OSError:  # the client gave up: the point of a deadline
                    return
                with owner._lock:
                    owner.finished += 1

            def log_message(self, *args) -> None:
                pass

        self.serve(ThreadingHTTPServer(("127.0.0.1", 0), Handler))
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_port}/slow"
