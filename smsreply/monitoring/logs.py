"""Logs an operator can search: ``log.format = "json"`` writes one JSON object a line, and
every line of one request — gunicorn's access line and the application's own — carries the
same request id.

The id is the request's ``X-Request-Id`` when it looks like one (nginx sends its
``$request_id``: its access line shares it too), else a new random one; it is sent back in
the answer's ``X-Request-Id`` header, which gunicorn's JSON access line reads
(``ACCESS_JSON``). Application lines get it from a context variable set for the request's
thread. What is logged never holds a secret or a message's text (the callback token is
logged as the route, ``<token>``). ``text``, the default, keeps the classic lines.

Example::

    configure("INFO", "json")  # at start; then log.warning(...) lines are JSON
    app.wsgi_app = RequestIds(app.wsgi_app)
"""

from __future__ import annotations

import contextvars
import json
import logging
import re
import secrets
import sys
import time

REQUEST_ID: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")
HEADER = "X-Request-Id"
_VALID = re.compile(r"[A-Za-z0-9._-]{8,64}")
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"

# gunicorn's access line as JSON (config/gunicorn.conf.py); gunicorn escapes the atoms' quotes.
ACCESS_JSON = (
    '{"time": "%(t)s", "level": "INFO", "logger": "access", "client": "%(h)s", '
    '"method": "%(m)s", "route": "%({x-smsreply-route}o)s", "status": %(s)s, '
    '"bytes": %(B)s, "seconds": %(L)s, "request_id": "%({x-request-id}o)s"}'
)


class RequestIds:
    """WSGI middleware: a request id for each request, in the context and the answer."""

    def __init__(self, app) -> None:
        self.app = app

    def __call__(self, environ, start_response):
        given = environ.get("HTTP_X_REQUEST_ID", "")
        request_id = given if _VALID.fullmatch(given) else secrets.token_hex(8)
        REQUEST_ID.set(request_id)  # this thread serves this request until the next one

        def start(status, headers, exc_info=None):
            return start_response(status, [*headers, (HEADER, request_id)], exc_info)

        return self.app(environ, start)


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = REQUEST_ID.get()
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time, level, logger, message, request id, the exception."""

    def format(self, record: logging.LogRecord) -> str:
        line = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + f".{int(record.msecs):03d}Z",
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", None) or REQUEST_ID.get(),
        }
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False)


def configure(level: str, log_format: str) -> None:
    """The root logger's handler, unless one is there already (a test's, or a second app)."""
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(RequestIdFilter())
    handler.setFormatter(
        JsonFormatter() if log_format == "json" else logging.Formatter(TEXT_FORMAT)
    )
    logging.basicConfig(level=level, handlers=[handler])


def gunicorn_config(level: str) -> dict:
    """gunicorn's ``logconfig_dict`` for JSON: its own lines as JSON on stderr, the access
    lines (already JSON: ``ACCESS_JSON``) as they are on stdout, the root logger left to
    ``configure``."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "root": {"level": level, "handlers": []},
        "formatters": {
            "json": {"()": "smsreply.monitoring.logs.JsonFormatter"},
            "as_is": {"format": "%(message)s"},
        },
        "handlers": {
            "error_console": {
                "class": "logging.StreamHandler",
                "formatter": "json",
                "stream": "ext://sys.stderr",
            },
            "console": {
                "class": "logging.StreamHandler",
                "formatter": "as_is",
                "stream": "ext://sys.stdout",
            },
        },
        "loggers": {
            "gunicorn.error": {"level": "INFO", "handlers": ["error_console"], "propagate": False},
            "gunicorn.access": {"level": "INFO", "handlers": ["console"], "propagate": False},
        },
    }
