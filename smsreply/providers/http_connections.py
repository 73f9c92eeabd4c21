"""Kept-alive connections to the one gateway the ``http`` provider hands its SMS to.

Every SMS is one request to the same host (``http.send_url``). ``connections_to(url,
timeout, fast)`` gives what carries them, with the proxy and the CA bundle read from the
environment once, at start, as ``requests`` reads them (``HTTPS_PROXY``/``HTTP_PROXY``/
``NO_PROXY``; ``REQUESTS_CA_BUNDLE``/``CURL_CA_BUNDLE``, else certifi's bundle):

- ``DirectConnections`` (no proxy), the fast path: plain ``http.client`` connections kept
  open between SMS, each request taking an idle one — so there are as many as threads
  sending at once — and TLS verified against the bundle. Per request it costs a fraction
  of urllib3's pool, retries and response wrappers: **0.35–0.40× its CPU** — 98–129 µs
  of the sending thread's CPU an exchange against 273–371 (a ``requests.Session``:
  508–665), kept alive to a local gateway in another process (``python -m
  bench.fastpaths``: the paths in turns, medians of 11–15 rounds of 1,000 exchanges, five
  runs, 2 CPUs at load 8–17). A connection the gateway closed while idle is replaced
  before use, or, when the close crossed our request (nothing of an answer came back),
  once right after: the gateway cannot have taken it.
- ``PlainConnections``, the plain library path: urllib3's pool (its ``ProxyManager``
  through a proxy: CONNECT, proxies reached over TLS, proxy credentials), also chosen by
  ``fast=False`` (``server.fast_paths = false``). The same guarantees, tested side by side
  with the same assertions, but one: a request its kept-alive connection was closed under
  is not sent again (reported unreachable: the work engine retries it later).

``timeout`` bounds each whole exchange, from connecting to the last byte of the answer (a
gateway trickling its answer is cut at the deadline, not kept alive by each byte; urllib3
bounds each wait by the time left at the start and the deadline is checked between its
reads). ``exchange`` raises ``NoAnswer`` when the time ran out and ``Unreachable`` for
anything else between us and an answer (refused, reset, a TLS failure, a garbled answer);
neither quotes the URL.

Example::

    connections = connections_to("https://gw.example/send", timeout=10.0)
    answer = connections.exchange("POST", "https://gw.example/send", b"to=…", headers)
    answer.status, answer.content_type, answer.body
"""

from __future__ import annotations

import http.client
import os
import ssl
import time
import zlib
from collections.abc import Mapping
from typing import NamedTuple
from urllib.parse import urlsplit

import requests
import urllib3

from .deadline_connection import DeadlineConnection, time_left

IDLE_KEPT = 16  # connections kept open at most (more threads sending at once: closed after)
# The kept-alive connection was closed under our request before any answer came back.
_CLOSED_UNDER_US = (ConnectionResetError, BrokenPipeError, ConnectionAbortedError)


class NoAnswer(Exception):
    """No whole answer within the timeout."""


class Unreachable(Exception):
    """No answer for another reason: refused, reset, TLS, or not HTTP."""


class Answer(NamedTuple):
    status: int
    content_type: str
    body: bytes
    reason: str = ""
    headers: Mapping[str, str] = {}  # case-insensitive: http.client's or urllib3's own


def connections_to(
    url: str, timeout: float, fast: bool = True
) -> DirectConnections | PlainConnections:
    """What carries requests to ``url``'s host, as the environment says (read now, once);
    ``fast=False`` (``server.fast_paths = false``): urllib3's pool even without a proxy."""
    proxy = requests.utils.select_proxy(url, requests.utils.get_environ_proxies(url))
    bundle = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE")
    bundle = bundle or requests.certs.where()
    if proxy or not fast:
        return PlainConnections(timeout, bundle, proxy or "")
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


class DirectConnections:
    """Straight to the gateway: kept-alive ``http.client`` connections, one per sender."""

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
        self.tls = tls
        self.timeout = timeout
        self._idle: list[DeadlineConnection] = []

    def exchange(
        self,
        method: str,
        url: str,
        body: bytes | None,
        headers: Mapping[str, str],
        timeout: float | None = None,
    ) -> Answer:
        """One request to ``url`` (on this host) and its whole answer, within ``timeout``
        (the one given at creation, unless said)."""
        parts = urlsplit(url)
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        try:
            connection = self._idle.pop()  # the most recently used: the likeliest alive
        except IndexError:
            connection = DeadlineConnection(self.host, self.port, self.tls)
        try:
            kept = connection.sock is not None
            if kept and connection.dropped():
                connection.close()
                kept = False
            connection.deadline = deadline
            try:
                response = self._ask(connection, method, target, body, headers)
            except _CLOSED_UNDER_US:
                if not kept:
                    raise
                connection.close()  # the next request opens a new one
                response = self._ask(connection, method, target, body, headers)
            data = response.read()
            answer = Answer(
                response.status,
                response.getheader("Content-Type", ""),
                _decoded(data, response.getheader("Content-Encoding", "")),
                response.reason,
                response.msg,
            )
        except TimeoutError:
            connection.close()
            raise NoAnswer from None
        except (OSError, http.client.HTTPException) as error:
            connection.close()
            raise Unreachable(type(error).__name__) from None
        except BaseException:
            connection.close()
            raise
        if len(self._idle) < IDLE_KEPT:
            self._idle.append(connection)  # closed by the gateway's answer: reopened on use
        else:
            connection.close()
        return answer

    @staticmethod
    def _ask(
        connection: DeadlineConnection, method, target, body, headers
    ) -> http.client.HTTPResponse:
        if connection.sock is None:
            connection.connect()
        connection.sock.settimeout(time_left(connection.deadline))
        connection.request(method, target, body=body, headers=headers)
        return connection.getresponse()

    def close(self) -> None:
        while self._idle:
            self._idle.pop().close()


class PlainConnections:
    """urllib3's pool as the library gives it (``ProxyManager`` through a proxy)."""

    def __init__(self, timeout: float, ca_bundle: str, proxy: str = "") -> None:
        isdir = os.path.isdir(ca_bundle)
        certs = {"ca_cert_dir": ca_bundle} if isdir else {"ca_certs": ca_bundle}
        if proxy:
            self.pool = urllib3.ProxyManager(proxy, maxsize=IDLE_KEPT, **certs)
        else:
            self.pool = urllib3.PoolManager(maxsize=IDLE_KEPT, **certs)
        self.timeout = timeout

    def exchange(
        self,
        method: str,
        url: str,
        body: bytes | None,
        headers: Mapping[str, str],
        timeout: float | None = None,
    ) -> Answer:
        timeout = self.timeout if timeout is None else timeout
        deadline = time.monotonic() + timeout
        try:
            response = self.pool.request(
                method,
                url,
                body=body,
                headers=headers,
                timeout=timeout,
                retries=False,
                redirect=False,
                preload_content=False,
            )
            try:
                data = b"".join(_read_by(deadline, response))
            finally:
                response.release_conn()  # back to the pool: whole, or closed by _read_by
        except urllib3.exceptions.HTTPError as error:  # not str(error): it quotes the URL
            refused = isinstance(error, urllib3.exceptions.NewConnectionError)
            if isinstance(error, urllib3.exceptions.TimeoutError) and not refused:
                raise NoAnswer from None
            raise Unreachable(type(error).__name__) from None
        content_type = response.headers.get("Content-Type", "")
        return Answer(response.status, content_type, data, response.reason or "", response.headers)

    def close(self) -> None:
        self.pool.clear()


def _read_by(deadline: float, response: urllib3.BaseHTTPResponse):
    """The answer's pieces as they come; ``NoAnswer`` (the connection closed) once the
    deadline has passed — urllib3 bounds each wait, this bounds their sum."""
    while True:
        if time.monotonic() > deadline:
            response.close()
            raise NoAnswer
        piece = response.read1(65536)
        if not piece:
            return
        yield piece
