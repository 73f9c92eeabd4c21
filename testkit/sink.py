"""The operator stand-in: a raw asyncio HTTP server that records when each answer arrives.

smsreply's generic ``http`` provider posts each SMS to ``/send``; the sink notes the
arrival time (``time.monotonic()``, the same clock in every process on Linux), our SMS
``id`` and the conversation ``tag``, and answers like Jasmin (``Success "<id>"``); the same
SMS id again is a resend (after a crash), counted apart, as a gateway keyed by our id
would drop it. ``/app``
is the customer's site for the ``url`` action. Faults are switched on through ``/_fault``:
``500`` answers, or holding requests (``hang``) past the provider's timeout; neither is
counted as accepted. It runs in its own process (``SinkProcess``) so that its CPU use can be
measured apart from the load generator's.

Example::

    with SinkProcess() as sink:
        sink.fault("500", seconds=3)
        sink.records()  # [(arrival, tag, sms_id), ...]
"""

from __future__ import annotations

import asyncio
import http.client
import json
import subprocess
import sys
import time
from urllib.parse import parse_qsl, urlencode

from .wire import response, split_message

ANSWER = "Merci, c'est noté."


class Sink:
    def __init__(self) -> None:
        self.accepted: list[tuple[float, str, str]] = []
        self.seen: dict[str, int] = {}  # our SMS id -> the sink's message number
        self.rejected = 0
        self.resent = 0
        self.fault = "ok"
        self.fault_until = 0.0
        self.hold = 0.0

    def handle(self, start_line: str, body: bytes, reply) -> None:
        method, _, rest = start_line.partition(" ")
        path, _, query = rest.split(" ", 1)[0].partition("?")
        if path == "/send":  # smsreply posts a form; Kannel's generic SMSC puts it in the URL
            self.send(query.encode() + b"&" + body if query else body, reply)
        elif path == "/app":
            reply(response(200, ANSWER.encode(), "text/plain; charset=utf-8"))
        elif path == "/_records":
            start = int(query.partition("=")[2] or 0)
            reply(response(200, json.dumps(self.accepted[start:]).encode(), "application/json"))
        elif path == "/_stats":
            stats = {"accepted": len(self.accepted), "rejected": self.rejected}
            stats["resent"] = self.resent
            reply(response(200, json.dumps(stats).encode(), "application/json"))
        elif path == "/_fault":
            fields = dict(parse_qsl(body.decode()))
            self.fault = fields.get("mode", "ok")
            self.fault_until = time.monotonic() + float(fields.get("seconds", 0))
            self.hold = float(fields.get("hold", 0))
            reply(response(200, b"ok"))
        elif path == "/_reset":
            self.accepted.clear()
            self.seen.clear()
            self.rejected = self.resent = 0
            reply(response(200, b"ok"))
        else:
            reply(response(404, b"no such path"))

    def send(self, body: bytes, reply) -> None:
        now = time.monotonic()
        if self.fault != "ok" and now < self.fault_until:
            self.rejected += 1
            if self.fault == "hang":  # answer late, after the client gave up: not accepted
                asyncio.get_running_loop().call_later(self.hold, reply, response(503))
            else:
                reply(response(500, b"gateway fault"))
            return
        fields = dict(parse_qsl(body.decode()))
        sms_id = fields.get("id", "")
        if sms_id in self.seen:  # a resend after a crash: known by our id, as OVH knows it
            self.resent += 1
        else:
            self.accepted.append((now, fields.get("tag", ""), sms_id))
            self.seen[sms_id] = len(self.accepted)
        reply(response(200, f'Success "sink-{self.seen[sms_id]}"'.encode()))


class SinkConnection(asyncio.Protocol):
    def __init__(self, sink: Sink) -> None:
        self.sink = sink
        self.buffer = bytearray()
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport) -> None:
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while found := split_message(self.buffer):
            start_line, _, body, used = found
            del self.buffer[:used]
            self.sink.handle(start_line, body, self.write)

    def write(self, data: bytes) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.write(data)

    def connection_lost(self, exc) -> None:
        self.transport = None


async def serve(port: int = 0) -> None:
    sink = Sink()
    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: SinkConnection(sink), "127.0.0.1", port, backlog=512)
    print(f"port {server.sockets[0].getsockname()[1]}", flush=True)
    # Bounded in time: a sink forgotten by a crashed run stops by itself.
    await asyncio.sleep(3600)


class SinkProcess:
    """The sink in a child process; control calls go through its own HTTP endpoints."""

    def start(self) -> SinkProcess:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "testkit.sink"], stdout=subprocess.PIPE, text=True
        )
        self.port = int(self.process.stdout.readline().split()[1])
        self.url = f"http://127.0.0.1:{self.port}"
        return self

    def _call(self, path: str, form: dict | None = None) -> bytes:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        body = urlencode(form or {})
        connection.request("POST" if form is not None else "GET", path, body=body or None)
        data = connection.getresponse().read()
        connection.close()
        return data

    def stats(self) -> dict:
        return json.loads(self._call("/_stats"))

    def records(self, start: int = 0) -> list[tuple[float, str, str]]:
        return [tuple(item) for item in json.loads(self._call(f"/_records?from={start}"))]

    def fault(self, mode: str, seconds: float = 0, hold: float = 0) -> None:
        self._call("/_fault", {"mode": mode, "seconds": seconds, "hold": hold})

    def reset(self) -> None:
        self._call("/_reset", {})

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)

    def __enter__(self) -> SinkProcess:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


if __name__ == "__main__":
    asyncio.run(serve(int(sys.argv[1]) if len(sys.argv) > 1 else 0))
