"""Gunicorn settings for smsreply, read from the same settings as the app.

``gunicorn -c config/gunicorn.conf.py app:app``; the bind address, workers and threads
come from ``server.*`` (config file or ``SMSREPLY_SERVER_*`` variables).
"""

import errno
import os
import socket
import sys
from pathlib import Path

from smsreply.project import base_url_mismatch
from smsreply.setting_values import bind_address
from smsreply.settings import ConfigError, load_settings
from smsreply.store import DatabaseUnavailable, Store

try:
    _settings = load_settings()
except ConfigError as error:  # one clear line, before any worker starts
    print(f"smsreply: configuration error: {error}", file=sys.stderr)
    sys.exit(1)

# Metrics of every worker add up (prometheus_client's multiprocess mode): their folder is
# emptied before any worker starts, and named before anything imports prometheus_client.
_metrics = Path(_settings["metrics.directory"])
_metrics.mkdir(mode=0o700, parents=True, exist_ok=True)
for _stale in _metrics.glob("*.db"):
    _stale.unlink(missing_ok=True)  # another start emptying it too
os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(_metrics.resolve())

try:  # the database reachable, usable and migrated before any worker starts
    _store = Store.from_settings(_settings)
    _store.migrate()
    _store.close()
except DatabaseUnavailable as error:  # one line naming the problem, never the password
    print(f"smsreply: {error}", file=sys.stderr)
    sys.exit(1)

bind = _settings["server.bind"]
if not bind.startswith(("127.", "localhost:", "[::1]:", "unix:")):
    print(
        f"smsreply: warning: server.bind = {bind} is reachable from other machines; gunicorn "
        "must not face the internet without deploy/nginx.conf in front (docs/deployment.md)",
        file=sys.stderr,
    )
_mismatch = base_url_mismatch(_settings)
if _mismatch:  # printed URLs and simulated reports would miss this server
    print(f"smsreply: warning: {_mismatch}", file=sys.stderr)
workers = _settings["server.workers"]
threads = _settings["server.threads"]
worker_class = "gthread"
timeout = 60
graceful_timeout = 10
accesslog = "-"
# The callback token is part of the URL path: log the route, never the token.
access_log_format = '%(h)s "%(m)s %({x-smsreply-route}o)s" %(s)s %(B)s %(L)ss'
if _settings["log.format"] == "json":  # one JSON object a line, sharing the request id
    from smsreply.monitoring import logs

    access_log_format = logs.ACCESS_JSON
    logconfig_dict = logs.gunicorn_config(_settings["log.level"])
# Headers with "_" would share a CGI variable with their "-" twin (X_Foo and X-Foo both
# become HTTP_X_FOO): drop them so a script cannot be fooled (gunicorn's default, pinned).
header_map = "drop"


def on_starting(server):
    """A busy port says which setting to change, instead of gunicorn's five retries."""
    host, port = bind_address(bind)
    if not port:  # unix socket, or port 0 (any free port)
        return
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as error:
            if error.errno != errno.EADDRINUSE:
                return  # gunicorn reports other errors itself
            print(
                f"smsreply: port {port} on {host} is already in use (server.bind = {bind!r}): "
                "stop the other server, or choose another address with server.bind in "
                f"config/smsreply.toml or SMSREPLY_SERVER_BIND, e.g. {host}:{port + 1}",
                file=sys.stderr,
            )
            sys.exit(1)


def post_worker_init(worker):
    """Start this worker process's background work (after the fork: safe with preload_app)."""
    from smsreply.engine.background import start_for_app
    from smsreply.monitoring.cputime import instrument_server

    instrument_server(_settings)  # CPU by part when server.cpu_ledger is set (the bench)
    worker.smsreply_background = start_for_app(worker.wsgi)


def worker_exit(server, worker):
    """Let the jobs running finish (within graceful_timeout); queued ones keep their lease."""
    background = getattr(worker, "smsreply_background", None)
    if background is not None:
        background.stop(timeout=graceful_timeout - 2)
    from smsreply.monitoring.cputime import write

    write(_settings["server.cpu_ledger"])  # after the background work has stopped


def child_exit(server, worker):
    """A worker gone: its live gauges stop counting (its counters' totals stay)."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)
