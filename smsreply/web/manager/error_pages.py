"""The manager's own error pages, in the page's language, never Werkzeug's English.

Errors raised by a manager view (a domain error, a lookup that misses, a CSRF failure, an
``abort``) are caught by the blueprint; errors that happen before any manager view is
chosen — a method a page does not take (405), a body too large (413) — are routed here by
the app's JSON error handler when the path is under ``/manager`` (``html_errors`` hook).
Protocol headers such as ``Allow`` are kept.

Example::

    attach(bp)         # at import: the blueprint's own errors
    init_app(app)      # then PUT /manager/compose is an HTML 405 page, in French or English
"""

from __future__ import annotations

import logging

from flask import Blueprint, Flask, render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import lazy_gettext as _l
from werkzeug.exceptions import HTTPException

from ...errors import SmsReplyError
from ...store import NotFound
from ..csrf import CSRFError
from . import auth, language
from .explain import explain

log = logging.getLogger(__name__)
PREFIX = "/manager"
DESCRIPTIONS = {
    400: _l("The request could not be read."),
    401: _l("Please log in."),
    403: _l("You may not do this."),
    404: _l("This page does not exist."),
    405: _l("This page does not take this kind of request."),
    413: _l("What was sent is too large."),
    429: _l("Too many requests: wait a little and try again."),
    500: _l("Something went wrong on the server; its log says what."),
    503: _l("The service is unavailable for a moment: try again shortly."),
}
CSRF_EXPIRED = _l("The form expired or did not come from this site: reload the page and retry.")


def page(status: int, message: str, headers: list | None = None) -> ResponseReturnValue:
    return render_template("manager/error.html", status=status, message=message), status, headers


def describe(error: HTTPException) -> str:
    if isinstance(error, CSRFError):
        return str(CSRF_EXPIRED)
    status = error.code or 500
    return str(DESCRIPTIONS.get(status, DESCRIPTIONS[500 if status >= 500 else 400]))


def http_error(error: HTTPException) -> ResponseReturnValue:
    # Keep protocol headers such as Allow (405) and Retry-After (429).
    headers = [(k, v) for k, v in error.get_headers() if k.lower() != "content-type"]
    return page(error.code or 500, describe(error), headers)


def wants_html() -> bool:
    return request.path == PREFIX or request.path.startswith(PREFIX + "/")


def outside_views(error: HTTPException) -> ResponseReturnValue:
    """An error met before a manager view ran: choose the language, know the user."""
    language.current()
    auth.load_user()
    return http_error(error)


def attach(bp: Blueprint) -> None:
    """The blueprint's handlers (at import, before it is registered on an app)."""
    bp.register_error_handler(HTTPException, http_error)

    @bp.errorhandler(NotFound)
    def not_found(error: NotFound) -> ResponseReturnValue:
        return page(404, explain(error))

    @bp.errorhandler(SmsReplyError)
    def domain_error(error: SmsReplyError) -> ResponseReturnValue:
        return page(error.status, explain(error))

    @bp.errorhandler(Exception)
    def unexpected(error: Exception) -> ResponseReturnValue:
        log.exception("unexpected error in the manager")
        return page(500, str(DESCRIPTIONS[500]))


def init_app(app: Flask) -> None:
    """Errors met under /manager before a manager view ran come here (see errors.py)."""
    app.extensions["smsreply.html_errors"] = (wants_html, outside_views)
