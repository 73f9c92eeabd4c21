"""Kept-alive connections to the one gateway the ``http`` provider hands its SMS to.

Every SMS is one request to the same host (``http.send_url``). ``connections_to(url,
timeout)`` gives what carries them, with the proxy and the CA bundle read from the
environment once, at start, as ``requests`` reads them (``HTTPS_PROXY``/``HTTP_PROXY``/
``NO_PROXY``; ``REQUESTS_CA_BUNDLE``/``CURL_CA_BUNDLE``, else certifi's bundle):

- ``DirectConnections`` (no proxy): sockets kept open between SMS, each request taking an
  idle one — so there are as many as threads sending at once —, TLS verified against the
  bundle, and HTTP/1.1 spoken by ``http_wire.py``. Per request it costs a fraction of
  urllib3's pool, retries and response wrappers (``bench/send_cost.py``). A connection the
  gateway closed while idle is replaced before use, or, when the close crossed our request
  (nothing of an answer came back), once right after: the gateway cannot have taken it.
- ``ProxiedConnections`` (through a proxy): urllib3's ``ProxyManager``, which speaks
  CONNECT, proxies reached over TLS and proxy credentials.

``timeout`` bounds each whole exchange, from connecting to the last byte of the answer (a
gateway trickling its answer is cut at the deadline, not kept alive by each byte; through a
proxy, urllib3 bounds the connection and then each read). ``exchange`` raises ``NoAnswer``
when the time ran out and ``Unreachable`` for anything else between us and an answer
(refused, reset, a TLS failure, a garbled answer); neither quotes the URL.

Example::

    connections = connections_to("https://gw.example/send", timeout=10.0)
    answer = connections.exchange("POST", "https://gw.example/send", b"to=…", headers)
    answer.status, answer.content_type, answer.body
"""

from __future__ import annotations

import io
import os
import select
import socket
import ssl
import time
import zlib
from collections.abc import Mapping
from typing import NamedTuple
from urllib.parse import urlsplit

import requests
import urllib3

from . import http_wire

IDLE_KEPT = 16  # connections kept open at most (more threads sending at once: closed after)


class NoAnswer(Exception):
    """No whole answer within the timeout."""


class Unreachable(Exception):
    """No answer for another reason: refused, reset, TLS, or not HTTP."""


class Answer(NamedTuple):
    status: int
    content_type: str
    body: bytes


def connections_to(url: str, timeout: float) -> DirectConnections | ProxiedConnections:
    """What carries requests to ``url``'s host, as the environment says (read now, once)."""
    proxy = requests.utils.select_proxy(url, requests.utils.get_environ_proxies(url))
    bundle = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE")
    bundle = bundle or requests.certs.where()
    if proxy:
        return ProxiedConnections(proxy, timeout, bundle)
    return DirectConnections(url, timeout, bundle)


def _decoded(body: bytes, encoding: str) -> bytes:
    """The answer as the gateway wrote it. We ask for it as is, but ``http.send_headers`` may
    ask for gzip or deflate, which urllib3 used to undo by itself: so do we."""
    if encoding.strip().lower() not in ("gzip", "deflate") or not body:
        return body
    try:
        return zlib.decompress(body, 32 + zlib.MAX_WBITS)  # a gzip or zlib header, either
    except zlib.error:
        raise Unreachable("undecodable answer") from None


class _DeadlineReader(io.RawIOBase):
    """A socket as an answer is read from it: each read waits only what is left."""

    def __init__(self, sock: socket.socket, deadline: float) -> None:
        super().__init__()
        self.sock = sock
        self.deadline = deadline
        self.received = 0  # bytes of answer so far

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        self.sock.settimeout(_left(self.deadline))
        count = self.sock.recv_into(buffer)
        self.received += count
        return count


def _left(deadline: float) -> float:
    left = deadline - time.monotonic()
    if left <= 0:
        raise TimeoutError("the exchange ran out of time")
    return left


class _Unanswered(Exception):
    """The connection closed under our request before the first byte of an answer."""


class DirectConnections:
    """Straight to the gateway: kept-alive sockets, one per thread sending at once."""

    def __init__(self, url: str, timeout: float, ca_bundle: str) -> None:
        parts = urlsplit(url)
        tls = None
        if parts.scheme == "https":
            isdir = os.path.isdir(ca_bundle)
            tls = ssl.create_default_context(
                cafile=None if isdir else ca_bundle, capath=ca_bundle if isdir else None
            )
            tls.minimum_version = ssl.TLSVersion.TLSv1_2
        self.host = parts.hostname
        self.port = parts.port or (443 if tls else 80)
        host = f"[{self.host}]" if ":" in self.host else self.host  # an IPv6 address
        self.host_header = (
            host if parts.port in (None, 443 if tls else 80) else f"{host}:{self.port}"
        )
        self.tls = tls
        self.timeout = timeout
        self.bound = timeout  # the whole exchange, retry included
        self._idle: list[socket.socket] = []

    def exchange(
        self, method: str, url: str, body: bytes | None, headers: Mapping[str, str]
    ) -> Answer:
        """One request to ``url`` (on this host) and its whole answer."""
        parts = urlsplit(url)
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        request = http_wire.request(method, target, self.host_header, headers, body)
        deadline = time.monotonic() + self.timeout
        try:
            sock = self._kept()
            if sock is not None:
                try:
                    return self._ask(sock, request, deadline)
                except _Unanswered:  # closed by the gateway as we wrote: it did not take it
                    pass
            return self._ask(self._connect(deadline), request, deadline)
        except TimeoutError:
            raise NoAnswer from None
        except (OSError, _Unanswered, http_wire.BadAnswer) as error:
            raise Unreachable(type(error).__name__) from None

    def _kept(self) -> socket.socket | None:
        """An idle connection still open (the most recently used: the likeliest alive)."""
        while self._idle:
            try:
                sock = self._idle.pop()
            except IndexError:  # another thread took the last one
                return None
            # Readable while idle: the gateway closed it (or sent stray bytes).
            if not select.select([sock], [], [], 0)[0]:
                return sock
            sock.close()
        return None

    def _connect(self, deadline: float) -> socket.socket:
        sock = socket.create_connection((self.host, self.port), _left(deadline))
        try:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            if self.tls is not None:
                sock.settimeout(_left(deadline))  # the handshake, within what is left
                sock = self.tls.wrap_socket(sock, server_hostname=self.host)
        except BaseException:
            sock.close()
            raise
        return sock

    def _ask(self, sock: socket.socket, request: bytes, deadline: float) -> Answer:
        """``request`` on ``sock`` and its answer; the socket is kept if the answer allows."""
        reader = _DeadlineReader(sock, deadline)
        try:
            sock.settimeout(_left(deadline))
            sock.sendall(request)
            answer = http_wire.read_answer(io.BufferedReader(reader))
        except BaseException as error:
            sock.close()
            if isinstance(error, ConnectionError) and not reader.received:
                raise _Unanswered from None
            raise
        if answer.reusable and len(self._idle) < IDLE_KEPT:
            self._idle.append(sock)
        else:
            sock.close()
        encoding = answer.headers.get("content-encoding", "")
        return Answer(
            answer.status, answer.headers.get("content-type", ""), _decoded(answer.body, encoding)
        )

    def close(self) -> None:
        while self._idle:
            self._idle.pop().close()


class ProxiedConnections:
    """Through ``HTTP(S)_PROXY``: urllib3's proxy manager, its connections kept alive."""

    def __init__(self, proxy: str, timeout: float, ca_bundle: str) -> None:
        self.pool = urllib3.ProxyManager(proxy, ca_certs=ca_bundle, maxsize=IDLE_KEPT)
        self.timeout = timeout
        self.bound = None  # urllib3 bounds the connection, then each read: not the whole

    def exchange(
        self, method: str, url: str, body: bytes | None, headers: Mapping[str, str]
    ) -> Answer:
        try:
            response = self.pool.request(
                method, url, body=body, headers=headers, timeout=self.timeout, retries=False
            )
        except urllib3.exceptions.HTTPError as error:  # not str(error): it quotes the URL
            refused = isinstance(error, urllib3.exceptions.NewConnectionError)
            if isinstance(error, urllib3.exceptions.TimeoutError) and not refused:
                raise NoAnswer from None
            raise Unreachable(type(error).__name__) from None
        return Answer(response.status, response.headers.get("Content-Type", ""), response.data)

    def close(self) -> None:
        self.pool.clear()
