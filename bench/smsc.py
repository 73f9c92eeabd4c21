"""The operator's SMSC for the Jasmin peer: a minimal SMPP 3.4 server in its own process.

The ESMEs (Jasmin's SMPP client connectors) bind to its SMPP port as transceivers; it
answers ``enquire_link`` and ``unbind``, and a ``generic_nack`` to anything else it does not
know. Replies (MO) come in from the bench's load generator as HTTP requests on its front
port (``GET /?from=…&to=…&text=OUI``, the shape of Kannel's generic HTTP SMSC): each becomes
a ``deliver_sm`` on one of the binds, in turn, at most ``window`` unacknowledged a bind, and
the HTTP request is answered 200 once the ESME's ``deliver_sm_resp`` says ESME_ROK (503
otherwise, or when no ESME is bound). Each ``submit_sm`` (an answer, MT) is acknowledged at
once with a ``submit_sm_resp`` carrying a new message id (``smsc<pid>-<n>``), and handed to
the sink's ``/send``
with the destination number as ``tag`` (each reply has its own sender) and that message id
as ``id``: so a doubled answer shows as doubled at the sink. The bytes are ``bench/smpp.py``'s.

Example::

    with SmscProcess(sink.url, window=10) as smsc:
        smsc.smpp_port, smsc.port   # bind Jasmin to the first, post replies to the second
        smsc.stats()                # {"binds": 4, "delivered": 2000, "submitted": 2000, ...}
"""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import subprocess
import sys
import urllib.request
from urllib.parse import parse_qsl, urlencode, urlsplit

from testkit.load import ClientConnection
from testkit.wire import request, response, split_message

from . import smpp


class Esme(asyncio.Protocol):
    """One bound SMPP session, as the SMSC sees it."""

    def __init__(self, smsc: Smsc) -> None:
        self.smsc = smsc
        self.buffer = bytearray()
        self.transport: asyncio.Transport | None = None
        self.bound = False
        self.window = asyncio.Semaphore(smsc.window)
        self.pending: dict[int, asyncio.Future] = {}
        self.sequence = itertools.count(1)

    def connection_made(self, transport) -> None:
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        try:
            while found := smpp.split_pdu(self.buffer):
                pdu, used = found
                del self.buffer[:used]
                self.received(pdu)
        except smpp.SmppError:
            self.transport.close()

    def send(self, pdu: smpp.Pdu) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.write(smpp.encode(pdu))

    def received(self, pdu: smpp.Pdu) -> None:
        command = pdu.command_id
        if command in smpp.BINDS:
            self.bound = True
            self.smsc.binds.append(self)
            self.send(smpp.Pdu(smpp.response_id(command), 0, pdu.sequence, b"bench-smsc\0"))
        elif command == smpp.ENQUIRE_LINK:
            self.send(smpp.Pdu(smpp.response_id(command), 0, pdu.sequence))
        elif command == smpp.SUBMIT_SM and self.bound:
            self.smsc.submitted(self, pdu)
        elif command == smpp.response_id(smpp.DELIVER_SM):
            waiter = self.pending.pop(pdu.sequence, None)
            if waiter is not None and not waiter.done():
                waiter.set_result(pdu.status)
        elif command == smpp.UNBIND:
            self.send(smpp.Pdu(smpp.response_id(command), 0, pdu.sequence))
            self.transport.close()
        elif not command & smpp.GENERIC_NACK:  # a request we do not serve
            self.send(smpp.Pdu(smpp.GENERIC_NACK, smpp.ESME_RINVCMDID, pdu.sequence))

    async def deliver(self, source: str, destination: str, text: bytes) -> int:
        """One deliver_sm, within the window; the status of its deliver_sm_resp."""
        async with self.window:
            sequence = next(self.sequence)
            waiter = asyncio.get_running_loop().create_future()
            self.pending[sequence] = waiter
            body = smpp.short_message_fields(source, destination, text)
            self.send(smpp.Pdu(smpp.DELIVER_SM, 0, sequence, body))
            try:
                return await asyncio.wait_for(waiter, 30)
            finally:
                self.pending.pop(sequence, None)

    def connection_lost(self, exc) -> None:
        self.transport = None
        if self in self.smsc.binds:
            self.smsc.binds.remove(self)
        for waiter in self.pending.values():
            if not waiter.done():
                waiter.set_exception(ConnectionError("unbound"))


class Smsc:
    def __init__(self, sink_url: str, window: int) -> None:
        sink = urlsplit(sink_url)
        self.sink = (sink.hostname, sink.port)
        self.window = window
        self.binds: list[Esme] = []
        self.turn = itertools.count()
        self.message_ids = itertools.count(1)
        self.name = f"smsc{os.getpid()}"  # the sink knows SMS by id: unique across SMSCs
        self.idle: list[ClientConnection] = []
        self.counts = dict.fromkeys(("delivered", "refused", "submitted", "forwarded"), 0)
        self.forwarding: set[asyncio.Task] = set()  # asyncio keeps tasks only weakly

    async def mo(self, fields: dict[str, str]) -> int:
        """One reply to an ESME; the HTTP status for the load generator."""
        if not self.binds:
            return 503
        esme = self.binds[next(self.turn) % len(self.binds)]
        text = fields.get("text", "").encode("latin-1", "replace")
        try:
            status = await esme.deliver(fields.get("from", ""), fields.get("to", ""), text)
        except (ConnectionError, TimeoutError):
            status = -1
        self.counts["delivered" if status == smpp.ESME_ROK else "refused"] += 1
        return 200 if status == smpp.ESME_ROK else 503

    def submitted(self, esme: Esme, pdu: smpp.Pdu) -> None:
        try:
            fields = smpp.decode_sm(pdu.body)
        except smpp.SmppError:
            esme.send(
                smpp.Pdu(smpp.response_id(smpp.SUBMIT_SM), smpp.ESME_RINVCMDLEN, pdu.sequence)
            )
            return
        message_id = f"{self.name}-{next(self.message_ids)}"
        body = smpp.message_id_body(message_id)
        esme.send(smpp.Pdu(smpp.response_id(smpp.SUBMIT_SM), 0, pdu.sequence, body))
        self.counts["submitted"] += 1
        to = fields["destination_addr"]
        form = {
            "to": to,
            "from": fields["source_addr"],
            "content": fields["short_message"].decode("latin-1"),
            "tag": to if to.startswith("+") else f"+{to}",
            "id": message_id,
        }
        task = asyncio.get_running_loop().create_task(self.forward(urlencode(form).encode()))
        self.forwarding.add(task)
        task.add_done_callback(self.forwarding.discard)

    async def forward(self, body: bytes) -> None:
        """Hand one answer to the sink, over a kept-alive connection."""
        try:
            connection = self.idle.pop()
        except IndexError:
            _, connection = await asyncio.get_running_loop().create_connection(
                ClientConnection, *self.sink
            )
        host = f"{self.sink[0]}:{self.sink[1]}"
        status, _, _ = await connection.exchange(request("POST", "/send", host, body), 30)
        self.counts["forwarded"] += status == 200
        self.idle.append(connection)

    def stats(self) -> dict:
        return {"binds": len(self.binds), **self.counts}


class Front(asyncio.Protocol):
    """The HTTP side: replies in, control (``/_stats``) out."""

    def __init__(self, smsc: Smsc) -> None:
        self.smsc = smsc
        self.buffer = bytearray()
        self.transport: asyncio.Transport | None = None
        self.queue: asyncio.Queue = asyncio.Queue()

    def connection_made(self, transport) -> None:
        self.transport = transport
        self.worker = asyncio.get_running_loop().create_task(self.answer_in_order())

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while found := split_message(self.buffer):
            start_line, _, _, used = found
            del self.buffer[:used]
            self.queue.put_nowait(start_line.split(" ")[1])

    async def answer_in_order(self) -> None:
        while True:
            target = await self.queue.get()
            path, _, query = target.partition("?")
            if path == "/_stats":
                data = response(200, json.dumps(self.smsc.stats()).encode(), "application/json")
            else:
                data = response(await self.smsc.mo(dict(parse_qsl(query))))
            if self.transport is None:
                return
            self.transport.write(data)

    def connection_lost(self, exc) -> None:
        self.transport = None
        self.worker.cancel()


async def serve(sink_url: str, window: int) -> None:
    smsc = Smsc(sink_url, window)
    loop = asyncio.get_running_loop()
    smpp_server = await loop.create_server(lambda: Esme(smsc), "127.0.0.1", 0)
    front = await loop.create_server(lambda: Front(smsc), "127.0.0.1", 0, backlog=512)
    ports = (server.sockets[0].getsockname()[1] for server in (smpp_server, front))
    print("ports {} {}".format(*ports), flush=True)
    await asyncio.sleep(3600)  # bounded: a simulator forgotten by a crashed run stops


class SmscProcess:
    """The SMSC in a child process (its CPU apart, as the sink's), stopped by its pid."""

    def __init__(self, sink_url: str, window: int = 10) -> None:
        self.sink_url, self.window = sink_url, window

    def start(self) -> SmscProcess:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "bench.smsc", self.sink_url, str(self.window)],
            stdout=subprocess.PIPE,
            text=True,
        )
        _, smpp_port, port = self.process.stdout.readline().split()
        self.smpp_port, self.port = int(smpp_port), int(port)
        return self

    def stats(self) -> dict:
        with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/_stats", timeout=10) as got:
            return json.loads(got.read())

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)

    def __enter__(self) -> SmscProcess:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


if __name__ == "__main__":
    asyncio.run(serve(sys.argv[1], int(sys.argv[2])))
