"""The load generator: callbacks posted over keep-alive connections, at a pace or in a burst.

``fire`` sends prebuilt requests over ``concurrency`` connections (asyncio, raw sockets: a
few microseconds each, so the generator is never what limits a run; see the ``floor``
rows of the results) and returns, per request, when it was sent, when it was answered and
the HTTP status (0: no answer — the connection broke or the deadline passed). With
``rate``, requests leave on a fixed schedule (open loop); without, as fast as answers come.

Example::

    shots = asyncio.run(fire("127.0.0.1", 8080, requests, concurrency=32, rate=500))
    acknowledged = [shot for shot in shots if shot.status == 200]
"""

from __future__ import annotations

import asyncio
import math
import threading
import time
from dataclasses import dataclass

from .wire import split_message


@dataclass
class Shot:
    index: int
    due: float = 0.0  # when a paced request should leave: latency counts from here
    sent: float = 0.0
    answered: float = 0.0
    status: int = 0
    body: bytes = b""


class ClientConnection(asyncio.Protocol):
    def __init__(self) -> None:
        self.buffer = bytearray()
        self.waiter: asyncio.Future | None = None
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport) -> None:
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        found = split_message(self.buffer)
        if found and self.waiter is not None and not self.waiter.done():
            del self.buffer[: found[3]]
            self.waiter.set_result((int(found[0].split(" ", 2)[1]), found[2], found[1]))

    def connection_lost(self, exc) -> None:
        self.transport = None
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_exception(ConnectionError("connection closed"))

    async def exchange(self, data: bytes, timeout: float) -> tuple[int, bytes, dict]:
        self.waiter = asyncio.get_running_loop().create_future()
        self.transport.write(data)
        return await asyncio.wait_for(self.waiter, timeout)


async def _connect(host: str, port: int, deadline: float) -> ClientConnection | None:
    loop = asyncio.get_running_loop()
    deadline = min(deadline, time.monotonic() + 3.0)  # refused for 3 s: the server is down
    while time.monotonic() < deadline:
        try:
            _, connection = await loop.create_connection(ClientConnection, host, port)
            return connection
        except OSError:  # the server is restarting (fault runs): try again shortly
            await asyncio.sleep(0.05)
    return None


async def fire(
    host: str,
    port: int,
    requests: list[bytes],
    concurrency: int = 32,
    rate: float | None = None,
    timeout: float = 30.0,
    deadline: float = 600.0,
    keep_body: bool = False,
    stop: threading.Event | None = None,
) -> list[Shot]:
    """Send every request once; return one Shot per request, in request order. Paced,
    ``stop`` set ends the schedule early: the requests not sent keep ``sent == 0``."""
    shots = [Shot(index) for index in range(len(requests))]
    queue: asyncio.Queue[int | None] = asyncio.Queue()
    end = time.monotonic() + deadline

    down = False  # the server refused connections for 3 s: it is gone, stop trying

    async def worker() -> None:
        nonlocal down
        connection = None
        while (index := await queue.get()) is not None:
            shot = shots[index]
            if connection is None or connection.transport is None:
                connection = None if down else await _connect(host, port, end)
                if connection is None:
                    down = True
                    continue
            shot.sent = time.monotonic()
            shot.due = shot.due or shot.sent
            try:
                shot.status, body, headers = await connection.exchange(requests[index], timeout)
            except (ConnectionError, TimeoutError):
                if connection.transport is not None:
                    connection.transport.abort()
                connection = None
                continue
            shot.answered = time.monotonic()
            if keep_body:
                shot.body = body
            if headers.get("connection", "").lower() == "close":
                connection.transport.close()
                connection = None
        if connection is not None and connection.transport is not None:
            connection.transport.close()

    workers = [asyncio.create_task(worker()) for _ in range(concurrency)]
    if rate is None:
        for index in range(len(requests)):
            queue.put_nowait(index)
    else:
        started = time.monotonic()
        for index in range(len(requests)):
            if stop is not None and stop.is_set():
                break
            shots[index].due = started + index / rate
            delay = shots[index].due - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            queue.put_nowait(index)
    for _ in workers:
        queue.put_nowait(None)
    await asyncio.gather(*workers)
    return shots


def percentile(values: list[float], fraction: float) -> float:
    """The value below which ``fraction`` of ``values`` lie (nearest rank); nan if empty."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(max(math.ceil(fraction * len(ordered)) - 1, 0), len(ordered) - 1)]
