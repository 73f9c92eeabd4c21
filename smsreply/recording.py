"""Recording: a handled reply's outcome written, its answer and the owner's notifications
queued and debited — one transaction, and only while the reply's claim holds.

``record`` is the work engine's, after ``handling.act`` ran the action outside any
transaction; ``record_once`` is also ``handling.handle_now``'s, inside the callback's own
transaction. The answer is queued claimed for the worker that records it, which sends it
next from the row the transaction returned (``FollowUps``). On PostgreSQL the debits are
made by the commit, all or nothing; when the balance turns out short there, it is all done
again with each debit at once. A claim lost meanwhile (``ClaimLost``) keeps nothing.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field

from .actions import Outcome
from .actions.base import UNCHANGED
from .clock import Clock, to_iso
from .engine.heartbeat import Lease, mint
from .monitoring import metrics
from .notify.notifications import sms_text
from .receiving import debit_reply
from .results import judge_outcome
from .sending import sms_row
from .store import ClaimLost, InsufficientCredits, Store
from .text.segments import count_segments


@dataclass
class FollowUps:
    """Work a handled reply leaves for the workers: SMS to send, e-mails to deliver.

    ``leases`` holds the SMS already claimed for sending (their claim), so that the
    worker that queued them sends them without claiming them again; ``rows``, their rows
    as the transaction that queued them returned them (the answer's), so that it sends
    them without reading them again either.
    """

    sms: list[int] = field(default_factory=list)
    emails: list[int] = field(default_factory=list)
    leases: dict[int, Lease] = field(default_factory=dict)
    rows: dict[int, dict] = field(default_factory=dict)  # their rows as queued, when known
    reply: dict | None = None  # the reply as recorded (None: not recorded, claim lost)


@dataclass
class Acted:
    """What running a reply's action gave, before it is recorded."""

    conversation: dict
    action_type: str
    outcome: Outcome
    notifications: tuple[dict, ...] = ()


def record(
    store: Store,
    settings: Mapping[str, object],
    clock: Clock,
    reply: dict,
    acted: Acted,
    token: str,
    balance: int | None = None,
) -> FollowUps:
    """Record the outcome, queue and debit the answer, queue the notifications: all in one
    transaction (the workers': none is open), and only while our claim (``token``) holds.
    On PostgreSQL the debits are made by the commit, all or nothing, when ``balance`` (as
    read with the claim, or else here) looks like covering them; when the balance turns
    out short there, it is all done again with each debit at once (no_credit for the SMS
    it cannot cover)."""
    try:
        return record_once(store, settings, clock, reply, acted, token, at_commit=True,
                       balance=balance)  # fmt: skip
    except InsufficientCredits:  # only from the commit's debits: nothing was kept
        return record_once(store, settings, clock, reply, acted, token)


def record_once(
    store: Store,
    settings: Mapping[str, object],
    clock: Clock,
    reply: dict,
    acted: Acted,
    token: str,
    charge_reply: bool = False,
    at_commit: bool = False,
    balance: int | None = None,
) -> FollowUps:
    """``record``, one try; ``charge_reply``: debit the reply's own credit first
    (``handling.handle_now``, in the callback's transaction);
    ``at_commit``: with every debit made by the commit on PostgreSQL, all or nothing
    (``InsufficientCredits`` at the end of the outermost transaction); ``balance``: as
    read already in this transaction (else read when needed). A workers' reply whose
    outcome is an answer and nothing else is recorded by ``store.finish_reply_debited``, a
    transaction of its own (one statement on PostgreSQL)."""
    at = to_iso(clock())
    work = FollowUps()
    outcome, conversation = acted.outcome, acted.conversation
    # Pure work first: the transaction holds the rows it writes until it commits.
    detail = dict(outcome.detail, kind=outcome.kind)
    result = judge_outcome(outcome, settings["sms.max_parts"])
    if outcome.answer is not None and result.answer is None:
        detail.update(kind="error", answer_error=result.reason)
    recorded = json.dumps(detail, ensure_ascii=False)
    reason = result.reason[:500]
    lease = mint(settings["worker.lease_seconds"])  # the SMS we queue, we send next
    queued: list[tuple[int, str, int]] = []  # (SMS id, kind, credits): debited last
    if at_commit and not charge_reply and _answer_only(acted, result):
        try:  # the common case, in one statement on PostgreSQL: no BEGIN, no COMMIT
            answer = store.finish_reply_debited(
                reply["id"], token, acted.action_type, recorded, result.result, reason,
                _answer_row(reply, conversation, result.answer, at), lease, at,
            )  # fmt: skip
        except ClaimLost:  # taken over after our lease ran out: nothing done
            return FollowUps()
        except InsufficientCredits:  # nothing done: the usual way marks it no_credit
            at_commit = False
        else:
            metrics.reply_handled(acted.action_type, result.result)
            return FollowUps(
                sms=[answer["id"]], leases={answer["id"]: lease}, rows={answer["id"]: answer},
                reply=_recorded(reply, acted, recorded, result.result, reason, answer["id"]),
            )  # fmt: skip
    try:
        with store.write():
            if result.answer is None:
                if not store.finish_reply(
                    reply["id"], token, acted.action_type, recorded, result.result, reason,
                    stored_here=charge_reply,  # handle_now: the callback's transaction stored it
                ):  # fmt: skip
                    raise ClaimLost("reply", reply["id"])
            else:  # finished, its answer queued claimed and linked: one statement on PostgreSQL
                answer = store.finish_reply_answered(
                    reply["id"], token, acted.action_type, recorded, result.result, reason,
                    _answer_row(reply, conversation, result.answer, at), lease,
                )  # fmt: skip
                queued.append((answer["id"], "answer", answer["credits"]))
                work.rows[answer["id"]] = answer
            work.reply = _recorded(reply, acted, recorded, result.result, reason,
                                   queued[0][0] if queued else None)  # fmt: skip
            if outcome.state is not UNCHANGED:
                store.set_conversation_state(conversation["id"], outcome.state)
            if _rerouted(acted):  # the conversation's next replies follow its rule
                store.set_conversation_route(conversation["id"], outcome.detail["rule"])
            for note in acted.notifications:
                if note["media"] == "sms":
                    outgoing_id = _queue(
                        store, queued, "notification", note["target"], note["sender"],
                        sms_text(reply, conversation), conversation, reply, at, lease,
                    )  # fmt: skip
                    store.record_sms_notification(reply["id"], note, at, outgoing_id)
                else:
                    work.emails.append(store.queue_email_notification(reply["id"], note, at))
            needed = sum(credits for _, _, credits in queued) + charge_reply * reply["credits"]
            if at_commit and store.credits_at_commit and needed:  # all or nothing: if it
                at_commit = (store.balance() if balance is None else balance) >= needed
                # looks covered (read, not locked: a rare miss)
            if charge_reply:  # the balance last: its one row is held until the commit
                debit_reply(store, reply, at_commit)
            for outgoing_id, kind, credits in queued:
                if at_commit and store.credits_at_commit:  # all or nothing
                    store.change_credits_at_commit(-credits, at, kind, reply_id=reply["id"],
                                                   conversation_id=conversation["id"],
                                                   outgoing_id=outgoing_id)  # fmt: skip
                    work.sms.append(outgoing_id)
                    work.leases[outgoing_id] = lease
                else:
                    _debit(store, work, outgoing_id, kind, credits, conversation, reply, at,
                           lease)  # fmt: skip
    except ClaimLost:  # taken over after our lease ran out: nothing of it kept
        return FollowUps()
    metrics.reply_handled(acted.action_type, result.result)
    return work


def _answer_only(acted: Acted, result) -> bool:
    """Whether recording is the reply finished and its answer queued and debited, nothing
    else: no notification, the conversation's state and route left as they are."""
    return (
        result.answer is not None
        and not acted.notifications
        and acted.outcome.state is UNCHANGED
        and not _rerouted(acted)
    )


def _rerouted(acted: Acted) -> bool:
    """Whether a sticky rule takes over the conversation's route."""
    detail = acted.outcome.detail
    return bool(detail.get("sticky")) and acted.conversation["route"] != detail["rule"]


def _answer_row(reply: dict, conversation: dict, text: str, at: str) -> dict:
    """The columns of a reply's answer SMS, to queue."""
    return sms_row("answer", reply["sender"], reply["shortcode"], text, count_segments(text),
                   conversation["provider_tag"], at, conversation_id=conversation["id"],
                   reply_id=reply["id"])  # fmt: skip


def _recorded(
    reply: dict, acted: Acted, outcome: str, result: str, reason: str, answer_id: int | None
) -> dict:
    """The reply's row as recording left it."""
    return reply | {"status": "handled", "action": acted.action_type, "outcome": outcome,
                    "result": result, "result_reason": reason, "claim": None,
                    "lease_until": None, "answer_id": answer_id}  # fmt: skip


def _queue(
    store: Store,
    queued: list[tuple[int, str, int]],
    kind: str,
    recipient: str,
    sender: str | None,
    text: str,
    conversation: dict,
    reply: dict,
    at: str,
    lease: Lease,
) -> int:
    """Queue one SMS, already claimed for sending by this process (``lease``), as the
    engine would claim it: the worker sends it next, without one more transaction."""
    segments = count_segments(text)
    row = sms_row(kind, recipient, sender, text, segments, conversation["provider_tag"], at,
                  conversation_id=conversation["id"], reply_id=reply["id"])  # fmt: skip
    outgoing_id = store.queue_sms(row, lease)
    queued.append((outgoing_id, kind, segments.credits))
    return outgoing_id


def _debit(
    store: Store,
    work: FollowUps,
    outgoing_id: int,
    kind: str,
    credits: int,
    conversation: dict,
    reply: dict,
    at: str,
    lease: Lease,
) -> None:
    """Debit one queued SMS; one the balance cannot cover stays, marked no_credit."""
    try:
        store.change_credits(
            -credits,
            at,
            kind,
            reply_id=reply["id"],
            conversation_id=conversation["id"],
            outgoing_id=outgoing_id,
        )
    except InsufficientCredits as error:
        store.mark_sms_no_credit(outgoing_id, str(error))
    else:
        work.sms.append(outgoing_id)
        work.leases[outgoing_id] = lease
