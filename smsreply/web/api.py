"""The JSON API under ``/api``: send messages, read conversations, set reply options, credits.

Every route but ``/api/health`` needs ``Authorization: Bearer <key>`` (the key printed by
``smsreply init``). Views are thin: parse, call the service, shape the answer.
"""

from __future__ import annotations

from flask import Blueprint, current_app, request
from werkzeug.datastructures import WWWAuthenticate
from werkzeug.exceptions import Unauthorized

from .. import reports
from ..credentials import check_api_key
from ..errors import ValidationError
from ..ledger_reasons import top_up
from ..results import RESULTS
from ..service import Service
from .idempotency import idempotent
from .payload import fields, json_object, query_int

bp = Blueprint("api", __name__, url_prefix="/api")


def service() -> Service:
    return current_app.extensions["smsreply"]


@bp.before_request
def authenticate():
    if request.endpoint == "api.health":
        return None
    header = request.headers.get("Authorization", "")
    scheme, _, key = header.partition(" ")
    if scheme.lower() != "bearer" or not key.strip():
        raise Unauthorized(
            "send the API key as 'Authorization: Bearer <key>'",
            www_authenticate=WWWAuthenticate("Bearer"),
        )
    if not check_api_key(service().store, key.strip()):
        # Only the newest key works: `smsreply api-key` revokes the one before it.
        raise Unauthorized(
            "unknown or revoked API key (`smsreply api-key` replaces the key; the old one "
            "stops working)",
            www_authenticate=WWWAuthenticate("Bearer", {"error": "invalid_token"}),
        )
    return None


@bp.get("/health")
def health():
    return {"ok": True}


@bp.post("/messages")
@idempotent
def send_message():
    data = fields(
        json_object(),
        {"to": (str,), "message": (str,), "tag": (str, type(None)), "smart_encoding": (bool,)},
        required={"to", "message"},
    )
    conversation = service().send_message(
        data["to"],
        data["message"],
        data.get("tag"),
        smart_encoding=data.get("smart_encoding", False),
    )
    return reports.conversation_summary(conversation, service().now_iso()), 201


@bp.get("/conversations")
def list_conversations():
    status = request.args.get("status") or None
    if status not in (None, "open", "closed"):
        raise ValidationError("query parameter 'status' must be open or closed", field="status")
    page = query_int("page", 1, 1, 10**6)
    per_page = query_int("per_page", 50, 1, 200)
    conversations, total = service().find_conversations(
        request.args.get("number"),
        request.args.get("tag"),
        status,
        per_page,
        (page - 1) * per_page,
    )
    return {"conversations": conversations, "page": page, "per_page": per_page, "total": total}


@bp.get("/replies")
def list_replies():
    """Replies, newest first; ``result=failed`` finds the runs that went wrong."""
    status = request.args.get("status") or None
    if status not in (None, "pending", "handled", "rejected"):
        raise ValidationError(
            "query parameter 'status' must be pending, handled or rejected", field="status"
        )
    result = request.args.get("result") or None
    if result not in (None, *RESULTS):
        raise ValidationError(
            "query parameter 'result' must be answered, no_answer or failed", field="result"
        )
    page = query_int("page", 1, 1, 10**6)
    per_page = query_int("per_page", 50, 1, 200)
    rows = service().store.latest_replies(per_page, (page - 1) * per_page, status, result)
    replies = [
        reports.reply_view(row) | {"conversation_id": row["conversation_id"]} for row in rows
    ]
    return {"replies": replies, "page": page, "per_page": per_page}


@bp.get("/conversations/<int:conversation_id>")
def get_conversation(conversation_id: int):
    return reports.conversation_detail(service().store, conversation_id, service().now_iso())


@bp.get("/reply-options")
def get_reply_options():
    return service().reply_options()


@bp.put("/reply-options")
def put_reply_options():
    return service().set_reply_options(json_object())


@bp.get("/credits")
def get_credits():
    limit = query_int("limit", 50, 1, 500)
    store = service().store
    return {
        "balance": store.balance(),
        "ledger": store.ledger(limit),
        "provider_balance": store.get_option("provider_credits"),
    }


@bp.post("/credits")
def add_credits():
    data = fields(json_object(), {"amount": (int,), "reason": (str,)}, required={"amount"})
    balance = service().add_credits(data["amount"], top_up(data.get("reason")))
    return {"balance": balance}, 201


@bp.get("/outbox")
def outbox():
    limit = query_int("limit", 50, 1, 500)
    return {"outbox": [reports.outbox_view(row) for row in service().store.list_outbox(limit)]}


@bp.get("/blacklist")
def list_blacklist():
    limit = query_int("limit", 100, 1, 1000)
    return {"blacklist": service().store.list_blacklist(limit)}


@bp.delete("/blacklist/<path:number>")
def remove_from_blacklist(number: str):
    service().remove_from_blacklist(number)
    return "", 204
