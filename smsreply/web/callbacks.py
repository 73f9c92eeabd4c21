"""The provider's callbacks: replies at ``/callbacks/<provider>/<token>`` and delivery
reports at ``/callbacks/<provider>/<token>/dlr``.

OVH posts ``shortcode``, ``tag``, ``id``, ``senderid``, ``message`` as a form (a GET query
works too); other providers parse their own fields (form, query or a JSON object). The
bytes are read as UTF-8, else as Windows-1252 (``charsets``: a reply is never refused
for its encoding). The reply is committed before the answer; the same provider id again
changes nothing and is still answered 200, as providers retry. Late or unmatched replies
are stored with their reason and answered 200 too: the provider did its job.

Callbacks are the one hot route — one for every reply — so they are served by a small
WSGI application of their own placed in front of the Flask app (werkzeug's request reads
the body, as Flask's does): a callback does not pay for Flask's request and app contexts,
sessions, hooks, URL map and response object, which cost more than the callback's own work
(``docs/performance.md``). What both applications answer is written once and called by
both: errors by ``errors.error_answer`` (the same statuses, JSON documents and protocol
headers: 405 with ``Allow``, 413, 503…), the security headers and the route by
``headers.headers_to_add``.
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass, replace
from typing import NamedTuple

from flask import Flask
from werkzeug.exceptions import BadRequest, Forbidden, MethodNotAllowed, NotFound
from werkzeug.http import HTTP_STATUS_CODES
from werkzeug.wrappers import Request

from ..accounts.credentials import check_callback_token
from ..monitoring import metrics
from ..providers import InvalidCallback
from ..service import Service
from . import charsets
from .body import PROBLEM
from .errors import error_answer
from .headers import headers_to_add
from .payload import parse_json, read_body

PREFIX = "/callbacks/"
REPLY_ROUTE = "/callbacks/<provider>/<token>"
DLR_ROUTE = "/callbacks/<provider>/<token>/dlr"
ROUTES = {REPLY_ROUTE: ("GET", "HEAD", "POST"), DLR_ROUTE: ("GET", "HEAD", "POST")}
_PATH = re.compile(r"/callbacks/([^/]+)/([^/]+)(/dlr)?")  # as werkzeug matches ROUTES

# Headers kept with a reply become the CGI scripts' HTTP_* variables; credentials never do.
DROPPED_HEADERS = {"authorization", "proxy-authorization", "cookie"}
MAX_HEADERS = 32
MAX_FIELDS = 32


@dataclass(frozen=True)
class Callback:
    fields: dict[str, str]
    charset: str  # "utf-8", or "windows-1252" when the bytes were not UTF-8
    raw: bytes  # the query and the body as received


def _read(request: Request) -> Callback:
    """Query, then an urlencoded or JSON body (body wins): UTF-8, else Windows-1252."""
    query = request.query_string
    fields, charset = _pairs(query)
    if request.method != "POST":
        return Callback(fields, charset, query)
    raw = read_body(cache=False, source=request)
    if request.mimetype == "application/json":
        text, body_charset = charsets.decode(raw)
        data = parse_json(text)
        if not isinstance(data, dict) or len(data) > MAX_FIELDS:
            raise BadRequest("the callback body must be a JSON object of at most 32 fields")
        fields.update(
            {
                key: value if isinstance(value, str) else json.dumps(value)
                for key, value in data.items()
            }
        )
    elif request.mimetype in ("application/x-www-form-urlencoded", ""):
        body_fields, body_charset = _pairs(raw)
        fields.update(body_fields)
    else:
        raise BadRequest("send the callback as application/x-www-form-urlencoded or JSON")
    if body_charset != charsets.UTF8:
        charset = body_charset
    return Callback(fields, charset, query + b"\n" + raw if query else raw)


def _pairs(raw: bytes) -> tuple[dict[str, str], str]:
    try:
        return charsets.form_pairs(raw, MAX_FIELDS)
    except ValueError as error:
        raise BadRequest(f"malformed form data: {error}") from None


class Callbacks:
    """The WSGI application for ``/callbacks/…``; any other path goes to ``app``."""

    def __init__(self, app, service: Service, max_body_bytes: int) -> None:
        self.app = app
        self.service = service
        self.max_body_bytes = max_body_bytes

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        if not path.startswith(PREFIX):
            return self.app(environ, start_response)
        started = time.perf_counter()
        route = "-"
        try:
            if environ.get(PROBLEM):  # a body cut short (``body.CompleteBody``)
                raise BadRequest(environ[PROBLEM])
            found = _PATH.fullmatch(path)
            if found is None:
                raise NotFound()
            provider, token, dlr = found.groups()
            route = DLR_ROUTE if dlr else REPLY_ROUTE
            if environ.get("REQUEST_METHOD") not in ("GET", "HEAD", "POST"):
                raise MethodNotAllowed(valid_methods=ROUTES[route])
            request = Request(environ)
            request.max_content_length = self.max_body_bytes  # larger: a 413
            view = delivery_report if dlr else reply
            answer = view(self.service, request, provider, token)
        except Exception as error:  # every error is answered, as the Flask app answers it
            status, document, protocol_headers = error_answer(error, self.max_body_bytes)
            answer = json_answer(document, status, protocol_headers)
        headers = [
            ("Content-Type", answer.content_type),
            ("Content-Length", str(len(answer.body))),
            *answer.headers,
        ]
        headers += headers_to_add((name for name, _ in headers), route)
        start_response(f"{answer.status} {HTTP_STATUS_CODES[answer.status]}", headers)
        kind = "dlr" if route == DLR_ROUTE else "reply" if route == REPLY_ROUTE else "-"
        metrics.callback_answered(kind, answer.status, time.perf_counter() - started)
        return [] if environ.get("REQUEST_METHOD") == "HEAD" else [answer.body]


class Answer(NamedTuple):
    status: int
    body: bytes
    content_type: str
    headers: list[tuple[str, str]]


def json_answer(data: dict, status: int = 200, headers=()) -> Answer:
    """As Flask's ``jsonify`` writes it (UTF-8, sorted keys, compact, a final newline)."""
    body = json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":")) + "\n"
    return Answer(status, body.encode(), "application/json", list(headers))


def init_app(app: Flask) -> None:
    app.wsgi_app = Callbacks(
        app.wsgi_app, app.extensions["smsreply"], app.config["MAX_CONTENT_LENGTH"]
    )


def _parser(service: Service, provider: str, token: str):
    if not check_callback_token(service.store, token):
        raise Forbidden("unknown callback token")
    parser = service.callback_parser(provider)
    if parser is None:
        raise NotFound(f"no callbacks for provider {provider!r} here")
    return parser


def reply(service: Service, request: Request, provider: str, token: str) -> Answer:
    parser = _parser(service, provider, token)
    callback = _read(request)
    try:
        inbound = parser.parse_reply(callback.fields)
    except InvalidCallback as error:
        raise BadRequest(str(error)) from None
    if callback.charset != charsets.UTF8:  # a guess: keep what came, to read it again
        inbound = replace(
            inbound, charset=callback.charset, raw_request=charsets.escaped(callback.raw)
        )
    headers = tuple(
        (name, value)
        for name, value in request.headers.items()
        if name.lower() not in DROPPED_HEADERS
    )[:MAX_HEADERS]
    reply, created = service.receive_reply(
        inbound, provider=parser.name, remote_addr=request.remote_addr or "", headers=headers
    )
    metrics.reply_received(parser.name, reply, created)
    if parser.acknowledgement:  # gateways such as Jasmin retry unless they read their token
        return Answer(200, parser.acknowledgement.encode(), "text/plain; charset=utf-8", [])
    return json_answer(
        {
            "ok": True,
            "reply_id": reply["id"],
            "duplicate": not created,
            "status": reply["status"],
            "reason": reply["reason"],
        }
    )


def delivery_report(service: Service, request: Request, provider: str, token: str) -> Answer:
    parser = _parser(service, provider, token)
    try:
        report = parser.parse_delivery_report(_read(request).fields)
    except InvalidCallback as error:
        raise BadRequest(str(error)) from None
    matched = service.record_delivery(report)
    metrics.delivery_report(parser.name, report.status, matched)
    return json_answer({"ok": True, "matched": matched, "status": report.status})
