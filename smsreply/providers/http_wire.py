"""HTTP/1.1 as the http provider speaks it to its gateway: a request's bytes, an answer read.

Pure protocol, no sockets (``http_connections.py`` does the I/O): ``request`` gives the
bytes of one request, head and body together (one write, one segment); ``read_answer``
reads one answer from a buffered stream — the status line (interim ``1xx`` skipped), the
headers, the body by ``Content-Length``, ``chunked``, or up to the end — and says whether
the connection may carry the next request. ``http.client`` does the same for any use, at
two to three times the CPU per SMS: it parses every answer's headers with the e-mail
package. Anything unreadable raises ``BadAnswer``; a connection closed before the first
byte of an answer raises ``NotAnswered`` (a ``ConnectionResetError``).

Example::

    sock.sendall(request("POST", "/send", "gw:1401", {"Content-Type": "…"}, b"to=336…"))
    answer = read_answer(io.BufferedReader(reader_of(sock)))
    answer.status, answer.headers["content-type"], answer.body, answer.reusable
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import BinaryIO, NamedTuple

MAX_LINE = 65536  # as http.client: a status or header line longer than this is refused
MAX_HEADERS = 100
# Control characters (CR and LF above all) would let a value start a header of its own.
_UNSAFE = re.compile(r"[\x00-\x1f\x7f]")


class BadAnswer(Exception):
    """Not an HTTP/1.x answer we can read (or cut short)."""


class NotAnswered(ConnectionResetError):
    """The connection closed before the first byte of an answer."""


class WireAnswer(NamedTuple):
    status: int
    headers: dict[str, str]  # names in lower case; repeated ones joined by ", "
    body: bytes
    reusable: bool  # the connection may carry the next request


def request(
    method: str, target: str, host: str, headers: Mapping[str, str], body: bytes | None
) -> bytes:
    """The bytes of one request (``Host`` and ``Content-Length`` added, as http.client
    does, and ``Accept-Encoding: identity`` unless ``headers`` ask otherwise)."""
    lines = [f"{method} {target} HTTP/1.1", f"Host: {host}"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    if not any(name.lower() == "accept-encoding" for name in headers):
        lines.append("Accept-Encoding: identity")
    if body is not None:
        lines.append(f"Content-Length: {len(body)}")
    if " " in target or any(_UNSAFE.search(line) for line in lines):
        raise ValueError("control characters or spaces in the request line or a header")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + (body or b"")


def read_answer(stream: BinaryIO) -> WireAnswer:
    """One answer from ``stream`` (a buffered reader of the connection)."""
    first = stream.readline(MAX_LINE + 1)
    if not first:
        raise NotAnswered("the gateway closed the connection without answering")
    while True:
        version, status = _status(first)
        headers = _headers(stream)
        if status >= 200:  # 1xx are interim: the answer follows
            break
        first = stream.readline(MAX_LINE + 1)
    connection = headers.get("connection", "").lower()
    reusable = "close" not in connection if version == "HTTP/1.1" else "keep-alive" in connection
    if status < 200 or status in (204, 304):
        return WireAnswer(status, headers, b"", reusable)
    if headers.get("transfer-encoding", "").lower().endswith("chunked"):
        return WireAnswer(status, headers, _chunked(stream), reusable)
    if "content-length" in headers:
        try:
            length = int(headers["content-length"])
        except ValueError:
            raise BadAnswer("bad Content-Length") from None
        body = stream.read(length) if length > 0 else b""
        if length < 0 or len(body) < length:
            raise BadAnswer("answer cut short")
        return WireAnswer(status, headers, body, reusable)
    return WireAnswer(status, headers, stream.read(), False)  # up to the end: it closes


def _status(line: bytes) -> tuple[str, int]:
    parts = line.decode("latin-1").split(None, 2)
    if len(line) > MAX_LINE or len(parts) < 2 or not parts[0].startswith("HTTP/1."):
        raise BadAnswer("not an HTTP/1.x status line")
    if not (len(parts[1]) == 3 and parts[1].isdigit()):
        raise BadAnswer("bad status code")
    return parts[0], int(parts[1])


def _headers(stream: BinaryIO) -> dict[str, str]:
    headers: dict[str, str] = {}
    name = ""
    for _ in range(MAX_HEADERS + 1):
        line = stream.readline(MAX_LINE + 1)
        if len(line) > MAX_LINE or not line:
            raise BadAnswer("header line too long, or the answer cut short")
        if line in (b"\r\n", b"\n"):
            return headers
        text = line.decode("latin-1")
        if text[0] in " \t" and name:  # an obsolete folded line continues the last value
            headers[name] += " " + text.strip()
            continue
        name, colon, value = text.partition(":")
        name = name.strip().lower()
        if not colon or not name:
            raise BadAnswer("malformed header line")
        value = value.strip()
        headers[name] = f"{headers[name]}, {value}" if name in headers else value
    raise BadAnswer(f"more than {MAX_HEADERS} headers")


def _chunked(stream: BinaryIO) -> bytes:
    parts = []
    while True:
        line = stream.readline(MAX_LINE + 1)
        try:
            size = int(line.split(b";", 1)[0].strip(), 16)  # chunk extensions are ignored
        except ValueError:
            raise BadAnswer("bad chunk size") from None
        if size == 0:
            break
        if size < 0:
            raise BadAnswer("bad chunk size")
        chunk = stream.read(size + 2)  # the data and its CRLF
        if len(chunk) < size + 2:
            raise BadAnswer("answer cut short")
        parts.append(chunk[:size])
    _headers(stream)  # trailers, up to the blank line that ends the answer
    return b"".join(parts)
