"""The JSON API under ``/api``: send messages, read conversations, set reply options, credits.

Every route but ``/api/health`` (liveness) and ``/api/ready`` (readiness) needs
``Authorization: Bearer <key>`` (the key printed by ``smsreply init``). Views are thin:
parse, call the service, shape the answer.
"""

from __future__ import annotations

from flask import Blueprint, current_app, request
from werkzeug.datastructures import WWWAuthenticate
from werkzeug.exceptions import Unauthorized

from .. import views
from ..accounts.credentials import check_api_key
from ..accounts.ledger_reasons import top_up
from ..monitoring import readiness
from ..service import Service
from .answers import (
    Balance,
    Blacklist,
    Conversation,
    ConversationDetail,
    ConversationPage,
    Credits,
    Health,
    NotReady,
    Outbox,
    ReplyPage,
)
from .contract import Contract
from .idempotency import IDEMPOTENCY_HEADER, idempotent
from .models import (
    FRENCH_MOBILE,
    AddCredits,
    BlacklistQuery,
    ConversationsQuery,
    CreditsQuery,
    OutboxQuery,
    RepliesQuery,
    SendMessage,
    check_french_mobile,
)
from .payload import json_object, refuse_nul_in_query

bp = Blueprint("api", __name__, url_prefix="/api")
api = Contract(bp, "/api")
# POST /api/messages answers the conversation; its id opens it (a tool follows the link).
CONVERSATION_LINK = {
    "GetConversation": {
        "operationId": "get_conversation",
        "parameters": {"conversation_id": "$response.body#/id"},
        "description": "The conversation just opened, with its SMS and replies",
    }
}


def service() -> Service:
    return current_app.extensions["smsreply"]


@bp.before_request
def authenticate():
    if request.endpoint in ("api.health", "api.ready"):
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


bp.before_request(refuse_nul_in_query)  # after the key check: strangers get a 401


@api.get("/health", "Liveness check", answers={200: ("Up", Health)}, public=True)
def health():
    """Liveness: the process answers (nothing else is checked)."""
    return {"ok": True}


@api.get(
    "/ready",
    "Readiness check: 503 while the database is unreachable or its schema behind",
    answers={200: ("Ready", Health), 503: ("Not ready, and why", NotReady)},
    public=True,
)
def ready():
    """Readiness: 503 while the database is unreachable or its schema behind."""
    problem = readiness.problem(service().store)
    if problem is not None:
        return {"ok": False, "problem": problem}, 503, {"Cache-Control": "no-store"}
    return {"ok": True}, 200, {"Cache-Control": "no-store"}


@api.post(
    "/messages",
    "Send a message from a reply-capable short code",
    body=SendMessage,
    answers={201: ("The conversation, open for replies", Conversation)},
    errors=(400, 402, 409, 413, 415, 422),
    links={201: CONVERSATION_LINK},
    headers=(IDEMPOTENCY_HEADER,),
    wrappers=(idempotent,),
)
def send_message(body: SendMessage):
    conversation = service().send_message(
        body.to, body.message, body.tag, smart_encoding=body.smart_encoding
    )
    return views.conversation_summary(conversation, service().now_iso()), 201


@api.get(
    "/conversations",
    "List conversations, newest first",
    query=ConversationsQuery,
    answers={200: ("A page", ConversationPage)},
    errors=(422,),
)
def list_conversations(query: ConversationsQuery):
    conversations, total = service().find_conversations(
        query.number, query.tag, query.status, query.per_page, (query.page - 1) * query.per_page
    )
    page, per_page = query.page, query.per_page
    return {"conversations": conversations, "page": page, "per_page": per_page, "total": total}


@api.get(
    "/replies",
    "List replies, newest first (result=failed: the runs that went wrong)",
    query=RepliesQuery,
    answers={200: ("A page", ReplyPage)},
    errors=(422,),
)
def list_replies(query: RepliesQuery):
    offset = (query.page - 1) * query.per_page
    rows = service().store.latest_replies(query.per_page, offset, query.status, query.result)
    replies = [views.reply_view(row) | {"conversation_id": row["conversation_id"]} for row in rows]
    return {"replies": replies, "page": query.page, "per_page": query.per_page}


@api.get(
    "/conversations/<int:conversation_id>",
    "One conversation with its SMS, replies, outcomes and answers",
    answers={200: ("The conversation", ConversationDetail)},
    errors=(404,),
)
def get_conversation(conversation_id: int):
    return views.conversation_detail(service().store, conversation_id, service().now_iso())


@api.get(
    "/reply-options",
    "What happens to each reply",
    answers={200: ("The options", "ReplyOptions")},
)
def get_reply_options():
    return service().reply_options()


@api.put(
    "/reply-options",
    "Replace the reply options (validated; the error names the field)",
    body="ReplyOptions",  # options.schema's models: the service checks them
    answers={200: ("The options as saved", "ReplyOptions")},
    errors=(400, 413, 415, 422),
)
def put_reply_options():
    return service().set_reply_options(json_object())


@api.get(
    "/credits",
    "The balance and the latest ledger lines, newest first",
    query=CreditsQuery,
    answers={200: ("Balance and ledger", Credits)},
    errors=(422,),
)
def get_credits(query: CreditsQuery):
    store = service().store
    return {
        "balance": store.balance(),
        "ledger": store.ledger(query.limit),
        "provider_balance": store.get_option("provider_credits"),
    }


@api.post(
    "/credits",
    "Add credits",
    body=AddCredits,
    answers={201: ("The new balance", Balance)},
    errors=(400, 413, 415, 422),
)
def add_credits(body: AddCredits):
    return {"balance": service().add_credits(body.amount, top_up(body.reason))}, 201


@api.get(
    "/outbox",
    "What the simulated provider was handed, newest first",
    query=OutboxQuery,
    answers={200: ("The outbox", Outbox)},
    errors=(422,),
)
def outbox(query: OutboxQuery):
    rows = service().store.list_outbox(query.limit)
    return {"outbox": [views.outbox_view(row) for row in rows]}


@api.get(
    "/blacklist",
    "Numbers that replied STOP, newest first",
    query=BlacklistQuery,
    answers={200: ("The blacklist", Blacklist)},
    errors=(422,),
)
def list_blacklist(query: BlacklistQuery):
    return {"blacklist": service().store.list_blacklist(query.limit)}


@api.delete(
    "/blacklist/<path:number>",
    "Let a number that replied STOP receive messages again",
    answers={204: ("Removed", None)},
    errors=(404, 422),
    path_schemas={"number": {"type": "string", "pattern": FRENCH_MOBILE}},
)
def remove_from_blacklist(number: str):
    service().remove_from_blacklist(check_french_mobile(number, "number"))
    return "", 204
