"""A small real HTTP server on loopback (werkzeug) running a WSGI app in a thread, for tests
of what smsreply calls: the customer's URL, a provider's gateway."""

from __future__ import annotations

import threading

from werkzeug.serving import make_server


class LocalServer:
    def __init__(self, app) -> None:
        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> LocalServer:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.thread.join(timeout=5)
