"""Handling: act on a stored reply — route it, run its action; ``recording.py`` then records it.

The work engine (``work.py``) claims a pending reply and calls ``act``: it routes the reply
to its action (see ``routing.py``) and runs it outside any transaction, while the claim's
heartbeat runs. Then ``recording.record`` records the outcome, queues and debits the
answer, and queues the owner's notifications, all in one transaction that first checks the
claim is still ours. After a crash the reply is handled again, but answered only once.

A reply routed to an action that needs no I/O (``Action.immediate``: ``none``, ``text``) is
handled by ``handle_now`` instead, inside the callback's own transaction, when the
callback's process has workers to send the answer (``Service.receive_reply`` decides):
the same ``route`` and ``record``, one transaction and one claim fewer.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from .actions import Action, Outcome, ReplyContext
from .clock import Clock
from .errors import ValidationError
from .options.routing import ReplyPlan
from .recording import Acted, FollowUps, record_once
from .store import Store


@dataclass(frozen=True)
class Route:
    """Where a reply goes, by one version of the reply options: the action, the rule that
    chose it (None: the default action), and the owner's notifications."""

    action: Action
    rule: str | None
    sticky: bool  # the rule keeps the conversation's next replies
    notifications: tuple[dict, ...]


def route(plan: ReplyPlan, reply: dict, conversation: dict) -> Route:
    """Route a reply by its words, or by the sticky rule its conversation follows."""
    action, rule = plan.route(reply["message"], conversation["route"])
    return Route(action, rule, plan.is_sticky(rule) if rule else False, plan.notifications)


def act(
    store: Store, plan: Callable[[], ReplyPlan], reply: dict, conversation: dict | None = None
) -> Acted:
    """Run the action for one claimed reply (outside any transaction: it may be slow);
    ``conversation``: its conversation, when the claim read it already."""
    if conversation is None:
        conversation = store.get("conversations", reply["conversation_id"])
    notifications: tuple[dict, ...] = ()
    try:
        current = plan()
        notifications = current.notifications
        return _run(route(current, reply, conversation), reply, conversation)
    except ValidationError as error:  # options that no longer work (a script was removed)
        outcome = Outcome("error", detail={"error": "config", "reason": error.message})
    except Exception as error:  # a customer's mistake must never take the server down
        outcome = Outcome(
            "error", detail={"error": "exception", "reason": f"{type(error).__name__}: {error}"}
        )
    return Acted(conversation, "error", outcome, notifications)


def handle_now(
    store: Store,
    settings: Mapping[str, object],
    clock: Clock,
    plan: ReplyPlan,
    reply: dict,
    token: str,
    at_commit: bool = False,
    conversation: dict | None = None,
    balance: int | None = None,
) -> FollowUps | None:
    """Handle a reply just accepted, claimed with ``token``, in the caller's transaction,
    when its route needs no I/O (``Action.immediate``); None when it does, or when routing
    failed: then the reply is left to the work engine (``act``), which records why. The
    reply's own credit, left undebited by ``store_received(debit_later=True)``, is debited here,
    before its answer's, as the workers' way does (``InsufficientCredits`` when it cannot:
    the caller rolls back and stores the reply the usual way). ``at_commit``: on PostgreSQL,
    every debit made by the commit, all or nothing (``change_credits_at_commit``); when
    that raises, the caller does it all again with each debit at once, so that an answer
    the balance cannot cover is marked no_credit here as on SQLite. ``conversation`` and
    ``balance``: as storing the reply read them in this transaction (not read again)."""
    if not plan.any_immediate:  # no need to read the conversation to know
        return None
    if conversation is None:
        conversation = store.get("conversations", reply["conversation_id"])
    try:
        chosen = route(plan, reply, conversation)
        if not chosen.action.immediate:
            return None
        acted = _run(chosen, reply, conversation)
    except Exception:  # recorded by ``act``, as any failure: never by the callback
        return None
    return record_once(store, settings, clock, reply, acted, token, True, at_commit, balance)


def _run(chosen: Route, reply: dict, conversation: dict) -> Acted:
    outcome = chosen.action.respond(_context(reply, conversation))
    if chosen.rule:
        outcome.detail["rule"] = chosen.rule
        if chosen.sticky:  # the conversation's next replies follow it
            outcome.detail["sticky"] = True
    return Acted(conversation, chosen.action.type, outcome, chosen.notifications)


def _context(reply: dict, conversation: dict) -> ReplyContext:
    return ReplyContext(
        reply_id=reply["id"],
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
