"""Logging in and out of the manager, and choosing its language.

The session cookie (signed by Flask) holds the user name and a fingerprint of the
user's password hash: changing a password (``smsreply user passwd``) ends that user's
other sessions. Failed logins are counted per user name and per address; past the
limit, the form refuses tries for a few minutes (HTTP 429).
"""

from __future__ import annotations

import hashlib
import hmac

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

from ... import users
from .. import csrf
from . import language
from .common import form_text, safe_next, service

bp = Blueprint("auth", __name__)
THROTTLES = "smsreply.login_throttles"


def init_app(app: Flask) -> None:
    """Failure counters per user name and per address, one pair per app (per process)."""
    app.extensions[THROTTLES] = (
        users.LoginThrottle(max_failures=5, window=300.0),
        users.LoginThrottle(max_failures=30, window=300.0),
    )


def fingerprint(user: dict) -> str:
    key = str(current_app.secret_key).encode()
    return hmac.new(key, user["password_hash"].encode(), hashlib.sha256).hexdigest()


def load_user() -> dict | None:
    """The signed-in user, kept in ``g.user`` for the request."""
    if "user" not in g:
        g.user = current_user()
    return g.user


def current_user() -> dict | None:
    """The signed-in user, or None (no session, or the password changed since)."""
    name = session.get("user")
    if not name:
        return None
    user = service().store.find_user(name)
    if user is None or not hmac.compare_digest(session.get("auth", ""), fingerprint(user)):
        return None
    return user


@bp.route("/login", methods=["GET", "POST"])
def login() -> ResponseReturnValue:
    next_url = request.values.get("next", "")
    if request.method == "GET" and g.user is not None:
        return redirect(safe_next(next_url))
    if request.method == "GET":
        return render_template("manager/login.html", next_url=next_url, username="", error=None)
    username = form_text("username")
    per_user, per_address = current_app.extensions[THROTTLES]
    keys = ("user:" + username.lower(), "addr:" + (request.remote_addr or "-"))
    wait = max(per_user.retry_after(keys[0]), per_address.retry_after(keys[1]))
    if wait:
        minutes = int(wait // 60) + 1
        error = ngettext(
            "Too many tries. Try again in %(num)d minute.",
            "Too many tries. Try again in %(num)d minutes.",
            minutes,
        )
        status = 429
    else:
        user = users.verify(service().store, username, request.form.get("password", ""))
        if user is not None:
            per_user.succeeded(keys[0])
            session.clear()
            session.permanent = True
            session["user"] = user["username"]
            session["auth"] = fingerprint(user)
            csrf.rotate()
            return redirect(safe_next(next_url))
        per_user.failed(keys[0])
        per_address.failed(keys[1])
        error, status = _("Wrong user name or password."), 403
    page = render_template("manager/login.html", next_url=next_url, username=username, error=error)
    return page, status


@bp.post("/logout")
def logout() -> ResponseReturnValue:
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
