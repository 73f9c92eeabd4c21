"""Gunicorn settings for smsreply, read from the same settings as the app.

``gunicorn -c config/gunicorn.conf.py app:app``; the bind address, workers and threads
come from ``server.*`` (config file or ``SMSREPLY_SERVER_*`` variables).
"""

from smsreply.settings import load_settings

_settings = load_settings()

bind = _settings["server.bind"]
workers = _settings["server.workers"]
threads = _settings["server.threads"]
worker_class = "gthread"
timeout = 60
graceful_timeout = 10
accesslog = "-"
# The callback token is part of the URL path: log the route, never the token.
access_log_format = '%(h)s "%(m)s %({x-smsreply-route}o)s" %(s)s %(B)s %(L)ss'
# Headers with "_" would share a CGI variable with their "-" twin (X_Foo and X-Foo both
# become HTTP_X_FOO): drop them so a script cannot be fooled (gunicorn's default, pinned).
header_map = "drop"
