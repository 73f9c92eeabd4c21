"""Handling: act on a stored reply — run its action, record the outcome, queue the answer.

``handle_reply`` runs in a worker, under a lease: it routes the reply to its action (see
``routing.py``), runs it outside any transaction, then records the outcome, queues and
debits the answer, and queues the owner's notifications, all in one transaction. After a
crash the reply is handled again, but answered only once.
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
from .results import judge_outcome
from .routing import ReplyPlan
from .segments import count_segments
from .sending import lease_is_fresh, queue_sms
from .store import InsufficientCredits, Store


@dataclass
class FollowUps:
    """Work a handled reply leaves for the workers: SMS to send, e-mails to deliver.

    ``leases`` holds the SMS already claimed for sending (their lease), so that the
    worker that queued them sends them without claiming them again.
    """

    sms: list[int] = field(default_factory=list)
    emails: list[int] = field(default_factory=list)
    leases: dict[int, float] = field(default_factory=dict)


def handle_reply(
    store: Store,
    settings: Mapping[str, object],
    clock: Clock,
    plan: Callable[[], ReplyPlan],
    reply_id: int,
    lease: float | None = None,
) -> FollowUps:
    """Run the action for one pending reply; return the work it leaves.

    ``lease`` is the claim taken when the reply was stored, if any; without it the reply
    is claimed here, and a claim of ours that runs out soon is renewed.
    """
    now = time.time()
    if lease_is_fresh(lease, settings, now):
        reply = store.get("replies", reply_id)
        if reply["status"] != "pending" or reply["lease_until"] != lease:
            return FollowUps()
    else:
        renewed = now + settings["worker.lease_seconds"]
        with store.write():
            reply = store.get("replies", reply_id)
            ours = lease is not None and reply["lease_until"] == lease
            if reply["status"] != "pending" or (not ours and (reply["lease_until"] or 0) >= now):
                return FollowUps()
            attempts = reply["attempts"] if ours else reply["attempts"] + 1
            store.update("replies", reply_id, {"lease_until": renewed, "attempts": attempts})
        lease = renewed
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
        fields=tuple(tuple(pair) for pair in json.loads(reply["fields"] or "[]")),
    )
    notifications: tuple[dict, ...] = ()
    try:
        current = plan()
        notifications = current.notifications
        action, rule = current.route(reply["message"], conversation["route"])
        outcome = action.respond(context)
        action_type = action.type
        if rule:
            outcome.detail["rule"] = rule
            if current.is_sticky(rule):  # the conversation's next replies follow it
                outcome.detail["sticky"] = True
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
    # Pure work first: the transaction holds the database's only write lock.
    detail = dict(outcome.detail, kind=outcome.kind)
    result = judge_outcome(outcome, settings["sms.max_parts"])
    if outcome.answer is not None and result.answer is None:
        detail.update(kind="error", answer_error=result.reason)
    recorded = json.dumps(detail, ensure_ascii=False)
    now = time.time()  # the SMS we queue, we send: claimed from now until now + lease
    claim = (now, now + settings["worker.lease_seconds"])
    with store.write():
        current = store.get("replies", reply["id"])
        if current["status"] != "pending" or current["lease_until"] != lease:
            return work  # someone else took it over after our lease ran out
        answer_id = None
        if result.answer is not None:
            answer_id = _queue_debited(
                store,
                work,
                "answer",
                reply["sender"],
                reply["shortcode"],
                result.answer,
                conversation,
                reply,
                at,
                claim,
            )
        store.update(
            "replies",
            reply["id"],
            {
                "status": "handled",
                "action": action_type,
                "lease_until": None,
                "outcome": recorded,
                "answer_id": answer_id,
                "result": result.result,
                "result_reason": result.reason[:500],
            },
        )
        if outcome.state is not UNCHANGED:
            store.update("conversations", conversation["id"], {"state": outcome.state})
        if outcome.detail.get("sticky") and conversation["route"] != outcome.detail["rule"]:
            store.update("conversations", conversation["id"], {"route": outcome.detail["rule"]})
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
                    claim,
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
    claim: tuple[float, float],
) -> int:
    """Queue one SMS and debit it; one the balance cannot cover stays, marked no_credit.

    The SMS is queued already claimed for sending (``claim``: from, until), as
    ``sending.deliver`` would claim it: the worker sends it next, without one more
    transaction.
    """
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
        status="sending",
        attempts=1,
        first_attempt_at=claim[0],
        lease_until=claim[1],
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
        unsent = {"attempts": 0, "first_attempt_at": None, "lease_until": None}
        store.update("outgoing", outgoing_id, {"status": "no_credit", "error": str(error)} | unsent)
    else:
        work.sms.append(outgoing_id)
        work.leases[outgoing_id] = claim[1]
    return outgoing_id
