"""A TCP proxy in front of PostgreSQL: a database farther away, and what crosses the wire.

Every chunk either way is held ``delay_ms`` before it is passed on (in order: one queue per
direction), as a database in another zone of the same data centre adds ~1 ms each way. The
proxy reads the client's side of the PostgreSQL protocol (version 3) to count, for the
bench: **statements** (each ``Query`` or ``Execute`` message: BEGIN and COMMIT included),
**round trips** (each time a client speaks again after the server answered: a pipeline
of statements sent at once is one), connections, and how long transactions hold the one
row every reply changes (the balance: from the statement that takes it to the server's
"no transaction open"), the cluster's ceiling. It runs in a process of its own (its
CPU is not the load generator's); the delay can change while it runs, so one pair of hosts
is measured near and far in the same run.

Example::

    with DelayProxy(cluster.port, delay_ms=1.0) as proxy:
        url = f"postgresql://postgres@127.0.0.1:{proxy.port}/db"
        before = proxy.counts()
        ...
        (proxy.counts() - before).statements
        proxy.set_delay(0.0)
"""

from __future__ import annotations

import asyncio
import multiprocessing
import re
import selectors
import time
from collections import deque
from dataclasses import dataclass

from testkit.ports import free_port

STARTUP = 3 << 16  # protocol 3.0; SSL and GSS requests come before it, untyped
QUERY, EXECUTE, PARSE, BIND, READY = (ord(kind) for kind in "QEPBZ")
STATEMENTS = (QUERY, EXECUTE)  # simple Query, extended-protocol Execute
ENDS = tuple(ord(kind) for kind in "CEI")  # CommandComplete, ErrorResponse, EmptyQuery
# The one row every reply changes on every host: the credit balance. How long a reply's
# transaction holds it bounds the whole cluster's replies per second.
SHARED = re.compile(rb"\bUPDATE\s+account\b", re.IGNORECASE)
CHUNK = 65536
# Shared counters, by position: statements, round trips, connections, chunks delayed, and
# the microseconds they were held (the delay really added, timer resolution included); the
# times the shared row was taken, the microseconds it was held (from the server's answer
# to the statement that took it, to the commit) and waited for (from the statement to
# that answer: another transaction held it).
FIELDS = (
    *("statements", "round_trips", "connections", "delayed", "held_us"),
    *("shared", "shared_us", "shared_wait_us"),
)


@dataclass(frozen=True)
class Counts:
    statements: int = 0
    round_trips: int = 0
    connections: int = 0
    delayed: int = 0
    held_us: int = 0
    shared: int = 0
    shared_us: int = 0
    shared_wait_us: int = 0

    def __sub__(self, other: Counts) -> Counts:
        return Counts(*(getattr(self, f) - getattr(other, f) for f in FIELDS))

    @property
    def held_ms(self) -> float:
        """The mean delay a chunk really got (the event loop's timers are ~1 ms coarse)."""
        return self.held_us / self.delayed / 1000 if self.delayed else 0.0

    @property
    def shared_ms(self) -> float:
        """Milliseconds the shared row was held, in all."""
        return self.shared_us / 1000

    @property
    def shared_wait_ms(self) -> float:
        """Milliseconds statements waited for the shared row, in all."""
        return self.shared_wait_us / 1000


class FrontendCounter:
    """Counts the statements in a client's byte stream, message by message, and notes those
    that touch the cluster's one shared row (``SHARED``), prepared ones included."""

    def __init__(self) -> None:
        self.buffer = bytearray()
        self.started = False  # past the startup message: typed messages from here on
        self.prepared: dict[bytes, bool] = {}  # statement name -> touches the shared row
        self.bound = False

    def feed(self, data: bytes) -> tuple[int, int]:
        """Statements completed by ``data``; the rank (1, 2…) among them of the first that
        touches the shared row, or 0."""
        self.buffer += data
        statements, shared, at, buffer = 0, 0, 0, self.buffer
        while True:
            if not self.started:  # length (4 bytes, itself included), then a code
                if len(buffer) - at < 8:
                    break
                length = int.from_bytes(buffer[at : at + 4], "big")
                if len(buffer) - at < length:
                    break
                self.started = int.from_bytes(buffer[at + 4 : at + 8], "big") == STARTUP
                at += length
                continue
            if len(buffer) - at < 5:  # a type byte, then the length (itself included)
                break
            length = int.from_bytes(buffer[at + 1 : at + 5], "big")
            if len(buffer) - at < 1 + length:
                break
            kind, body = buffer[at], bytes(buffer[at + 5 : at + 1 + length])
            if kind == PARSE:  # name, then the SQL
                name, _, rest = body.partition(b"\0")
                self.prepared[name] = bool(SHARED.search(rest.partition(b"\0")[0]))
            elif kind == BIND:  # portal, then the statement's name
                self.bound = self.prepared.get(body.split(b"\0", 2)[1], False)
            elif kind in STATEMENTS:
                statements += 1
                touches = self.bound if kind == EXECUTE else bool(SHARED.search(body))
                shared = shared or (statements if touches else 0)
            at += 1 + length
        del buffer[:at]
        return statements, shared


class BackendWatcher:
    """Reads the server's byte stream: each statement's end (``CommandComplete``, an error,
    an empty query) and each ReadyForQuery saying no transaction is open (``Z`` with
    status ``I``): the end of whatever the session held."""

    def __init__(self) -> None:
        self.buffer = bytearray()

    def feed(self, data: bytes, started: bool) -> tuple[int, bool]:
        """Statements ended in ``data``; whether the session is out of any transaction."""
        if not started:  # one-byte answers to the SSL and GSS requests
            return 0, False
        self.buffer += data
        ended, idle, at, buffer = 0, False, 0, self.buffer
        while len(buffer) - at >= 5:
            length = int.from_bytes(buffer[at + 1 : at + 5], "big")
            if len(buffer) - at < 1 + length:
                break
            ended += buffer[at] in ENDS
            idle |= buffer[at] == READY and buffer[at + 5] == ord("I")
            at += 1 + length
        del buffer[:at]
        return ended, idle


class Relay:
    """One client connection and its server connection, both directions."""

    def __init__(self, delay, counters) -> None:
        self.delay, self.counters = delay, counters
        self.server_spoke = True  # the client's first words (the startup) are a round trip
        self.frontend, self.backend = FrontendCounter(), BackendWatcher()
        self.sent = self.ended = 0  # statements sent to the server, and ended by it
        self.shared_rank = 0  # the statement asking for the shared row, by ``sent``
        self.shared_asked = 0.0  # when a statement asking for the shared row reached it
        self.shared_since = 0.0  # when the server took the shared row; 0: not held

    async def run(self, client_reader, client_writer, target: tuple[str, int]) -> None:
        try:
            server_reader, server_writer = await asyncio.open_connection(*target)
        except OSError:
            client_writer.close()
            return
        self.counters[2] += 1
        await asyncio.gather(
            self.pipe(client_reader, server_writer, from_client=True),
            self.pipe(server_reader, client_writer, from_client=False),
        )

    async def pipe(self, reader, writer, from_client: bool) -> None:
        held: deque[tuple[float, bytes]] = deque()
        ready = asyncio.Event()
        sender = asyncio.create_task(self.send_held(held, ready, writer))
        try:
            while data := await reader.read(CHUNK):
                delay = self.delay.value
                if from_client:
                    statements, shared = self.frontend.feed(data)
                    self.counters[0] += statements
                    self.counters[1] += self.server_spoke
                    self.server_spoke = False
                    if shared and not (self.shared_asked or self.shared_since):
                        self.shared_asked = time.monotonic() + delay / 1000  # at the server
                        self.shared_rank = self.sent + shared
                        self.counters[5] += 1
                    self.sent += statements
                else:
                    self.server_spoke = True
                    self.watch(data)
                if delay <= 0 and not held:
                    writer.write(data)
                    continue
                held.append((time.monotonic() + delay / 1000, data))
                ready.set()
        except ConnectionError:
            pass
        finally:
            held.append((0.0, b""))  # the end: close once what is held went out
            ready.set()
            await sender

    def watch(self, data: bytes) -> None:
        """The server's answer: has it taken the shared row (the statement that asked for
        it ended: it waited till now), or released it (no transaction open)?"""
        now = time.monotonic()
        ended, idle = self.backend.feed(data, self.frontend.started)
        self.ended += ended
        if self.shared_asked and self.ended >= self.shared_rank:
            self.counters[7] += int(max(now - self.shared_asked, 0) * 1e6)
            self.shared_asked, self.shared_since = 0.0, now
        if idle and self.shared_since:  # committed (or rolled back)
            self.counters[6] += int((now - self.shared_since) * 1e6)
            self.shared_since = 0.0

    async def send_held(self, held: deque, ready: asyncio.Event, writer) -> None:
        try:
            while True:
                await ready.wait()
                ready.clear()
                while held:
                    due, data = held[0]
                    if not data:
                        writer.close()
                        return
                    wait = due - time.monotonic()
                    if wait > 0:
                        await asyncio.sleep(wait)
                    held.popleft()
                    self.counters[3] += 1
                    self.counters[4] += int(
                        (time.monotonic() - due) * 1e6 + self.delay.value * 1000
                    )
                    writer.write(data)
        except ConnectionError:
            writer.close()


def serve(port: int, target: tuple[str, int], delay, counters, ready) -> None:
    """The proxy process: accept on ``port`` and relay to ``target`` until killed."""

    async def main() -> None:
        async def accept(reader, writer) -> None:
            await Relay(delay, counters).run(reader, writer, target)

        server = await asyncio.start_server(accept, "127.0.0.1", port)
        ready.set()
        async with server:
            await server.serve_forever()

    # select() takes its timeout in microseconds; epoll (asyncio's default) rounds it up to
    # the next millisecond, which would turn 1 ms into 1 to 2.
    loop = asyncio.SelectorEventLoop(selectors.SelectSelector())
    loop.run_until_complete(main())


class DelayProxy:
    """The proxy in its own process, on a free loopback port, in front of ``target_port``."""

    def __init__(self, target_port: int, delay_ms: float = 0.0, host: str = "127.0.0.1"):
        context = multiprocessing.get_context("spawn")
        self.port = free_port()
        self.delay = context.Value("d", delay_ms, lock=False)
        self.counters = context.Array("q", len(FIELDS), lock=False)
        self._ready = context.Event()
        self.process = context.Process(
            target=serve,
            args=(self.port, (host, target_port), self.delay, self.counters, self._ready),
            daemon=True,
        )

    def url(self, direct_url: str) -> str:
        """``direct_url`` (a database on the target) reached through the proxy."""
        head, _, tail = direct_url.rpartition("/")
        return f"{head.rsplit(':', 1)[0]}:{self.port}/{tail}"

    def set_delay(self, delay_ms: float) -> None:
        self.delay.value = delay_ms

    def counts(self) -> Counts:
        return Counts(*self.counters[:])

    def __enter__(self) -> DelayProxy:
        self.process.start()
        if not self._ready.wait(30):
            raise RuntimeError("the delay proxy did not start")
        return self

    def __exit__(self, *exc: object) -> None:
        self.process.kill()
        self.process.join(10)
