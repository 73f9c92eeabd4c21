"""An outgoing HTTP proxy on 127.0.0.1, as ``HTTP_PROXY``/``HTTPS_PROXY`` name one.

It forwards absolute-form requests (``POST http://host:port/path``: plain HTTP through a
proxy) and tunnels ``CONNECT host:port`` (HTTPS through a proxy) byte for byte; ``seen``
keeps each request line it was asked, in order.

Example::

    with ForwardProxy() as proxy:
        monkeypatch.setenv("HTTP_PROXY", proxy.url)
        ...; proxy.seen  # ["POST http://127.0.0.1:4711/send"]
"""

from __future__ import annotations

import http.client
import select
import socket
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

from tests.support.httpapp import ServedInThread


class ForwardProxy(ServedInThread):
    def __init__(self) -> None:
        self.seen: list[str] = []
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                owner.seen.append(f"{self.command} {self.path}")
                target = urlsplit(self.path)
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                upstream = http.client.HTTPConnection(target.hostname, target.port, timeout=10)
                headers = {k: v for k, v in self.headers.items() if k.lower() != "connection"}
                upstream.request(self.command, self.path.split(target.netloc, 1)[1], body, headers)
                answer = upstream.getresponse()
                data = answer.read()
                self.send_response(answer.status)
                for name, value in answer.getheaders():
                    if name.lower() not in ("connection", "transfer-encoding", "content-length"):
                        self.send_header(name, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
                upstream.close()

            do_GET = do_POST

            def do_CONNECT(self) -> None:
                owner.seen.append(f"CONNECT {self.path}")
                host, _, port = self.path.rpartition(":")
                upstream = socket.create_connection((host, int(port)), timeout=10)
                self.send_response(200, "Connection established")
                self.end_headers()
                self.close_connection = True
                sockets = [self.connection, upstream]
                while True:  # both ways until one side closes
                    readable, _, _ = select.select(sockets, [], [], 10)
                    if not readable:
                        break
                    for sock in readable:
                        data = sock.recv(65536)
                        if not data:
                            upstream.close()
                            return
                        (upstream if sock is self.connection else self.connection).sendall(data)
                upstream.close()

            def log_message(self, *args) -> None:
                pass

        self.serve(ThreadingHTTPServer(("127.0.0.1", 0), Handler))
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_port}"
