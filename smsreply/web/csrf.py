"""Cross-site request forgery protection for the manager's forms: one token per session.

The token is 256 random bits kept in the signed session cookie; every form carries it in
a hidden ``csrf_token`` field (templates call ``csrf_token()``), and every POST to a
protected blueprint must send it back. A page from another site cannot read the token,
so it cannot forge a form that passes. Comparison is constant-time.

Example::

    csrf.init_app(app)        # csrf_token() in templates
    csrf.protect(manager_bp)  # POSTs without the right token get 400
"""

from __future__ import annotations

import hmac
import secrets

from flask import Blueprint, Flask, request, session
from werkzeug.exceptions import BadRequest

SESSION_KEY = "csrf"
FIELD = "csrf_token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class CSRFError(BadRequest):
    description = "The form expired or did not come from this site; reload the page and retry."


def csrf_token() -> str:
    """The session's token, created on first use."""
    token = session.get(SESSION_KEY)
    if not token:
        token = session[SESSION_KEY] = secrets.token_urlsafe(32)
    return token


def rotate() -> str:
    """A fresh token, at login, so a token seen before it is worth nothing after."""
    session.pop(SESSION_KEY, None)
    return csrf_token()


def check() -> None:
    """Raise ``CSRFError`` unless this unsafe request carries the session's token."""
    if request.method in SAFE_METHODS:
        return
    expected = session.get(SESSION_KEY, "")
    sent = request.form.get(FIELD, "")
    if not expected or not hmac.compare_digest(expected.encode(), sent.encode()):
        raise CSRFError()


def init_app(app: Flask) -> None:
    app.jinja_env.globals["csrf_token"] = csrf_token


def protect(blueprint: Blueprint) -> None:
    blueprint.before_request(check)
