"""Logging in and out of the manager, and choosing its language.

The session cookie (signed by Flask) holds a random token naming a session kept in the
database (``smsreply.accounts.sessions``): logout and a password change (``smsreply user passwd``)
end it in every worker, and it dies ``manager.session_hours`` after login however busy.
Failed logins slow down the next tries of that address for that user (and of a spraying
address), with growing delays (HTTP 429 with ``Retry-After``); never the user elsewhere.
"""

from __future__ import annotations

import logging
import math
import time

from flask import (
    Blueprint,
    Flask,
    current_app,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import ngettext

from ...accounts import sessions, throttle, users
from .. import csrf
from . import language
from .common import form_text, safe_next, service

log = logging.getLogger(__name__)

bp = Blueprint("auth", __name__)


def init_app(app: Flask) -> None:
    """The cookie's own expiry does not slide either: the server's is the one that counts."""
    app.config["SESSION_REFRESH_EACH_REQUEST"] = False


def now() -> float:
    # Wall time, not the service's clock (which tests move by days to age conversations).
    return time.time()


def load_user() -> dict | None:
    """The signed-in user, kept in ``g.user`` for the request."""
    if "user" not in g:
        g.user = current_user()
    return g.user


def current_user() -> dict | None:
    """The signed-in user, or None (no session, or it was ended or has expired)."""
    return sessions.session_user(service().store, session.get("sid"), now())


@bp.route("/login", methods=["GET", "POST"])
def login() -> ResponseReturnValue:
    next_url = request.values.get("next", "")
    if request.method == "GET" and g.user is not None:
        return redirect(safe_next(next_url))
    if request.method == "GET":
        return render_template("manager/login.html", next_url=next_url, username="", error=None)
    username = form_text("username")
    store = service().store
    keys = throttle.throttle_keys(request.remote_addr or "", username)
    wait = throttle.login_wait(store, keys, now())
    headers = {}
    if wait:
        seconds = math.ceil(wait)
        error = ngettext(
            "Too many tries. Try again in %(num)d second.",
            "Too many tries. Try again in %(num)d seconds.",
            seconds,
        )
        status = 429
        headers["Retry-After"] = str(seconds)
        log.info("manager login refused: too many tries, %d s to wait", seconds)
    else:
        user = users.verify(store, username, request.form.get("password", ""))
        if user is not None:
            throttle.login_succeeded(store, keys)
            sessions.end_session(store, session.get("sid"))
            session.clear()
            session.permanent = True
            hours = service().settings["manager.session_hours"]
            session["sid"] = sessions.open_session(store, user["username"], now(), hours)
            csrf.rotate()
            return redirect(safe_next(next_url))
        throttle.login_failed(store, keys, now())
        log.info("manager login refused: wrong user name or password")  # never what was typed
        error, status = _("Wrong user name or password."), 403
    page = render_template("manager/login.html", next_url=next_url, username=username, error=error)
    return page, status, headers


@bp.post("/logout")
def logout() -> ResponseReturnValue:
    sessions.end_session(service().store, session.get("sid"))
    session.clear()
    return redirect(url_for("manager.auth.login"))


@bp.get("/lang/<code>")
def set_language(code: str) -> ResponseReturnValue:
    response = redirect(safe_next(request.args.get("next")))
    if code in language.LANGUAGES:
        response.set_cookie(
            language.COOKIE,
            code,
            max_age=365 * 24 * 3600,
            httponly=True,
            samesite="Lax",
            secure=current_app.config["SESSION_COOKIE_SECURE"],
        )
    return response
