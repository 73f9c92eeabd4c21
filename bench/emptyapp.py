"""The empty-app floor: a WSGI app that reads the body and answers 200, and nothing else.

Served by gunicorn with the same ``config/gunicorn.conf.py`` as smsreply, it shows how many
callbacks per second the web layer alone (gunicorn, the load generator, loopback TCP) can
take on this machine: the ceiling any action's throughput is compared with.
"""

from __future__ import annotations

BODY = b'{"ok": true}'


def app(environ, start_response):
    length = int(environ.get("CONTENT_LENGTH") or 0)
    if length:
        environ["wsgi.input"].read(length)
    start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", "12")])
    return [BODY]
