"""How smsreply's state reads to people and programs: the shapes the API and CLI show.

Pure functions from store rows to plain dicts, so ``GET /api/conversations/<id>`` and
``smsreply conversations --json`` say the same thing.
"""

from __future__ import annotations

import json

from .receiving import REASONS
from .store import Store


def conversation_summary(row: dict, now: str) -> dict:
    return {
        "id": row["id"],
        "to": row["recipient"],
        "shortcode": row["shortcode"],
        "tag": row["tag"],
        "message": row["message"],
        "encoding": row["encoding"],
        "segments": row["segments"],
        "credits": row["credits"],
        "created_at": row["created_at"],
        "replies_until": row["expires_at"],
        "status": "open" if row["expires_at"] > now else "closed",
        "reply_count": row["reply_count"],
    }


def sms_view(row: dict) -> dict:
    return {
        key: row[key]
        for key in (
            "id",
            "kind",
            "recipient",
            "shortcode",
            "message",
            "encoding",
            "segments",
            "credits",
            "status",
            "provider",
            "provider_id",
            "error",
            "attempts",
            "created_at",
            "sent_at",
            "delivery_status",
            "delivered_at",
        )
    }


def reply_view(row: dict, answer: dict | None = None) -> dict:
    return {
        "id": row["id"],
        "provider_id": row["provider_id"],
        "received_at": row["received_at"],
        "sender": row["sender"],
        "shortcode": row["shortcode"],
        "message": row["message"],
        "status": row["status"],
        "reason": row["reason"],
        "reason_text": REASONS.get(row["reason"]) if row["reason"] else None,
        "credits": row["credits"],
        "reply_number": row["reply_number"],
        "action": row["action"],
        "result": row["result"],
        "result_reason": row["result_reason"],
        "outcome": json.loads(row["outcome"]) if row["outcome"] else None,
        "answer": sms_view(answer) if answer else None,
    }


def reply_detail(store: Store, reply_id: int) -> dict:
    row = store.get("replies", reply_id)
    answer = store.get("outgoing", row["answer_id"]) if row["answer_id"] else None
    return reply_view(row, answer)


def conversation_detail(store: Store, conversation_id: int, now: str) -> dict:
    row = store.get("conversations", conversation_id)
    sms = {item["id"]: item for item in store.rows_for("outgoing", "conversation_id", row["id"])}
    replies = [
        reply_view(reply, sms.get(reply["answer_id"]))
        for reply in store.rows_for("replies", "conversation_id", row["id"])
    ]
    spent = row["credits"] + sum(reply["credits"] for reply in replies)
    spent += sum(
        item["credits"]
        for item in sms.values()
        if item["kind"] != "message" and item["status"] not in ("failed", "no_credit")
    )
    detail = conversation_summary(row, now)
    detail.update(
        state=row["state"],
        sms=sms_view(sms[row["outgoing_id"]]) if row["outgoing_id"] in sms else None,
        replies=replies,
        credits_spent=spent,
    )
    return detail


def outbox_view(row: dict) -> dict:
    return {
        key: row[key]
        for key in ("id", "at", "recipient", "shortcode", "message", "tag", "segments")
    }
