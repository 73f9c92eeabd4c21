"""The Flask application factory: a checklist of ``register_*`` steps.

``create_app()`` reads the settings (``SMSREPLY_CONFIG`` and ``SMSREPLY_*``), applies
pending migrations and builds the service, and nothing else: no thread, no poller, no
connection left open (so gunicorn's ``preload_app`` forks it safely). Background work is
started per process by ``background.Background`` — from gunicorn's ``post_worker_init``
hook, or ``smsreply worker``. Tests drive work by hand with ``service.drain()``.

Example::

    app = create_app(overrides={"database.path": "/tmp/sms.db"})
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from flask import Flask, request, send_from_directory
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter

from ..clock import Clock, utcnow
from ..monitoring import logs
from ..service import Service
from ..settings import load_settings
from ..store import Store
from . import api, body, callbacks, campaigns_api, document, errors, metrics
from .headers import add_headers
from .manager import register_manager


def create_app(
    settings: Mapping[str, object] | None = None,
    *,
    overrides: Mapping[str, object] | None = None,
    clock: Clock = utcnow,
    project_dir: Path | None = None,
) -> Flask:
    settings = settings if settings is not None else load_settings(overrides=overrides)
    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = settings["server.max_body_bytes"]
    app.json.ensure_ascii = False
    app.url_map.converters["int"] = RowId
    register_logging(settings)
    register_service(app, settings, clock, project_dir)
    errors.init_app(app)
    callbacks.init_app(app)  # before the body check and the proxy fix: they wrap it
    body.init_app(app)
    register_proxy_trust(app, settings)
    register_request_ids(app, settings)  # outermost: every line of a request shares its id
    app.register_blueprint(api.bp)
    app.register_blueprint(campaigns_api.bp)
    document.init_app(app)
    metrics.init_app(app)
    register_manager(app)
    register_favicon(app)
    register_security_headers(app)
    # Last: the steps above may have read the store (the manager's secret key); each process
    # and thread opens its own connection when it needs one, so none is left to a fork.
    app.extensions["smsreply"].store.close()
    return app


class RowId(IntegerConverter):
    """``<int:…>`` in our routes: a row id fits SQLite's 64-bit integer, so a longer one
    matches no route (a 404) instead of overflowing the database driver (a 500)."""

    def __init__(self, url_map, *args, **kwargs) -> None:
        kwargs.setdefault("max", 2**63 - 1)
        super().__init__(url_map, *args, **kwargs)


def register_proxy_trust(app: Flask, settings: Mapping[str, object]) -> None:
    """Behind ``server.proxy_hops`` proxies, the client is the address they forwarded.

    Explicit and off by default: without a proxy, X-Forwarded-For is whatever the client
    wrote, and trusting it would let anyone choose the address scripts and the login
    throttle see."""
    hops = settings["server.proxy_hops"]
    if hops:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)


def register_logging(settings: Mapping[str, object]) -> None:
    logs.configure(settings["log.level"], settings["log.format"])


def register_request_ids(app: Flask, settings: Mapping[str, object]) -> None:
    """With JSON logs, each request's id in its log lines and its ``X-Request-Id``."""
    if settings["log.format"] == "json":
        app.wsgi_app = logs.RequestIds(app.wsgi_app)


def register_service(
    app: Flask, settings: Mapping[str, object], clock: Clock, project_dir: Path | None
) -> Service:
    store = Store.from_settings(settings)
    try:
        store.migrate()
        service = Service(settings, store, clock=clock, project_dir=project_dir)
    except BaseException:  # a bad setting: leave no connection pool behind
        store.close()
        raise
    app.extensions["smsreply"] = service
    return service


def register_favicon(app: Flask) -> None:
    """``/favicon.ico``, which browsers ask for on every page whatever the page links (a
    32-px PNG in an ICO, drawn from ``static/favicon.svg``)."""
    folder = Path(__file__).resolve().parent.parent / "static"

    @app.get("/favicon.ico")
    def favicon():
        return send_from_directory(folder, "favicon.ico", mimetype="image/x-icon", max_age=86400)


def register_security_headers(app: Flask) -> None:
    @app.after_request
    def secure(response):
        add_headers(response.headers, request.url_rule.rule if request.url_rule else "-")
        return response
