"""A deadline for a whole HTTP exchange made with ``requests``, not one per socket read.

``requests`` timeouts bound each read: a server that trickles a byte every few seconds
keeps a request alive for ever. A session with ``DeadlineAdapter`` mounted remembers the
connection each request of a ``deadline(seconds)`` block uses; when the time is up, a
timer shuts that socket down, which ends any read in progress at once (the request then
fails, and ``watch.expired`` says why).

Example::

    session.mount("http://", DeadlineAdapter())
    with deadline(10.0) as watch:
        response = session.post(url, data=fields, timeout=10.0)
"""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Iterator

from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

_current = threading.local()


class Watch:
    """The connections used before one deadline; ``expired`` once it has passed."""

    def __init__(self) -> None:
        self.expired = False
        self._connections: list[HTTPConnection] = []
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()

    def attach(self, connection: HTTPConnection) -> None:
        """Watch a connection about to send a request (it may connect only then)."""
        with self._lock:
            self._connections.append(connection)
        if self.expired:
            self.expire()

    def attach_socket(self, sock: socket.socket | None) -> None:
        """Watch the request's socket: the response reads it even once the connection
        has handed it over (``Connection: close``)."""
        if sock is not None:
            with self._lock:
                self._sockets.append(sock)
            if self.expired:
                self.expire()

    def expire(self) -> None:
        with self._lock:
            self.expired = True
            sockets = [c.sock for c in self._connections if c.sock is not None] + self._sockets
        for sock in sockets:
            with contextlib.suppress(OSError):
                # The plain socket's shutdown, also for TLS: it wakes a blocked read at
                # once and leaves the TLS object alone (the reading thread owns it).
                socket.socket.shutdown(sock, socket.SHUT_RDWR)


@contextlib.contextmanager
def deadline(seconds: float) -> Iterator[Watch]:
    """Requests made in this thread within the block end after ``seconds`` at most."""
    watch = Watch()
    timer = threading.Timer(seconds, watch.expire)
    timer.daemon = True
    _current.watch = watch
    timer.start()
    try:
        yield watch
    finally:
        timer.cancel()
        _current.watch = None


class _Watched:
    def request(self, *args, **kwargs):
        watch = getattr(_current, "watch", None)
        if watch is None:
            return super().request(*args, **kwargs)
        watch.attach(self)
        result = super().request(*args, **kwargs)
        watch.attach_socket(self.sock)
        return result


class _HTTPConnection(_Watched, HTTPConnection):
    pass


class _HTTPSConnection(_Watched, HTTPSConnection):
    pass


class _HTTPPool(HTTPConnectionPool):
    ConnectionCls = _HTTPConnection


class _HTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _HTTPSConnection


class DeadlineAdapter(HTTPAdapter):
    """An adapter whose connections obey the ``deadline()`` of the thread using them."""

    def init_poolmanager(self, *args, **kwargs) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {"http": _HTTPPool, "https": _HTTPSPool}
