"""Small real HTTP servers on loopback, each run by a thread of the test process, for tests
of what smsreply calls: the customer's URL, a provider's gateway, a proxy.

``ServedInThread`` is the lifecycle every such fake shares: ``serve(server)`` with any
``socketserver`` server, then ``with`` starts it and leaving shuts it down and closes it.
``LocalServer(app)`` serves a WSGI app; ``quiet_wsgi_server(app)`` is werkzeug's server
without a log line per request (the fakes of ``tests/support/fakes/``).
"""

from __future__ import annotations

import socketserver
import threading

from werkzeug.serving import WSGIRequestHandler, make_server


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, *args: object) -> None:
        pass


def quiet_wsgi_server(app):
    return make_server("127.0.0.1", 0, app, True, request_handler=_QuietHandler)


class ServedInThread:
    server: socketserver.BaseServer
    thread: threading.Thread

    def serve(self, server: socketserver.BaseServer) -> None:
        self.server = server
        self.thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop_serving()

    def stop_serving(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


class LocalServer(ServedInThread):
    def __init__(self, app) -> None:
        self.serve(make_server("127.0.0.1", 0, app, threaded=True))
        self.url = f"http://127.0.0.1:{self.server.server_port}"
