"""One ``http.client`` connection whose every wait ends by a deadline: connecting, the TLS
handshake, sending, and each read of the answer wait only the time left
(``DeadlineConnection.deadline``, set for each exchange), so a gateway trickling its answer
is cut at the deadline instead of being kept alive by each byte. The request's head and
body go in one send. ``http_connections.DirectConnections`` keeps these alive.
"""

from __future__ import annotations

import http.client
import io
import select
import socket
import ssl
import time


class _DeadlineReader(io.RawIOBase):
    """The socket as an answer is read from it: each read waits only what is left."""

    def __init__(self, sock: socket.socket, deadline: float) -> None:
        super().__init__()
        self._sock = sock
        self._raw = sock.makefile("rb", buffering=0)  # keeps the socket open while read
        self._deadline = deadline

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        self._sock.settimeout(time_left(self._deadline))
        return self._raw.readinto(buffer)

    def close(self) -> None:
        self._raw.close()
        super().close()


class _Answering:
    """What ``http.client`` reads an answer from (it asks for ``makefile("rb")``)."""

    def __init__(self, sock: socket.socket, deadline: float) -> None:
        self._sock = sock
        self._deadline = deadline

    def makefile(self, mode: str) -> io.BufferedReader:
        return io.BufferedReader(_DeadlineReader(self._sock, self._deadline))


def time_left(deadline: float) -> float:
    left = deadline - time.monotonic()
    if left <= 0:
        raise TimeoutError("the exchange ran out of time")
    return left


class DeadlineConnection(http.client.HTTPConnection):
    """One connection to the gateway; every wait of an exchange ends by ``deadline``."""

    def __init__(self, host: str, port: int, tls: ssl.SSLContext | None) -> None:
        super().__init__(host, port)
        self.tls = tls
        self.deadline = 0.0

    def connect(self) -> None:
        self.sock = socket.create_connection((self.host, self.port), time_left(self.deadline))
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if self.tls is not None:
            self.sock.settimeout(time_left(self.deadline))  # the handshake, within what is left
            self.sock = self.tls.wrap_socket(self.sock, server_hostname=self.host)

    def _send_output(self, message_body=None, encode_chunked: bool = False) -> None:
        # The head and a body in bytes in one send (http.client makes two): one system
        # call and one segment on the wire instead of two, for every SMS.
        if not isinstance(message_body, bytes) or encode_chunked:
            return super()._send_output(message_body, encode_chunked)
        self._buffer.extend((b"", message_body))  # joined: head, blank line, body
        request = b"\r\n".join(self._buffer)
        del self._buffer[:]
        self.send(request)

    def response_class(self, sock: socket.socket, method: str | None = None, **_):
        return http.client.HTTPResponse(_Answering(sock, self.deadline), method=method)

    def dropped(self) -> bool:
        """True when the gateway closed it while idle (readable: its end, or stray bytes)."""
        return bool(select.select([self.sock], [], [], 0)[0])
