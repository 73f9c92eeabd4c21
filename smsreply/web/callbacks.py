"""The provider's callbacks: OVH's reply callback at ``/callbacks/ovh/<token>``.

OVH posts ``shortcode``, ``tag``, ``id``, ``senderid``, ``message`` as a form (a GET query
works too). The reply is committed before the answer; the same ``id`` again changes
nothing and is still answered 200, as providers retry. Late or unmatched replies are
stored with their reason and answered 200 too: the provider did its job.
"""

from __future__ import annotations

from urllib.parse import parse_qsl

from flask import Blueprint, current_app, request
from werkzeug.exceptions import BadRequest, Forbidden

from ..credentials import check_callback_token
from ..providers import InvalidCallback
from ..providers.ovh_form import parse_ovh_reply

bp = Blueprint("callbacks", __name__, url_prefix="/callbacks")

# Headers kept with a reply become the CGI scripts' HTTP_* variables; credentials never do.
DROPPED_HEADERS = {"authorization", "proxy-authorization", "cookie"}
MAX_HEADERS = 32


def _form_fields() -> dict[str, str]:
    """Query and urlencoded body (body wins), decoded strictly as UTF-8."""
    fields: dict[str, str] = {}
    sources = [request.query_string]
    if request.method == "POST":
        if request.mimetype not in ("application/x-www-form-urlencoded", ""):
            raise BadRequest("send the callback as application/x-www-form-urlencoded")
        sources.append(request.get_data(cache=False))
    for raw in sources:
        try:
            pairs = parse_qsl(
                raw.decode("utf-8"),
                keep_blank_values=True,
                strict_parsing=False,
                encoding="utf-8",
                errors="strict",
                max_num_fields=32,
            )
        except UnicodeDecodeError:
            raise BadRequest("the callback is not valid UTF-8 once URL-decoded") from None
        except ValueError as error:
            raise BadRequest(f"malformed form data: {error}") from None
        fields.update(pairs)
    return fields


@bp.route("/ovh/<token>", methods=["GET", "POST"])
def ovh_reply(token: str):
    service = current_app.extensions["smsreply"]
    if not check_callback_token(service.store, token):
        raise Forbidden("unknown callback token")
    try:
        inbound = parse_ovh_reply(_form_fields())
    except InvalidCallback as error:
        raise BadRequest(str(error)) from None
    headers = tuple(
        (name, value)
        for name, value in request.headers.items()
        if name.lower() not in DROPPED_HEADERS
    )[:MAX_HEADERS]
    reply, created = service.receive_reply(
        inbound, provider="ovh", remote_addr=request.remote_addr or "", headers=headers
    )
    return {
        "ok": True,
        "reply_id": reply["id"],
        "duplicate": not created,
        "status": reply["status"],
        "reason": reply["reason"],
    }
