"""The ``url`` action's HTTP client: the provider's kept-alive pool, one per customer host.

Each customer URL's host (scheme, host, port) gets the connections the ``http`` provider
uses for its gateway (``providers/http_connections.py``): kept-alive ``http.client``
connections, TLS verified — the fast path, 0.35–0.40× the CPU of urllib3's pool an
exchange (``python -m bench.fastpaths``) — or urllib3's pool (its proxy manager when the
environment names a proxy), the plain path ``UrlClient(fast=False)`` and
``server.fast_paths = false`` choose, tested beside it with the same assertions; the whole
exchange, from connecting to the last byte of the answer, ends by ``timeout``.
``post`` adds what the action needs on top:

- a ``user:password@`` in the URL becomes a Basic ``Authorization`` header (the URL's
  other parts only reach the wire; no error quotes it);
- a redirect is returned as is, or followed when ``follow_redirects`` (at most
  ``MAX_REDIRECTS``; 307/308 post the fields again, 301/302/303 fetch with ``GET``, as
  browsers and ``requests`` do), the credentials sent to the URL's own host only.

Example::

    client = UrlClient()
    answer = client.post("https://u:p@site.example/sms", {"message": "OUI"}, timeout=10.0)
    answer.status, answer.headers.get("Location"), answer.body
"""

from __future__ import annotations

import base64
import threading
import time
from urllib.parse import unquote, urlencode, urljoin, urlsplit, urlunsplit

from ..providers.http_connections import (
    Answer,
    DirectConnections,
    NoAnswer,
    PlainConnections,
    Unreachable,
    connections_to,
)

MAX_REDIRECTS = 30  # as requests
REDIRECTS = (301, 302, 303, 307, 308)
FORM = "application/x-www-form-urlencoded"


def _origin(url: str) -> tuple[str, str, int]:
    parts = urlsplit(url)
    default = 443 if parts.scheme == "https" else 80
    return parts.scheme, (parts.hostname or "").lower(), parts.port or default


def _without_userinfo(url: str) -> tuple[str, str | None]:
    """The URL without its ``user:password@``, and the Basic credentials it carried."""
    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url, None
    userinfo, _, host = parts.netloc.rpartition("@")
    user, _, password = userinfo.partition(":")
    token = base64.b64encode(f"{unquote(user)}:{unquote(password)}".encode()).decode("ascii")
    return urlunsplit(parts._replace(netloc=host)), f"Basic {token}"


class UrlClient:
    """Kept-alive connections to each customer host, made on first use, shared by threads
    (``fast=False``, ``server.fast_paths = false``: urllib3's pool instead of ours)."""

    def __init__(self, fast: bool = True) -> None:
        self._hosts: dict[tuple, DirectConnections | PlainConnections] = {}
        self._lock = threading.Lock()
        self.fast = fast

    def _connections(self, url: str, timeout: float) -> DirectConnections | PlainConnections:
        key = _origin(url)
        found = self._hosts.get(key)
        if found is None:
            with self._lock:
                found = self._hosts.get(key)
                if found is None:
                    found = self._hosts[key] = connections_to(url, timeout, self.fast)
        return found

    def post(
        self, url: str, fields: dict[str, str], timeout: float, follow_redirects: bool = False
    ) -> Answer:
        """POST ``fields`` form-encoded to ``url``; the answer (a redirect unless followed).

        Raises ``NoAnswer`` (no whole answer within ``timeout``) or ``Unreachable``."""
        url, authorization = _without_userinfo(url)
        origin = _origin(url)
        method, body = "POST", urlencode(fields).encode()
        deadline = time.monotonic() + timeout  # for the redirects followed too
        for _ in range(MAX_REDIRECTS + 1):
            left = deadline - time.monotonic()
            if left <= 0:
                raise NoAnswer
            headers = {"User-Agent": "smsreply", "Accept": "*/*"}
            if body is not None:
                headers["Content-Type"] = FORM
            if authorization and _origin(url) == origin:
                headers["Authorization"] = authorization
            answer = self._connections(url, timeout).exchange(
                method, url, body, headers, timeout=left
            )
            location = answer.headers.get("Location") if answer.status in REDIRECTS else None
            if not (follow_redirects and location):
                return answer
            url = urljoin(url, location)
            if urlsplit(url).scheme not in ("http", "https"):
                raise Unreachable("redirected off HTTP")
            if answer.status in (301, 302, 303):
                method, body = "GET", None
        raise Unreachable("too many redirects")

    def close(self) -> None:
        with self._lock:
            for connections in self._hosts.values():
                connections.close()
            self._hosts.clear()
