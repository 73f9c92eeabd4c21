"""Receiving: store each reply durably, match it to its conversation, then act on it.

``accept_reply`` runs in the callback, before it is answered: in one transaction it
stores the reply (once per provider id: a repeated callback changes nothing), matches
it — by the tag the provider echoes, else by (short code, sender) — checks the reply
window and debits the reply's credit. Replies that cannot be acted on are stored with
their reason: ``not_french_mobile``, ``unmatched``, ``late``, ``insufficient_credits``.

``handle_reply`` runs later, in a worker, under a lease: it runs the action outside any
transaction, then records the outcome and queues (and debits) the answer in one
transaction — so after a crash the reply is handled again, but answered only once.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from .actions import Outcome, ReplyContext
from .actions.base import UNCHANGED
from .clock import Clock, to_iso
from .errors import ValidationError
from .notifications import sms_text
from .optout import is_stop
from .phone import InvalidNumber, parse_french_mobile
from .providers import InboundReply
from .routing import ReplyPlan
from .segments import count_segments
from .sending import queue_sms
from .store import InsufficientCredits, Store

REASONS = {
    "not_french_mobile": "the sender is not a French metropolitan mobile",
    "unmatched": "no conversation was sent to this number from this short code",
    "late": "the reply came after the reply window closed",
    "insufficient_credits": "the balance could not cover the reply's credit",
    "stop": "the sender replied STOP: the number is blacklisted",
    "blacklisted": "the sender had replied STOP before: the number is blacklisted",
}


def accept_reply(
    store: Store,
    settings: Mapping[str, object],
    clock: Clock,
    inbound: InboundReply,
    provider: str,
    remote_addr: str = "",
    headers: tuple[tuple[str, str], ...] = (),
) -> tuple[dict, bool]:
    """Store one reply; return (its row, True if new). Never raises on a bad reply."""
    received_at = to_iso(clock())
    with store.write():
        existing = store.find_reply(provider, inbound.provider_id)
        if existing is not None:
            return existing, False
        row = {
            "provider": provider,
            "provider_id": inbound.provider_id,
            "received_at": received_at,
            "sender": inbound.sender,
            "message": inbound.message,
            "shortcode": inbound.shortcode,
            "tag": inbound.tag,
            "status": "rejected",
            "remote_addr": remote_addr,
            "headers": json.dumps(headers) if headers else None,
        }
        conversation = None
        try:
            row["sender"] = parse_french_mobile(inbound.sender)
        except InvalidNumber:
            row["reason"] = "not_french_mobile"
        else:
            conversation = _match(store, inbound, row["sender"])
            if is_stop(inbound.message):
                row["reason"] = "stop"
            elif store.blacklisted(row["sender"]):
                row["reason"] = "blacklisted"
            elif conversation is None:
                row["reason"] = "unmatched"
            elif conversation["expires_at"] <= received_at:
                row["reason"] = "late"
            if conversation is not None:
                row["conversation_id"] = conversation["id"]
                row["shortcode"] = inbound.shortcode or conversation["shortcode"]
        reply_id = store.insert("replies", row)
        if row.get("reason") == "stop":
            store.add_to_blacklist(row["sender"], received_at, reply_id, inbound.message)
        if conversation is not None and "reason" not in row:
            _debit_and_number(store, settings, conversation, reply_id, inbound, received_at)
        return store.get("replies", reply_id), True


def _match(store: Store, inbound: InboundReply, sender: str) -> dict | None:
    if inbound.tag:
        conversation = store.match_by_tag(inbound.tag, sender)
        if conversation is not None:
            return conversation
    if inbound.shortcode:
        return store.match_by_shortcode(inbound.shortcode, sender)
    return None


def _debit_and_number(
    store: Store,
    settings: Mapping[str, object],
    conversation: dict,
    reply_id: int,
    inbound: InboundReply,
    at: str,
) -> None:
    credits = settings["reply.credits_per_reply"]
    try:
        if credits:
            store.change_credits(
                -credits,
                at,
                "reply received",
                reply_id=reply_id,
                conversation_id=conversation["id"],
            )
    except InsufficientCredits:
        store.update("replies", reply_id, {"reason": "insufficient_credits"})
        return
    number = conversation["reply_count"] + 1
    changes = {"reply_count": number}
    if inbound.shortcode and not conversation["shortcode"]:
        changes["shortcode"] = inbound.shortcode  # the provider chose it: learn it
    store.update("conversations", conversation["id"], changes)
    store.update(
        "replies", reply_id, {"status": "pending", "credits": credits, "reply_number": number}
    )


@dataclass
class FollowUps:
    """Work a handled reply leaves for the workers: SMS to send, e-mails to deliver."""

    sms: list[int] = field(default_factory=list)
    emails: list[int] = field(default_factory=list)


def handle_reply(
    store: Store,
    settings: Mapping[str, object],
    clock: Clock,
    plan: Callable[[], ReplyPlan],
    reply_id: int,
) -> FollowUps:
    """Run the action for one pending reply; return the work it leaves."""
    now = time.time()
    lease = now + settings["worker.lease_seconds"]
    with store.write():
        reply = store.get("replies", reply_id)
        if reply["status"] != "pending" or (reply["lease_until"] or 0) >= now:
            return FollowUps()
        store.update("replies", reply_id, {"lease_until": lease, "attempts": reply["attempts"] + 1})
    conversation = store.get("conversations", reply["conversation_id"])
    context = ReplyContext(
        reply_id=reply_id,
        provider_id=reply["provider_id"],
        sender=reply["sender"],
        message=reply["message"],
        shortcode=reply["shortcode"] or "",
        tag=conversation["tag"] or "",
        conversation_id=conversation["id"],
        original_message=conversation["message"],
        sent_at=conversation["created_at"],
        reply_number=reply["reply_number"],
        state=conversation["state"],
        received_at=reply["received_at"],
        remote_addr=reply["remote_addr"] or "",
        headers=tuple(tuple(pair) for pair in json.loads(reply["headers"] or "[]")),
    )
    notifications: tuple[dict, ...] = ()
    try:
        current = plan()
        notifications = current.notifications
        action, rule = current.route(reply["message"])
        outcome = action.run(context)
        action_type = action.type
        if rule:
            outcome.detail["rule"] = rule
    except ValidationError as error:  # options that no longer work (a script was removed)
        outcome = Outcome("error", detail={"error": "config", "reason": error.message})
        action_type = "error"
    except Exception as error:  # a customer's mistake must never take the server down
        outcome = Outcome(
            "error", detail={"error": "exception", "reason": f"{type(error).__name__}: {error}"}
        )
        action_type = "error"
    return _record(
        store, settings, clock, reply, conversation, action_type, outcome, lease, notifications
    )


def _record(
    store: Store,
    settings: Mapping[str, object],
    clock: Clock,
    reply: dict,
    conversation: dict,
    action_type: str,
    outcome: Outcome,
    lease: float,
    notifications: tuple[dict, ...],
) -> FollowUps:
    at = to_iso(clock())
    work = FollowUps()
    with store.write():
        current = store.get("replies", reply["id"])
        if current["status"] != "pending" or current["lease_until"] != lease:
            return work  # someone else took it over after our lease ran out
        detail = dict(outcome.detail, kind=outcome.kind)
        answer_id = None
        if outcome.answer is not None:
            segments = count_segments(outcome.answer)
            if segments.parts > settings["sms.max_parts"]:
                detail.update(
                    kind="error",
                    answer_error=f"answer needs {segments.parts} parts, "
                    f"more than sms.max_parts={settings['sms.max_parts']}",
                )
            else:
                answer_id = _queue_debited(
                    store,
                    work,
                    "answer",
                    reply["sender"],
                    reply["shortcode"],
                    outcome.answer,
                    conversation,
                    reply,
                    at,
                )
        store.update(
            "replies",
            reply["id"],
            {
                "status": "handled",
                "action": action_type,
                "lease_until": None,
                "outcome": json.dumps(detail, ensure_ascii=False),
                "answer_id": answer_id,
            },
        )
        if outcome.state is not UNCHANGED:
            store.update("conversations", conversation["id"], {"state": outcome.state})
        for note in notifications:
            row = {
                "reply_id": reply["id"],
                "media": note["media"],
                "sender": note["sender"],
                "target": note["target"],
                "status": "queued",
                "created_at": at,
            }
            if note["media"] == "sms":
                text = sms_text(current, conversation)
                row["outgoing_id"] = _queue_debited(
                    store,
                    work,
                    "notification",
                    note["target"],
                    note["sender"],
                    text,
                    conversation,
                    reply,
                    at,
                )
                row["status"] = "sms"
                store.insert("notifications", row)
            else:
                work.emails.append(store.insert("notifications", row))
    return work


def _queue_debited(
    store: Store,
    work: FollowUps,
    kind: str,
    recipient: str,
    sender: str | None,
    text: str,
    conversation: dict,
    reply: dict,
    at: str,
) -> int:
    """Queue one SMS and debit it; one the balance cannot cover stays, marked no_credit."""
    segments = count_segments(text)
    outgoing_id = queue_sms(
        store,
        kind,
        recipient,
        sender,
        text,
        segments,
        conversation["provider_tag"],
        at,
        conversation_id=conversation["id"],
        reply_id=reply["id"],
    )
    try:
        store.change_credits(
            -segments.credits,
            at,
            kind,
            reply_id=reply["id"],
            conversation_id=conversation["id"],
            outgoing_id=outgoing_id,
        )
    except InsufficientCredits as error:
        store.update("outgoing", outgoing_id, {"status": "no_credit", "error": str(error)})
    else:
        work.sms.append(outgoing_id)
    return outgoing_id
