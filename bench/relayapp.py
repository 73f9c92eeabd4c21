"""The relay floor: the least any reply server on this stack can do for a reply.

A WSGI app, served by gunicorn with the same ``config/gunicorn.conf.py`` as smsreply, that
reads each callback's form, hands one answer to the operator (the sink's ``/send``, the
fields smsreply's ``http`` provider sends) over a kept-alive ``http.client`` connection of
its thread, and answers 200 — in the request's own thread, storing nothing, with no rule,
no ledger, no retry. Both HTTP exchanges of a reply and nothing else: what smsreply's
`text` action is compared with, beside the empty app (one exchange).
"""

from __future__ import annotations

import http.client
import os
import threading
from urllib.parse import parse_qsl, urlencode, urlsplit

BODY = b'{"ok": true}'
_SINK = urlsplit(os.environ.get("SMSREPLY_HTTP_SEND_URL", "http://127.0.0.1:9/send"))
_local = threading.local()


def _send(form: bytes) -> None:
    connection = getattr(_local, "connection", None)
    if connection is None:
        connection = _local.connection = http.client.HTTPConnection(_SINK.netloc, timeout=10)
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    connection.request("POST", _SINK.path, form, headers)
    response = connection.getresponse()
    response.read()
    if response.status != 200:
        raise RuntimeError(f"the sink answered {response.status}")


def app(environ, start_response):
    length = int(environ.get("CONTENT_LENGTH") or 0)
    fields = dict(parse_qsl(environ["wsgi.input"].read(length).decode()))
    answer = {
        "to": fields.get("senderid", ""),
        "from": fields.get("shortcode", ""),
        "content": "Merci",
        "tag": fields.get("tag", ""),
        "id": fields.get("id", ""),
    }
    _send(urlencode(answer).encode())
    start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", "12")])
    return [BODY]
