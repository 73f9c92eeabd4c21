"""Whole request bodies only: a body that ends before its ``Content-Length`` is refused.

Gunicorn hands the application whatever arrived before the client closed the
connection, and Flask parses it as if it were whole: a reply cut at ``…le+RDV+mais``
would be stored truncated and acknowledged, and the provider's retry with the full text
would then be a "duplicate". ``CompleteBody`` (WSGI middleware) reads each body up to
``server.max_body_bytes`` before the application sees it; ``init_app`` then answers a
short or unreadable one with a 400 on every route (JSON, or the manager's HTML page).
Larger bodies are left to Flask's 413.

Example::

    app.wsgi_app = CompleteBody(app.wsgi_app, 65536)
"""

from __future__ import annotations

import io

from flask import Flask, request
from werkzeug.exceptions import BadRequest

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
        return self.wsgi_app(environ, start_response)


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
