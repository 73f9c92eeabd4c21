"""The web manager under ``/manager``: OVH's "SMS avec réponse" screens, in the browser.

One parent blueprint carries what every page shares — the login check, CSRF, the
language, HTML error pages (``error_pages``), a strict Content-Security-Policy — and small child
blueprints carry the screens: ``auth`` (login, logout, language), ``compose``,
``campaigns``, ``options``, ``conversations`` (and replies), ``credits``, ``blacklist``
and ``console``.
An unknown ``/manager/...`` URL is routed to the parent too, so it gets the login redirect
or the HTML error page instead of the API's JSON 404.
``register_manager(app)`` also sets up the session: a secret generated once and kept in
the database (so every gunicorn worker signs alike), and cookie flags.

Example::

    register_manager(app)  # then GET /manager/ redirects to /manager/login
"""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

from flask import (
    Blueprint,
    Flask,
    Response,
    abort,
    g,
    redirect,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue

from ...accounts.credentials import ensure_secret
from ...store import Store
from ...text.nul import refuse_nul_in_pairs
from .. import csrf
from . import (
    auth,
    blacklist,
    campaigns,
    compose,
    console,
    conversations,
    credits,
    error_pages,
    language,
    numbers,
    options,
    outcome_text,
)
from .common import service
from .dates import when
from .labels import label
from .ledger_text import ledger_reason
from .rejections import rejection_detail

PACKAGE_DIR = Path(__file__).resolve().parent.parent.parent
SESSION_SECRET = "session_secret"
# No inline script or style anywhere: JS and CSS come from /manager/static only.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
)
PUBLIC_ENDPOINTS = {"manager.static", "manager.auth.login", "manager.auth.set_language"}

bp = Blueprint(
    "manager",
    __name__,
    url_prefix="/manager",
    template_folder=str(PACKAGE_DIR / "templates"),
    static_folder=str(PACKAGE_DIR / "static"),
    static_url_path="/static",
)
for child in (auth, compose, campaigns, options, conversations, credits, blacklist, console):
    bp.register_blueprint(child.bp)


@bp.before_request
def choose_language_and_require_login() -> ResponseReturnValue | None:
    language.current()
    auth.load_user()
    if request.endpoint == "manager.campaigns.index":  # a CSV upload: before CSRF reads it
        request.max_content_length = service().settings["campaign.max_upload_bytes"]
    if g.user is None and request.endpoint not in PUBLIC_ENDPOINTS:
        return redirect(url_for("manager.auth.login", next=request.full_path.rstrip("?")))
    return None


csrf.protect(bp)  # after the login check: an anonymous POST goes to the login page first


@bp.before_request
def refuse_nul() -> None:
    """After CSRF (which reads the form within the upload limit): no NUL in any field."""
    refuse_nul_in_pairs(request.args.items(multi=True), "query")
    refuse_nul_in_pairs(request.form.items(multi=True), "form")


error_pages.attach(bp)


# Werkzeug ranks a <path:> rule last, so this only catches URLs no screen claims; being a
# route of ``bp`` it gets the login check and the HTML errors (the app's 404 is JSON).
@bp.route("/<path:unknown>", methods=["GET", "POST"])
def unknown_page(unknown: str) -> ResponseReturnValue:
    abort(404)


@bp.after_request
def manager_headers(response: Response) -> Response:
    response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    response.headers["Cross-Origin-Opener-Policy"] = "same-origin"
    response.headers.setdefault("Vary", "Cookie, Accept-Language")
    return response


@bp.app_context_processor  # app-wide: error pages met before a manager view use it too
def page_globals() -> dict:
    user = getattr(g, "user", None)
    low = service().settings["manager.low_balance"]
    balance = service().store.balance() if user else None
    return {
        "lang": language.current(),
        "label": label,
        "user": user,
        "balance": balance,
        "low_balance": balance is not None and balance < low,
        "languages": language.LANGUAGES,
    }


def session_secret(store: Store) -> str:
    """The key that signs session cookies: made once, shared by every process."""
    return ensure_secret(store, SESSION_SECRET, 48)


def register_manager(app: Flask) -> None:
    """Mount the manager at /manager, with its session settings; / leads to it."""
    settings = app.extensions["smsreply"].settings
    app.secret_key = session_secret(app.extensions["smsreply"].store)
    app.config.update(
        SESSION_COOKIE_NAME="smsreply_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=str(settings["server.base_url"]).startswith("https://"),
        PERMANENT_SESSION_LIFETIME=timedelta(hours=settings["manager.session_hours"]),
    )
    csrf.init_app(app)
    auth.init_app(app)
    language.init_app(app, settings["manager.timezone"])
    error_pages.init_app(app)
    app.jinja_env.filters["when"] = when
    app.jinja_env.filters["pretty"] = pretty
    app.jinja_env.filters["split_outcome"] = split_outcome
    app.jinja_env.filters["describe_outcome"] = outcome_text.describe
    app.jinja_env.filters["ledger_reason"] = ledger_reason
    app.jinja_env.filters["rejection_detail"] = rejection_detail
    app.jinja_env.filters["percent"] = numbers.percent
    app.jinja_env.filters["number"] = numbers.number
    app.register_blueprint(bp)
    app.add_url_rule("/", "manager_home", lambda: redirect(url_for("manager.conversations.index")))


def pretty(value: object) -> str:
    """Lists and objects in an outcome, as indented JSON (escaped by the template)."""
    return json.dumps(value, ensure_ascii=False, indent=2, default=str)


def split_outcome(outcome: dict) -> tuple[list, list]:
    """An action's outcome as (short facts, blocks): output, JSON and the environment get
    room of their own; whatever keys an action records are shown."""
    facts, blocks = [], []
    for key, value in outcome.items():
        long_text = isinstance(value, str) and ("\n" in value or key in ("stdout", "stderr"))
        is_block = value and (isinstance(value, dict | list) or long_text)
        (blocks if is_block else facts).append((key, value))
    return facts, blocks
