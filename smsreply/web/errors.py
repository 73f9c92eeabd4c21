"""Every error as JSON ``{"error": {"code", "message"}}`` with the right status.

Domain errors carry their code and status; werkzeug's HTTP errors keep theirs; a database
that cannot be written (disk full, read-only, locked too long, a PostgreSQL server down
or out of connections) is a 503 saying so, which a
provider retries; anything unexpected becomes a 500 with no traceback in the answer (it is
logged).
"""

from __future__ import annotations

import logging

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


def error_document(code: str, message: str, field: str | None = None) -> dict:
    error = {"code": code, "message": message}
    if field:
        error["field"] = field
    return {"error": error}


def error_response(status: int, code: str, message: str, field: str | None = None):
    return jsonify(error_document(code, message, field)), status


def too_large_message(limit: int) -> str:
    return f"the request body is larger than {limit} bytes"


def storage_message(error: Exception) -> str:
    """The 503's message (and log line) for a database that cannot be used right now."""
    problem = (str(error).strip() or type(error).__name__).splitlines()[0]
    log.error("database unavailable: %s", problem)
    metrics.database_error("request")
    return f"the database cannot be written ({problem}); try again later"


def init_app(app: Flask) -> None:
    @app.errorhandler(SmsReplyError)
    def domain_error(error: SmsReplyError):
        return error_response(error.status, error.code, error.message, error.field)

    @app.errorhandler(NotFound)
    def not_found(error: NotFound):
        return error_response(404, "not_found", str(error))

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        # The manager shows its own HTML pages, even for errors met before its views ran.
        wants_html, html_error = app.extensions.get("smsreply.html_errors", (None, None))
        if wants_html is not None and wants_html():
            return html_error(error)
        status = error.code or 500
        message = error.description or error.name
        if status == 413:
            limit = request.max_content_length or app.config["MAX_CONTENT_LENGTH"]
            message = too_large_message(limit)
        body, status = error_response(status, HTTP_CODES.get(status, "http_error"), message)
        # Keep protocol headers such as WWW-Authenticate (401) and Allow (405).
        headers = [(k, v) for k, v in error.get_headers() if k.lower() != "content-type"]
        return body, status, headers

    def storage_error(error: Exception):
        # Nothing was committed, so nothing is acknowledged: the provider sends it again.
        return error_response(503, "storage_unavailable", storage_message(error))

    for error_class in storage_errors():  # SQLite's and PostgreSQL's alike
        app.register_error_handler(error_class, storage_error)

    @app.errorhandler(Exception)
    def unexpected(error: Exception):
        log.exception("unexpected error")
        return error_response(500, "internal", "internal error; see the server log")
