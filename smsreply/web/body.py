"""Whole request bodies only: a body that ends before its ``Content-Length`` is refused.

Gunicorn hands the application whatever arrived before the client closed the
connection, and Flask parses it as if it were whole: a reply cut at ``…le+RDV+mais``
would be stored truncated and acknowledged, and the provider's retry with the full text
would then be a "duplicate". ``CompleteBody`` (WSGI middleware) reads each body up to
``server.max_body_bytes`` before the application sees it; ``init_app`` then answers a
short or unreadable one with a 400 on every route (JSON, or the manager's HTML page).
A larger body (a campaign upload, up to ``campaign.max_upload_bytes``; elsewhere Flask's
413) or a chunked one is read as a stream, through ``WholeBody``: the read that finds
it ended before its ``Content-Length``, or broken, raises the 400 there — before the
campaign is stored, whatever the body type (CSV streamed, multipart, JSON).

Example::

    app.wsgi_app = CompleteBody(app.wsgi_app, 65536)
"""

from __future__ import annotations

import io

from flask import Flask, request
from werkzeug.exceptions import BadRequest, ClientDisconnected

PROBLEM = "smsreply.body_problem"


class CompleteBody:
    def __init__(self, wsgi_app, max_bytes: int) -> None:
        self.wsgi_app = wsgi_app
        self.max_bytes = max_bytes

    def __call__(self, environ, start_response):
        length = environ.get("CONTENT_LENGTH", "")
        if length.isascii() and length.isdigit() and 0 < int(length) <= self.max_bytes:
            expected = int(length)
            try:
                body = _read(environ["wsgi.input"], expected)
            except Exception as error:  # gunicorn's parse errors are plain Exceptions
                environ[PROBLEM] = f"the request body cannot be read ({type(error).__name__})"
                body = b""
            else:
                if len(body) < expected:
                    environ[PROBLEM] = (
                        f"the request body ended after {len(body)} of the {expected} bytes "
                        "its Content-Length announced; nothing was stored"
                    )
            environ["wsgi.input"] = io.BytesIO(body)
        elif length.isascii() and length.isdigit() and int(length) > self.max_bytes:
            environ["wsgi.input"] = WholeBody(environ["wsgi.input"], int(length))
        elif "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower():
            environ["wsgi.input"] = WholeBody(environ["wsgi.input"], None)
        return self.wsgi_app(environ, start_response)


class WholeBody(io.RawIOBase):
    """A request body read as a stream that raises a 400 (``ClientDisconnected``) at the
    read that finds it shorter than ``expected`` bytes (its Content-Length), or unreadable
    (a broken chunked encoding: gunicorn raises plain exceptions)."""

    def __init__(self, stream, expected: int | None) -> None:
        super().__init__()
        self.stream = stream
        self.expected = expected
        self.received = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        size = len(buffer)
        if self.expected is not None:
            size = min(size, self.expected - self.received)
        if size <= 0:
            return 0
        try:
            data = self.stream.read(size)
        except Exception as error:
            raise ClientDisconnected(
                f"the request body cannot be read ({type(error).__name__}); nothing was stored"
            ) from None
        if not data and self.expected is not None:
            raise ClientDisconnected(
                f"the request body ended after {self.received} of the {self.expected} bytes "
                "its Content-Length announced; nothing was stored"
            )
        buffer[: len(data)] = data
        self.received += len(data)
        return len(data)


def _read(stream, size: int) -> bytes:
    chunks, left = [], size
    while left:
        chunk = stream.read(left)
        if not chunk:
            break
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def init_app(app: Flask) -> None:
    app.wsgi_app = CompleteBody(app.wsgi_app, app.config["MAX_CONTENT_LENGTH"])

    @app.before_request
    def refuse_incomplete_body() -> None:
        problem = request.environ.get(PROBLEM)
        if problem:
            raise BadRequest(problem)
