"""The provider's callbacks: replies at ``/callbacks/<provider>/<token>`` and delivery
reports at ``/callbacks/<provider>/<token>/dlr``.

OVH posts ``shortcode``, ``tag``, ``id``, ``senderid``, ``message`` as a form (a GET query
works too); other providers parse their own fields (form, query or a JSON object). The
bytes are read as UTF-8, else as Windows-1252 (``charsets``: a reply is never refused
for its encoding). The reply is committed before the answer; the same provider id again
changes nothing and is still answered 200, as providers retry. Late or unmatched replies
are stored with their reason and answered 200 too: the provider did its job.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace

from flask import Blueprint, Response, current_app, request
from werkzeug.exceptions import BadRequest, Forbidden, NotFound

from ..credentials import check_callback_token
from ..providers import InvalidCallback
from . import charsets
from .payload import parse_json, read_body

bp = Blueprint("callbacks", __name__, url_prefix="/callbacks")

# Headers kept with a reply become the CGI scripts' HTTP_* variables; credentials never do.
DROPPED_HEADERS = {"authorization", "proxy-authorization", "cookie"}
MAX_HEADERS = 32
MAX_FIELDS = 32


@dataclass(frozen=True)
class Callback:
    fields: dict[str, str]
    charset: str  # "utf-8", or "windows-1252" when the bytes were not UTF-8
    raw: bytes  # the query and the body as received


def _read() -> Callback:
    """Query, then an urlencoded or JSON body (body wins): UTF-8, else Windows-1252."""
    query = request.query_string
    fields, charset = _pairs(query)
    if request.method != "POST":
        return Callback(fields, charset, query)
    raw = read_body(cache=False)
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


def _parser(provider: str, token: str):
    service = current_app.extensions["smsreply"]
    if not check_callback_token(service.store, token):
        raise Forbidden("unknown callback token")
    parser = service.callback_parser(provider)
    if parser is None:
        raise NotFound(f"no callbacks for provider {provider!r} here")
    return service, parser


@bp.route("/<provider>/<token>", methods=["GET", "POST"])
def reply(provider: str, token: str):
    service, parser = _parser(provider, token)
    callback = _read()
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
    if parser.acknowledgement:  # gateways such as Jasmin retry unless they read their token
        return Response(parser.acknowledgement, mimetype="text/plain")
    return {
        "ok": True,
        "reply_id": reply["id"],
        "duplicate": not created,
        "status": reply["status"],
        "reason": reply["reason"],
    }


@bp.route("/<provider>/<token>/dlr", methods=["GET", "POST"])
def delivery_report(provider: str, token: str):
    service, parser = _parser(provider, token)
    try:
        report = parser.parse_delivery_report(_read().fields)
    except InvalidCallback as error:
        raise BadRequest(str(error)) from None
    matched = service.record_delivery(report)
    return {"ok": True, "matched": matched, "status": report.status}
