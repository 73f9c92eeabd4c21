"""Just enough HTTP/1.1 for the bench's own fast servers and clients (no framework, keep-alive).

``split_message`` finds one complete request or response in a buffer; ``response`` builds
one. The bench uses these instead of http.server/requests so that the sink and the load
generator cost a few microseconds per message and never become the bottleneck.

Example::

    found = split_message(buffer)  # None until a whole message is there
    if found:
        start_line, headers, body, used = found
"""

from __future__ import annotations

REASONS = {200: "OK", 204: "No Content", 404: "Not Found", 500: "Internal Server Error"}
REASONS |= {503: "Service Unavailable"}


def split_message(buffer: bytes | bytearray) -> tuple[str, dict[str, str], bytes, int] | None:
    """(start line, lower-case headers, body, bytes used), or None if incomplete."""
    end = buffer.find(b"\r\n\r\n")
    if end < 0:
        return None
    lines = bytes(buffer[:end]).decode("latin-1").split("\r\n")
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    length = int(headers.get("content-length", "0"))
    total = end + 4 + length
    if len(buffer) < total:
        return None
    return lines[0], headers, bytes(buffer[end + 4 : total]), total


def response(status: int, body: bytes = b"", content_type: str = "text/plain") -> bytes:
    head = (
        f"HTTP/1.1 {status} {REASONS.get(status, 'Status')}\r\n"
        f"Content-Type: {content_type}\r\nContent-Length: {len(body)}\r\n\r\n"
    )
    return head.encode("latin-1") + body


def request(method: str, path: str, host: str, body: bytes = b"", form: bool = True) -> bytes:
    """One request as bytes, ready to write on a keep-alive connection."""
    kind = "application/x-www-form-urlencoded" if form else "application/json"
    head = (
        f"{method} {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: {kind}\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    )
    return head.encode("latin-1") + body
