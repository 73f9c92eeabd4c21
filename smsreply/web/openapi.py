"""The OpenAPI 3.1 description of the JSON API and the provider callbacks, written as data.

Served without authentication at ``/api/openapi.json``. A test walks ``app.url_map`` and
fails when a route under ``/api/`` or ``/callbacks/`` is missing here, or documented here
but gone, so the document cannot drift from the code. Plain fields are written compactly
(``"id:int shortcode:str?"``, ``?`` meaning "or null"); the reply options' schemas come from
their pydantic models (``reply_options.json_schemas``); ``docs/api.md`` is the human
reference with curl examples.

Example::

    curl -s http://127.0.0.1:8080/api/openapi.json | jq '.paths | keys'
"""

from __future__ import annotations

from flask import Blueprint

from .. import __version__, reply_options
from . import openapi_campaigns

bp = Blueprint("openapi", __name__)

TYPES = {
    "int": {"type": "integer"},
    "str": {"type": "string"},
    "bool": {"type": "boolean"},
    "time": {"type": "string", "format": "date-time"},
    "obj": {"type": "object"},
}


def ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def nullable(schema: dict) -> dict:
    return {"oneOf": [schema, {"type": "null"}]}


def fields(spec: str, **more: dict) -> dict:
    """``"id:int tag:str?"`` → JSON Schema properties; ``more`` adds richer ones."""
    properties: dict = {}
    for item in spec.split():
        name, kind = item.split(":")
        schema = dict(TYPES[kind.rstrip("?")])
        if kind.endswith("?"):
            schema["type"] = [schema["type"], "null"]
        properties[name] = schema
    return properties | more


def obj(properties: dict, required: str = "", **extra: object) -> dict:
    schema = {"type": "object", "properties": properties, **extra}
    if required:
        schema["required"] = required.split()
    return schema


def array(schema: dict) -> dict:
    return {"type": "array", "items": schema}


def text(description: str = "", **extra: object) -> dict:
    return {"type": "string", **({"description": description} if description else {}), **extra}


def enum(*values: str) -> dict:
    return {"type": "string", "enum": list(values)}


def json_content(schema: dict) -> dict:
    return {"content": {"application/json": {"schema": schema}}}


def ok(description: str, schema: dict, status: str = "200") -> dict:
    return {status: {"description": description, **json_content(schema)}}


def errors(*codes: str) -> dict:
    return {code: {"$ref": f"#/components/responses/E{code}"} for code in codes}


def param(name: str, where: str, schema: dict, description: str) -> dict:
    return {
        "name": name,
        "in": where,
        "required": where == "path",
        "schema": schema,
        "description": description,
    }


def limit(maximum: int) -> dict:
    return {"type": "integer", "minimum": 1, "maximum": maximum, "default": 50}


def json_body(schema: dict) -> dict:
    return {"required": True, **json_content(schema)}


ERROR_TEXT = {
    "400": "Malformed request: bad JSON, not UTF-8, malformed form data",
    "401": "Missing or wrong API key (`WWW-Authenticate: Bearer`)",
    "402": "The credit balance cannot cover the message",
    "403": "Unknown callback token",
    "404": "No such resource, or no callbacks for this provider",
    "413": "Request body larger than server.max_body_bytes",
    "409": "The request does not fit the current state (a campaign already sent)",
    "415": "The body is not application/json",
    "422": "Well-formed but not acceptable; `field` names the culprit",
}
SMS_STATUS = text(examples=["queued", "sending", "sent", "failed", "no_credit"])

SCHEMAS = {
    "Error": obj({"error": obj(fields("code:str message:str field:str"), "code message")}, "error"),
    "SendMessage": obj(
        fields(
            "",
            to=text("A French mobile, any usual spelling", examples=["06 12 34 56 78"]),
            message=text("No URL; at most sms.max_parts SMS parts"),
            tag={"type": ["string", "null"], "maxLength": 64},
            smart_encoding={
                "type": "boolean",
                "description": "Replace typographic quotes, dashes, the ellipsis and special "
                "spaces by GSM-7 ones when that makes the message cheaper; default false",
            },
        ),
        "to message",
        additionalProperties=False,
    ),
    "Conversation": obj(
        fields(
            "id:int to:str shortcode:str? tag:str? message:str segments:int credits:int "
            "created_at:time replies_until:time reply_count:int",
            encoding=enum("gsm7", "ucs2"),
            status=enum("open", "closed"),
        )
    ),
    "ConversationPage": obj(
        fields("page:int per_page:int total:int", conversations=array(ref("Conversation")))
    ),
    "ConversationDetail": {
        "allOf": [
            ref("Conversation"),
            obj(
                fields(
                    "state:str? credits_spent:int",
                    sms=nullable(ref("Sms")),
                    replies=array(ref("Reply")),
                )
            ),
        ]
    },
    "Sms": obj(
        fields(
            "id:int recipient:str shortcode:str? message:str segments:int credits:int "
            "provider:str? provider_id:str? error:str? attempts:int created_at:time "
            "sent_at:time? delivery_status:str? delivered_at:time?",
            kind=text(examples=["message", "answer", "notification"]),
            encoding=enum("gsm7", "ucs2"),
            status=SMS_STATUS,
        )
    ),
    "ReplyPage": obj(
        {
            "replies": array({"allOf": [ref("Reply"), obj(fields("conversation_id:int?"))]}),
            "page": TYPES["int"],
            "per_page": TYPES["int"],
        }
    ),
    "Reply": obj(
        fields(
            "id:int provider_id:str received_at:time sender:str shortcode:str? message:str "
            "reason_text:str? credits:int reply_number:int? action:str?",
            status=text(examples=["pending", "handled", "rejected"]),
            reason={
                "type": ["string", "null"],
                "examples": ["late", "unmatched", "not_french_mobile", "insufficient_credits"],
            },
            result={
                "type": ["string", "null"],
                "enum": ["answered", "no_answer", "failed", None],
                "description": "What became of a handled reply: `answered` (an answer was "
                "queued), `no_answer` (none by design: `none` action, status 204, empty body) "
                "or `failed` (exit, signal, timeout, malformed output, refused answer); null "
                "while pending and for rejected replies",
            },
            result_reason={
                "type": ["string", "null"],
                "description": "Why, in one line: `exit: exit status 1: IndexError…`, "
                "`answer refused: it contains a URL…`",
            },
            outcome={
                "type": ["object", "null"],
                "description": "What the action did: `kind`, and for scripts `script`, "
                "`exit_code`, `signal`, `duration`, `stdout`, `stderr`, `environ`, `error`",
            },
            answer=nullable(ref("Sms")),
        )
    ),
    # The reply options, their rules and notifications: derived from reply_schema's models.
    **reply_options.json_schemas(),
    "LedgerLine": obj(
        fields(
            "id:int at:time delta:int balance:int reason:str conversation_id:int? "
            "reply_id:int? outgoing_id:int?"
        )
    ),
    "OutboxItem": obj(
        fields("id:int at:time recipient:str shortcode:str? message:str tag:str? segments:int")
    ),
    "BlacklistEntry": obj(
        fields("number:str added_at:time reply_id:int? message:str?"),
        description="A number that replied STOP: no message is sent to it any more",
    ),
    "OvhReply": obj(
        fields(
            "",
            id=text("The provider's id of the reply", maxLength=64),
            senderid=text("The replying phone", maxLength=32),
            message=text("The reply", maxLength=2000),
            shortcode=text("The short code replied to", maxLength=16, pattern="^[0-9]*$"),
            tag=text("The tag sent with the message, echoed", maxLength=128),
        ),
        "id senderid message",
    ),
    "OvhDeliveryReport": obj(
        fields(
            "",
            id=text("The provider's id of the SMS"),
            description=text("DLR code: 1 delivered; 2 or 16 failed; 0, 4, 8 pending"),
            dlr=text("Same as description"),
            ptt=text("4 delivered; 1 to 3 pending; anything else failed"),
            descriptionDlr=text("Free text, kept with the status"),
            date=text("When, as the provider says"),
        ),
        "id",
    ),
}

CALLBACK_PARAMS = [
    param("provider", "path", TYPES["str"], "`ovh`, or the configured provider's name"),
    param("token", "path", TYPES["str"], "The callback token (`smsreply info` prints the URL)"),
]
REPLY_STORED = obj(fields("reply_id:int duplicate:bool reason:str?", ok={"const": True}))
REPLY_STORED["properties"]["status"] = text(examples=["pending", "handled", "rejected"])
DLR_RECORDED = obj(
    fields("matched:bool", ok={"const": True}, status=enum("delivered", "failed", "pending"))
)


def callback(summary: str, schema: str, answer: dict) -> dict:
    """GET with the fields in the query string, or POST them as a form or JSON object."""
    common = {"security": [], "responses": answer | errors("400", "403", "404", "413")}
    query_fields = [
        param(name, "query", TYPES["str"], field.get("description", ""))
        for name, field in SCHEMAS[schema]["properties"].items()
    ]
    body = {"schema": ref(schema)}
    return {
        "get": {"summary": summary, "parameters": CALLBACK_PARAMS + query_fields, **common},
        "post": {
            "summary": summary,
            "parameters": CALLBACK_PARAMS,
            "requestBody": {
                "required": True,
                "content": {"application/x-www-form-urlencoded": body, "application/json": body},
            },
            **common,
        },
    }


PATHS = {
    "/api/health": {
        "get": {
            "summary": "Liveness check",
            "security": [],
            "responses": ok("Up", obj({"ok": {"const": True}})),
        }
    },
    "/api/openapi.json": {
        "get": {
            "summary": "This document",
            "security": [],
            "responses": ok("The OpenAPI 3.1 document", TYPES["obj"]),
        }
    },
    "/api/messages": {
        "post": {
            "summary": "Send a message from a reply-capable short code",
            "parameters": [openapi_campaigns.IDEMPOTENCY_KEY],
            "requestBody": json_body(ref("SendMessage")),
            "responses": ok("The conversation, open for replies", ref("Conversation"), "201")
            | errors("400", "401", "402", "409", "413", "415", "422"),
        }
    },
    "/api/replies": {
        "get": {
            "summary": "List replies, newest first (result=failed: the runs that went wrong)",
            "parameters": [
                param("status", "query", enum("pending", "handled", "rejected"), "Only these"),
                param("result", "query", enum("answered", "no_answer", "failed"), "Only these"),
                param("page", "query", {"type": "integer", "minimum": 1}, "From 1"),
                param("per_page", "query", limit(200), "Page size"),
            ],
            "responses": ok("A page", ref("ReplyPage")) | errors("401", "422"),
        }
    },
    "/api/conversations": {
        "get": {
            "summary": "List conversations, newest first",
            "parameters": [
                param("number", "query", TYPES["str"], "Only this recipient (+33612345678)"),
                param("tag", "query", TYPES["str"], "Only this tag"),
                param("status", "query", enum("open", "closed"), "Open or closed"),
                param("page", "query", {"type": "integer", "minimum": 1}, "From 1"),
                param("per_page", "query", limit(200), "Page size"),
            ],
            "responses": ok("A page", ref("ConversationPage")) | errors("401", "422"),
        }
    },
    "/api/conversations/{conversation_id}": {
        "get": {
            "summary": "One conversation with its SMS, replies, outcomes and answers",
            "parameters": [param("conversation_id", "path", TYPES["int"], "Its id")],
            "responses": ok("The conversation", ref("ConversationDetail")) | errors("401", "404"),
        }
    },
    "/api/reply-options": {
        "get": {
            "summary": "What happens to each reply",
            "responses": ok("The options", ref("ReplyOptions")) | errors("401"),
        },
        "put": {
            "summary": "Replace the reply options (validated; the error names the field)",
            "requestBody": json_body(ref("ReplyOptions")),
            "responses": ok("The options as saved", ref("ReplyOptions"))
            | errors("400", "401", "413", "415", "422"),
        },
    },
    "/api/credits": {
        "get": {
            "summary": "The balance and the latest ledger lines, newest first",
            "parameters": [param("limit", "query", limit(500), "Ledger lines")],
            "responses": ok(
                "Balance and ledger; `provider_balance` is the provider's own, when it reports it",
                obj(
                    fields(
                        "balance:int",
                        ledger=array(ref("LedgerLine")),
                        provider_balance=nullable(
                            obj(fields("provider:str at:time", balance={"type": "number"}))
                        ),
                    )
                ),
            )
            | errors("401", "422"),
        },
        "post": {
            "summary": "Add credits",
            "requestBody": json_body(
                obj(
                    fields(
                        "",
                        amount={"type": "integer", "minimum": 1, "maximum": 10**9},
                        reason=text("Shown in the ledger", default="top-up"),
                    ),
                    "amount",
                    additionalProperties=False,
                )
            ),
            "responses": ok("The new balance", obj(fields("balance:int")), "201")
            | errors("400", "401", "413", "415", "422"),
        },
    },
    "/api/outbox": {
        "get": {
            "summary": "What the simulated provider was handed, newest first",
            "parameters": [param("limit", "query", limit(500), "Items")],
            "responses": ok("The outbox", obj({"outbox": array(ref("OutboxItem"))}))
            | errors("401", "422"),
        }
    },
    "/api/blacklist": {
        "get": {
            "summary": "Numbers that replied STOP, newest first",
            "parameters": [param("limit", "query", limit(1000) | {"default": 100}, "Entries")],
            "responses": ok("The blacklist", obj({"blacklist": array(ref("BlacklistEntry"))}))
            | errors("401", "422"),
        }
    },
    "/api/blacklist/{number}": {
        "delete": {
            "summary": "Let a number that replied STOP receive messages again",
            "parameters": [param("number", "path", TYPES["str"], "The number, e.g. +33612345678")],
            "responses": {"204": {"description": "Removed"}} | errors("401", "404", "422"),
        }
    },
    "/callbacks/{provider}/{token}": callback(
        "A reply, as the provider forwards it (duplicates, late and unmatched replies "
        "are stored and answered 200 too)",
        "OvhReply",
        ok("Stored", REPLY_STORED),
    ),
    "/callbacks/{provider}/{token}/dlr": callback(
        "A delivery report for an SMS we sent",
        "OvhDeliveryReport",
        ok("Recorded; `matched` is false when no SMS has this id", DLR_RECORDED),
    ),
}

DOCUMENT = {
    "openapi": "3.1.0",
    "info": {
        "title": "smsreply API",
        "version": __version__,
        "summary": "Send SMS from a reply-capable short code and handle the replies.",
        "description": "Errors are always JSON: "
        '`{"error": {"code": "invalid", "message": "…", "field": "to"}}` '
        "(`field` only when one field is at fault). Reference with curl examples: docs/api.md.",
    },
    "security": [{"bearerAuth": []}],
    "paths": PATHS | openapi_campaigns.PATHS,
    "components": {
        "securitySchemes": {
            "bearerAuth": {
                "type": "http",
                "scheme": "bearer",
                "description": "The API key printed by `smsreply init` (or `smsreply api-key`)",
            }
        },
        "schemas": SCHEMAS | openapi_campaigns.SCHEMAS,
        "responses": {
            f"E{code}": {"description": description, **json_content(ref("Error"))}
            for code, description in ERROR_TEXT.items()
        },
    },
}


@bp.get("/api/openapi.json")
def document() -> dict:
    return DOCUMENT
