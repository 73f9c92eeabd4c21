"""The campaigns' part of the OpenAPI document (``openapi.py`` merges it), as plain data."""

from __future__ import annotations


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _errors(*codes: str) -> dict:
    return {code: {"$ref": f"#/components/responses/E{code}"} for code in codes}


def _ok(description: str, schema: dict, status: str = "200") -> dict:
    return {
        status: {"description": description, "content": {"application/json": {"schema": schema}}}
    }


_INT = {"type": "integer"}
_STR = {"type": "string"}
_ID = {
    "name": "campaign_id",
    "in": "path",
    "required": True,
    "schema": _INT,
    "description": "Its id",
}
IDEMPOTENCY_KEY = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "schema": {"type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[!-~]+$"},
    "description": "The client's key for this request (a UUID): sent again within 24 h with "
    "the same body, the first answer again (Idempotent-Replayed: true) and no second effect; "
    "with another body, 422; while the first runs, it waits for its answer (409 after 10 s)",
}
_DRAFT_FIELDS = {
    "name": _STR,
    "message": {"type": "string", "description": "The text; {column} fields are filled per line"},
    "tag": {"type": ["string", "null"]},
    "send_at": {"type": ["string", "null"], "format": "date-time", "description": "Default: now"},
}

SCHEMAS = {
    "CampaignDraft": {
        "type": "object",
        "required": ["name", "message", "recipients"],
        "additionalProperties": False,
        "properties": _DRAFT_FIELDS
        | {
            "recipients": {
                "type": "array",
                "items": {"oneOf": [_STR, {"type": "object", "required": ["number"]}]},
                "description": "Numbers, or objects with 'number' and the {column} fields",
            }
        },
    },
    "CampaignRejection": {
        "type": "object",
        "properties": {
            "line": _INT,
            "recipient": _STR,
            "reason": {
                "type": "string",
                "enum": [
                    "invalid_number",
                    "duplicate",
                    "blacklisted",
                    "missing_field",
                    "url",
                    "too_long",
                ],
            },
            "detail": _STR,
            "reason_text": _STR,
        },
    },
    "CampaignPreview": {
        "type": "object",
        "properties": {
            "id": {"type": "null"},
            "name": _STR,
            "send_at": _STR,
            "recipients": _INT,
            "rejected": _INT,
            "segments": _INT,
            "credits": _INT,
            "balance": _INT,
            "credits_missing": _INT,
            "rejections": {"type": "array", "items": _ref("CampaignRejection")},
        },
    },
    "Campaign": {
        "type": "object",
        "properties": {
            "id": _INT,
            "name": _STR,
            "message": _STR,
            "tag": {"type": ["string", "null"]},
            "state": {"type": "string", "enum": ["scheduled", "sending", "done", "cancelled"]},
            "send_at": _STR,
            "recipients": _INT,
            "rejected": _INT,
            "segments": _INT,
            "credits": _INT,
            "refunded": _INT,
            "counts": {
                "type": "object",
                "properties": {
                    key: _INT
                    for key in (
                        "queued",
                        "sent",
                        "failed",
                        "delivered",
                        "replied",
                        "cancelled",
                        "stopped",
                    )
                },
            },
            "replies": _INT,
            "reply_rate": {"type": "number"},
            "first_words": {
                "type": "array",
                "items": {"type": "object", "properties": {"word": _STR, "count": _INT}},
            },
            "timeline": {"type": "object"},
            "rejections": {"type": "array", "items": _ref("CampaignRejection")},
        },
    },
}

PATHS = {
    "/api/campaigns": {
        "post": {
            "summary": "Create a campaign (or preview it with dry_run=1): JSON, a multipart "
            "form with a 'recipients' CSV file, or a text/csv body with the fields in the query",
            "parameters": [
                {
                    "name": key,
                    "in": "query",
                    "required": False,
                    "schema": schema,
                    "description": "text/csv body only",
                }
                for key, schema in _DRAFT_FIELDS.items()
            ]
            + [
                IDEMPOTENCY_KEY,
                {
                    "name": "dry_run",
                    "in": "query",
                    "required": False,
                    "schema": {"type": "string", "enum": ["0", "1"]},
                    "description": "1: check and count only, store nothing",
                },
            ],
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {"schema": _ref("CampaignDraft")},
                    "multipart/form-data": {
                        "schema": {
                            "type": "object",
                            "required": ["name", "message", "recipients"],
                            "properties": _DRAFT_FIELDS
                            | {"recipients": {"type": "string", "format": "binary"}},
                        }
                    },
                    "text/csv": {"schema": _STR},
                },
            },
            "responses": _ok("Accepted: sent progressively", _ref("Campaign"), "201")
            | _ok("The preview (dry_run=1)", _ref("CampaignPreview"))
            | _errors("400", "401", "402", "409", "413", "415", "422"),
        },
        "get": {
            "summary": "List campaigns, newest first, with their counts",
            "parameters": [
                {
                    "name": "page",
                    "in": "query",
                    "required": False,
                    "schema": _INT,
                    "description": "From 1",
                },
                {
                    "name": "per_page",
                    "in": "query",
                    "required": False,
                    "schema": _INT,
                    "description": "Page size",
                },
            ],
            "responses": _ok(
                "A page",
                {
                    "type": "object",
                    "properties": {"campaigns": {"type": "array", "items": _ref("Campaign")}},
                },
            )
            | _errors("401", "422"),
        },
    },
    "/api/campaigns/{campaign_id}": {
        "get": {
            "summary": "A campaign's live counts, reply rate, replies by first word, timeline",
            "parameters": [_ID],
            "responses": _ok("The campaign", _ref("Campaign")) | _errors("401", "404"),
        }
    },
    "/api/campaigns/{campaign_id}/cancel": {
        "post": {
            "summary": "Stop sending; the credits of what was not sent are refunded",
            "parameters": [_ID],
            "requestBody": {
                "required": False,
                "description": "None: the action is the path",
                "content": {"application/json": {"schema": {"type": "object", "maxProperties": 0}}},
            },
            "responses": _ok("The campaign, cancelled", _ref("Campaign"))
            | _errors("401", "404", "409"),
        }
    },
    "/api/campaigns/{campaign_id}/export.csv": {
        "get": {
            "summary": "Every line with its status, delivery and first reply, as CSV",
            "parameters": [_ID],
            "responses": {
                "200": {"description": "The CSV", "content": {"text/csv": {"schema": _STR}}}
            }
            | _errors("401", "404"),
        }
    },
}
