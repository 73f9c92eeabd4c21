"""Receiving: store each reply durably and match it to its conversation.

``Service.receive_reply`` runs it in the callback, before it is answered: ``describe``
(pure) reads the reply, then ``store_reply``, in one transaction, stores it (once per
provider id: a repeated callback changes nothing), matches it — by the tag the provider
echoes, else by (short code, sender) — checks the reply window and debits the reply's
credit. Replies that cannot be acted on are stored with their reason:
``not_french_mobile``, ``unmatched``, ``late``, ``insufficient_credits``. Acting on it is
``handling.py``'s job. ``store_reply`` joins a caller's transaction: the service handles
some replies in the same one (``handling.handle_now``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import NamedTuple

from .accounts.ledger_reasons import reason
from .clock import Clock, to_iso
from .engine.heartbeat import Lease
from .providers import InboundReply
from .store import InsufficientCredits, Store
from .text.optout import is_stop
from .text.phone import InvalidNumber, parse_french_mobile

REASONS = {
    "not_french_mobile": "the sender is not a French metropolitan mobile",
    "unmatched": "no conversation was sent to this number from this short code",
    "late": "the reply came after the reply window closed",
    "insufficient_credits": "the balance could not cover the reply's credit",
    "stop": "the sender replied STOP: the number is blacklisted",
    "blacklisted": "the sender had replied STOP before: the number is blacklisted",
}


class Received(NamedTuple):
    """A reply as received, before it is stored (``describe``: pure work)."""

    row: dict  # the ``replies`` row, with ``reason`` when its sender is no French mobile
    stop: bool  # the reply means STOP (``optout.is_stop``)


def describe(
    clock: Clock,
    inbound: InboundReply,
    provider: str,
    remote_addr: str = "",
    headers: tuple[tuple[str, str], ...] = (),
) -> Received:
    """The reply's row as received: pure work, done before the transaction."""
    row = {
        "provider": provider,
        "provider_id": inbound.provider_id,
        "received_at": to_iso(clock()),
        "sender": inbound.sender,
        "message": inbound.message,
        "shortcode": inbound.shortcode,
        "tag": inbound.tag,
        "remote_addr": remote_addr,
        "headers": json.dumps(headers) if headers else None,
        "fields": json.dumps(inbound.fields, ensure_ascii=False) if inbound.fields else None,
        "charset": inbound.charset,
        "raw_request": inbound.raw_request,
    }
    try:
        row["sender"] = parse_french_mobile(inbound.sender)
    except InvalidNumber:
        row["reason"] = "not_french_mobile"
    return Received(row, is_stop(inbound.message))


class Stored(NamedTuple):
    """A reply stored (``store_received``): its row, True if new; for one accepted, its
    conversation as counted and the balance as read then (without a lock)."""

    reply: dict
    created: bool
    conversation: dict | None = None
    balance: int | None = None
    option: object = None  # the option ``store_received`` was asked to read, as read


def store_reply(
    store: Store,
    settings: Mapping[str, object],
    received: Received,
    lease: Lease | None = None,
) -> tuple[dict, bool]:
    """Store a reply ``describe``d, in one transaction (or the caller's): (its row, True if
    new). With ``lease`` (``Engine.new_lease``), a reply that can be acted on is stored
    already claimed by the caller (see ``work.Engine.claim``): one transaction fewer per
    reply."""
    stored = store_received(store, settings, received, lease)
    return stored.reply, stored.created


def store_received(
    store: Store,
    settings: Mapping[str, object],
    received: Received,
    lease: Lease | None = None,
    debit_later: bool = False,
    option: str | None = None,
) -> Stored:
    """``store_reply``, saying more (``Stored``). ``debit_later``: an accepted reply's
    credit is left for the caller to debit (``debit_reply``) at the end of its transaction,
    when the balance (read without a lock) covers it; one that does not is refused at once.
    ``option``: an option to read with the rest (the reply options, to handle the reply).

    Without any lock: the reply's unique key (provider, provider id) stores it once however
    many callbacks race (``record_reply`` inserts it or finds it stored); the conversation's
    reply count is one ``UPDATE … RETURNING`` (its row, held to the commit, numbers the
    replies of one conversation one by one); the credit is debited last. On PostgreSQL an
    accepted reply takes two statements: what is known (``look_up_reply``), then the reply
    counted and stored (``record_counted_reply``)."""
    row = dict(received.row)
    received_at = row["received_at"]
    with store.write():
        existing, conversation, blacklisted, value = store.look_up_reply(
            row["provider"], row["provider_id"], row["tag"], row["shortcode"],
            None if "reason" in row else row["sender"], option,
        )  # fmt: skip
        if existing is not None:  # a repeat: no write
            return Stored(existing, False)
        if "reason" not in row:
            if received.stop:
                row["reason"] = "stop"
            elif blacklisted:
                row["reason"] = "blacklisted"
            elif conversation is None:
                row["reason"] = "unmatched"
            elif conversation["expires_at"] <= received_at:
                row["reason"] = "late"
            if conversation is not None:
                row["conversation_id"] = conversation["id"]
                row["shortcode"] = received.row["shortcode"] or conversation["shortcode"]
        if "reason" in row:
            reply = store.record_reply(row)
            if reply is None:  # another callback stored it a moment ago
                return Stored(store.find_reply(row["provider"], row["provider_id"]), False)
            if row["reason"] == "stop":
                store.add_to_blacklist(row["sender"], received_at, reply["id"], row["message"])
            return Stored(reply, True)
        stored = _count_and_debit(
            store, settings, row, conversation, received.row["shortcode"], lease, debit_later
        )
        return stored._replace(option=value)


def _count_and_debit(
    store: Store,
    settings: Mapping[str, object],
    row: dict,
    conversation: dict,
    shortcode: str | None,  # as the provider gave it
    lease: Lease | None,
    debit_later: bool,
) -> Stored:
    credits = settings["reply.credits_per_reply"]
    learnt = shortcode if not conversation["shortcode"] else None  # the provider's
    pending = {**row, "status": "pending", "credits": credits}
    if lease is not None:  # stored claimed by the caller
        pending |= store.held("reply", lease)
    reply, counted, balance = store.record_counted_reply(pending, conversation["id"], learnt)
    if reply is None:  # another callback stored it a moment ago: no count
        store.uncount_reply(conversation["id"])
        return Stored(store.find_reply(row["provider"], row["provider_id"]), False)
    if debit_later and balance >= credits:
        return Stored(reply, True, counted, balance)
    try:  # the balance last: its one row is held until the commit
        debit_reply(store, reply)
    except InsufficientCredits:
        store.uncount_reply(conversation["id"])
        store.reject_reply(reply["id"], "insufficient_credits")
        return Stored(store.get("replies", reply["id"]), True)
    return Stored(reply, True, counted, balance)


def debit_reply(store: Store, reply: dict, at_commit: bool = False) -> None:
    """Debit an accepted reply's credit (``reply.credits_per_reply``); raises
    ``InsufficientCredits`` when the balance cannot cover it. ``at_commit``: by the commit,
    on PostgreSQL (``change_credits_at_commit``: raised at the end of the transaction,
    which keeps nothing; the caller stores the reply again the usual way)."""
    if reply["credits"]:
        change = store.change_credits
        if at_commit and store.credits_at_commit:
            change = store.change_credits_at_commit
        change(
            -reply["credits"],
            reply["received_at"],
            reason("reply_received"),
            reply_id=reply["id"],
            conversation_id=reply["conversation_id"],
        )
