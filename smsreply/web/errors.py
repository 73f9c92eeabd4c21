"""Every error as JSON ``{"error": {"code", "message"}}`` with the right status.

Domain errors carry their code and status; werkzeug's HTTP errors keep theirs (and their
protocol headers: ``Allow`` for a 405, ``WWW-Authenticate`` for a 401); a database
that cannot be written (disk full, read-only, locked too long, a PostgreSQL server down
or out of connections) is a 503 saying so, which a
provider retries; anything unexpected becomes a 500 with no traceback in the answer (it is
logged). ``error_answer`` decides all of it, once, for both applications: the Flask app's
error handlers (``init_app``) and the callbacks' own WSGI app (``callbacks.py``).
"""

from __future__ import annotations

import functools
import logging
from typing import NamedTuple

from flask import Flask, jsonify, request
from werkzeug.exceptions import HTTPException

from ..errors import SmsReplyError
from ..monitoring import metrics
from ..store import NotFound, storage_errors

log = logging.getLogger(__name__)

HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "too_large",
    415: "unsupported_media_type",
    422: "invalid",
}


class ErrorAnswer(NamedTuple):
    status: int
    document: dict  # {"error": {"code", "message", "field"?}}
    headers: list[tuple[str, str]]  # protocol headers the error carries (Allow…)


def error_answer(error: Exception, max_body_bytes: int) -> ErrorAnswer:
    """The answer to ``error`` on every route; ``max_body_bytes``: the limit a 413 names."""
    if isinstance(error, SmsReplyError):
        return ErrorAnswer(error.status, error_document(error.code, error.message, error.field), [])
    if isinstance(error, NotFound):
        return ErrorAnswer(404, error_document("not_found", str(error)), [])
    if isinstance(error, _storage_errors()):
        # Nothing was committed, so nothing is acknowledged: the provider sends it again.
        return ErrorAnswer(503, error_document("storage_unavailable", storage_message(error)), [])
    if isinstance(error, HTTPException):
        status = error.code or 500
        message = error.description or error.name
        if status == 413:
            message = too_large_message(max_body_bytes)
        code = HTTP_CODES.get(status, "http_error")
        headers = [(k, v) for k, v in error.get_headers() if k.lower() != "content-type"]
        return ErrorAnswer(status, error_document(code, message), headers)
    log.exception("unexpected error")
    return ErrorAnswer(500, error_document("internal", "internal error; see the server log"), [])


@functools.cache
def _storage_errors() -> tuple[type[Exception], ...]:
    return storage_errors()


def error_document(code: str, message: str, field: str | None = None) -> dict:
    error = {"code": code, "message": message}
    if field:
        error["field"] = field
    return {"error": error}


def too_large_message(limit: int) -> str:
    return f"the request body is larger than {limit} bytes"


def storage_message(error: Exception) -> str:
    """The 503's message (and log line) for a database that cannot be used right now."""
    problem = (str(error).strip() or type(error).__name__).splitlines()[0]
    log.error("database unavailable: %s", problem)
    metrics.database_error("request")
    return f"the database cannot be written ({problem}); try again later"


def init_app(app: Flask) -> None:
    def json_error(error: Exception):
        limit = request.max_content_length or app.config["MAX_CONTENT_LENGTH"]
        status, document, headers = error_answer(error, limit)
        return jsonify(document), status, headers

    def http_error(error: HTTPException):
        # The manager shows its own HTML pages, even for errors met before its views ran.
        wants_html, html_error = app.extensions.get("smsreply.html_errors", (None, None))
        if wants_html is not None and wants_html():
            return html_error(error)
        return json_error(error)

    app.register_error_handler(HTTPException, http_error)
    for error_class in (SmsReplyError, NotFound, *_storage_errors(), Exception):
        app.register_error_handler(error_class, json_error)
