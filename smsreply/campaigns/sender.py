"""The campaign step of the work engine: hand a paced batch of recipients over, then let go.

A campaign is a job (kind ``campaign``) that comes due at its ``send_at``. A worker claims
it (``Engine.claim``, the heartbeat keeping the claim while it runs), takes the next
pending recipients — about ``STEP_SECONDS`` of sending at ``sms.rate_per_second`` — and
reserves as many send slots from the account-wide pace (``reserve_send_slots``), so the
rate holds for all campaigns and processes together. At each slot one transaction opens
the recipient's own conversation (``sending.open_conversation``, as for a single message:
its own short code and tag, so replies match exactly) and queues its SMS, and marks the
recipient handed over; the SMS
then goes the usual way (claimed, sent, retried or failed and refunded). The step then
releases the campaign, due again at once, until no recipient is pending. The rate is a
ceiling: a step waits while ``batch`` SMS or more are still unsent (a slow provider), so a
campaign never piles SMS up ahead of the answers to replies.

Why it survives ``kill -9``: a recipient is handed over in the same transaction as its
conversation and SMS, guarded by its ``pending`` status, so it is handed over once; a
crashed step's claim runs out and another worker continues with the recipients still
pending; SMS are sent once as every SMS is (``work.py``).
"""

from __future__ import annotations

import math
import time

from ..clock import to_iso
from ..engine.heartbeat import Lease
from ..sending import open_conversation
from ..text.segments import Segments

STEP_SECONDS = 2.0
MAX_STEP = 1000


class _NotPending(Exception):
    """The recipient was handed over or cancelled meanwhile: roll its transaction back."""


def step(engine, campaign_id: int, lease: Lease | None = None) -> bool:
    """Run one step of the campaign if it is ours to run; True when recipients are left."""
    claim = engine.claim("campaign", campaign_id, lease)
    if claim is None:
        return False
    store, settings = engine.store, engine.settings
    rate = settings["sms.rate_per_second"]
    batch = min(MAX_STEP, max(1, math.ceil(rate * STEP_SECONDS)))
    with engine.heartbeat.keep(claim):
        recipients = []
        if _backlog_drained(engine, batch, claim):
            recipients = store.pending_recipients(campaign_id, batch)
        if recipients:
            first = store.reserve_send_slots(len(recipients), 1 / rate, time.time())
            for index, recipient in enumerate(recipients):
                delay = first + index / rate - time.time()
                if delay > 0:
                    time.sleep(delay)
                if claim.lost or not _hand_over(engine, claim, recipient):
                    break
    left = bool(store.pending_recipients(campaign_id, 1))
    finished = None if left else to_iso(engine.clock())
    released = store.release_campaign(campaign_id, claim.token, finished)
    if released and left:
        engine.work_queue.submit("campaign", campaign_id)  # the next free thread goes on
    return released and left


def _backlog_drained(engine, batch: int, claim) -> bool:
    """Wait (up to a step) until fewer than ``batch`` SMS wait to be sent; True once so.

    The rate is a ceiling: when the provider takes SMS more slowly, handing more over
    would only pile them up ahead of the answers to replies, which share the queue.
    """
    deadline = time.monotonic() + STEP_SECONDS
    while engine.store.unsent_sms() >= batch:
        if time.monotonic() >= deadline or claim.lost:
            return False
        time.sleep(0.1)
    return True


def _hand_over(engine, claim, recipient: dict) -> bool:
    """Open the recipient's conversation and queue its SMS; False when the campaign is no
    longer ours (cancelled, or the claim was lost)."""
    store = engine.store
    now = engine.clock()
    # a worker of this process sends it: stored claimed, with a claim the engine mints
    lease = engine.new_lease() if engine.work_queue.accepting else None
    number = recipient["recipient"]
    try:
        with store.write():
            # A read: a cancel committed after it is caught by the recipient's own guard
            # (``hand_over_recipient`` needs it still pending).
            if not engine.holds(claim):
                return False
            if store.blacklisted(number):  # replied STOP since the campaign was accepted
                store.skip_stopped_recipient(recipient, to_iso(now), claim.id)
                return True
            segments = Segments(recipient["encoding"], 0, recipient["segments"])
            conversation_id, outgoing_id = open_conversation(
                store, engine.settings, engine.provider, number, recipient["message"],
                segments, claim.row["tag"], now, lease,
            )  # fmt: skip
            if not store.hand_over_recipient(recipient["id"], conversation_id):
                raise _NotPending
    except _NotPending:
        return True
    engine.work_queue.submit("sms", outgoing_id, lease)
    return True
