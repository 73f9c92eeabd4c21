"""The provider's callbacks: replies at ``/callbacks/<provider>/<token>`` and delivery
reports at ``/callbacks/<provider>/<token>/dlr``.

OVH posts ``shortcode``, ``tag``, ``id``, ``senderid``, ``message`` as a form (a GET query
works too); other providers parse their own fields (form, query or a JSON object). The
reply is committed before the answer; the same provider id again changes nothing and is
still answered 200, as providers retry. Late or unmatched replies are stored with their
reason and answered 200 too: the provider did its job.
"""

from __future__ import annotations

import json
from urllib.parse import parse_qsl

from flask import Blueprint, Response, current_app, request
from werkzeug.exceptions import BadRequest, Forbidden, NotFound

from ..credentials import check_callback_token
from ..providers import InvalidCallback
from .payload import parse_json, read_body

bp = Blueprint("callbacks", __name__, url_prefix="/callbacks")

# Headers kept with a reply become the CGI scripts' HTTP_* variables; credentials never do.
DROPPED_HEADERS = {"authorization", "proxy-authorization", "cookie"}
MAX_HEADERS = 32
MAX_FIELDS = 32


def _fields() -> dict[str, str]:
    """Query, then an urlencoded or JSON body (body wins), decoded strictly as UTF-8."""
    fields = _pairs(request.query_string)
    if request.method != "POST":
        return fields
    raw = read_body(cache=False)
    if request.mimetype == "application/json":
        try:
            data = parse_json(raw.decode("utf-8"))
        except UnicodeDecodeError as error:
            raise BadRequest(f"the callback body is not valid UTF-8 JSON: {error}") from None
        if not isinstance(data, dict) or len(data) > MAX_FIELDS:
            raise BadRequest("the callback body must be a JSON object of at most 32 fields")
        fields.update(
            {
                key: value if isinstance(value, str) else json.dumps(value)
                for key, value in data.items()
            }
        )
    elif request.mimetype in ("application/x-www-form-urlencoded", ""):
        fields.update(_pairs(raw))
    else:
        raise BadRequest("send the callback as application/x-www-form-urlencoded or JSON")
    return fields


def _pairs(raw: bytes) -> dict[str, str]:
    try:
        return dict(
            parse_qsl(
                raw.decode("utf-8"),
                keep_blank_values=True,
                encoding="utf-8",
                errors="strict",
                max_num_fields=MAX_FIELDS,
            )
        )
    except UnicodeDecodeError:
        raise BadRequest("the callback is not valid UTF-8 once URL-decoded") from None
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
    try:
        inbound = parser.parse_reply(_fields())
    except InvalidCallback as error:
        raise BadRequest(str(error)) from None
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
        report = parser.parse_delivery_report(_fields())
    except InvalidCallback as error:
        raise BadRequest(str(error)) from None
    matched = service.record_delivery(report)
    return {"ok": True, "matched": matched, "status": report.status}
