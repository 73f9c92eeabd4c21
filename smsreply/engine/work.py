"""The work engine: the one owner of queued work's lifecycle — replies to handle, SMS to send,
e-mails to deliver, campaigns to hand over to SMS at a pace (``campaigns/sender.py``).

Every job goes the same way (states as stored: ``store/work.py``)::

    to do ──claim──▶ doing ──finish──▶ done
                       │ ├──retry later──▶ to do (after a backoff)
                       │ └──fail (and refund an SMS)──▶ failed
                       └── lease runs out (the worker died) ──▶ to do again

The engine is the one home of claims: it mints them (``new_lease``: a random token and a
lease of ``worker.lease_seconds``), renews them (``heartbeat.py``) and ends them (finish,
retry, fail); the store writes a claim's columns only through ``store/work.py`` (and a
reply's own verbs built on it, ``store/reply_jobs.py``). ``claim``
takes a job with a new claim, or keeps the one this process minted when it stored the job
(a reply stored claimed by the callback, an answer queued claimed by its handler, a
campaign's SMS queued claimed by its step). While the job runs — a script, a handler, a ``url``
request, a hand-off to the provider or the SMTP server — the heartbeat renews the lease
(``heartbeat.py``), so a slow job is never taken over by another worker; only a dead
worker's lease runs out. A failure that may pass is retried after
``backoff(attempts)``: ``worker.retry_base_seconds`` doubling at each attempt, with jitter
so that work failed together is not retried together; after ``worker.max_attempts`` the
job fails (a failed SMS gives its credits back). The domain modules say what each job does
(``handling``, ``sending``, ``mailer``); the store's verbs record it.

Where jobs come from: ``WorkQueue`` is this process's in-memory list of jobs it just stored
(the service *submits* to it; it never starts a thread); ``background.py``'s threads take
them, and sweep the database for jobs nobody holds. ``drain()`` does all due work in the
calling thread (the CLI, the manager's test console, tests).
"""

from __future__ import annotations

import logging
import queue
import random
import smtplib
import threading
import time
from collections.abc import Callable, Mapping
from typing import NamedTuple

from .. import handling, recording, sending
from ..campaigns import sender as campaign_sender
from ..clock import Clock, to_iso
from ..monitoring import metrics
from ..notify import mailer
from ..options.routing import ReplyPlan
from ..providers import Provider, ProviderError
from ..store import Store
from .heartbeat import Claim, Heartbeat, Lease, mint

log = logging.getLogger(__name__)

KINDS = ("reply", "sms", "email", "campaign")


class Job(NamedTuple):
    kind: str  # "reply", "sms", "email" or "campaign"
    id: int
    lease: Lease | None = None  # set: claimed by this process (its token, until when)
    row: dict | None = None  # its row as this process queued it, claimed (an answer's)


def backoff(settings: Mapping[str, object], attempts: int) -> float:
    """Seconds before the next try after ``attempts`` tries: doubling, 50–100 % of it."""
    delay = settings["worker.retry_base_seconds"] * 2 ** (attempts - 1)
    return delay * random.uniform(0.5, 1.0)


class WorkQueue:
    """Jobs this process stored and will do itself, in the order they came.

    A job may be queued twice (submitted unclaimed, then claimed by a sweep): the second
    run finds it claimed or done and does nothing.
    """

    def __init__(self) -> None:
        self._jobs: queue.SimpleQueue[Job] = queue.SimpleQueue()
        self._takers = 0
        self._lock = threading.Lock()

    @property
    def accepting(self) -> bool:
        """True while workers take from it: then the service stores work already claimed."""
        return self._takers > 0

    def submit(
        self, kind: str, job_id: int, lease: Lease | None = None, row: dict | None = None
    ) -> None:
        if self._takers:  # else the job waits in the database for a sweep or a drain
            self._jobs.put(Job(kind, job_id, lease, row))

    def take(self, timeout: float) -> Job | None:
        try:
            return self._jobs.get(timeout=timeout)
        except queue.Empty:
            return None

    def __len__(self) -> int:
        return self._jobs.qsize()

    def open(self) -> None:
        with self._lock:
            self._takers += 1

    def close(self) -> None:
        with self._lock:
            self._takers -= 1


class Engine:
    def __init__(
        self,
        store: Store,
        settings: Mapping[str, object],
        provider: Provider,
        clock: Clock,
        plan: Callable[..., ReplyPlan],  # plan(options=None): options as read, or read
        work_queue: WorkQueue | None = None,
    ) -> None:
        self.store = store
        # Where a campaign step puts its SMS. ``is None``: an empty queue is falsy (__len__).
        self.work_queue = WorkQueue() if work_queue is None else work_queue
        self.settings = settings
        self.provider = provider
        self.clock = clock
        self.plan = plan
        self.lease_seconds = settings["worker.lease_seconds"]
        self.heartbeat = Heartbeat(store, self.lease_seconds)

    # -- claims ----------------------------------------------------------------------

    def new_lease(self) -> Lease:
        """A claim for a job this process stores and does itself (``store.held``)."""
        return mint(self.lease_seconds)

    def claim(
        self, kind: str, job_id: int, lease: Lease | None = None, row: dict | None = None
    ) -> Claim | None:
        """Take the job, or keep our ``lease`` on it; None when it is not ours to do. A
        reply comes with what handling it reads (``Claim.context``: its conversation, the
        reply options, the balance), in the same round trip. ``row``: the job's row as the
        transaction that queued it with ``lease`` returned it: while the lease is fresh,
        nobody else can have changed it (no other worker takes a job before its lease runs
        out, and a cancel ends only jobs nobody holds), so it is not read again."""
        if lease is not None:
            now = time.time()
            if lease.until - now >= self.lease_seconds / 2:  # fresh: no write needed
                if row is not None:
                    return Claim(kind, job_id, lease.token, lease.until, row)
                return self._claimed(kind, job_id, lease.token, lease.until)
            until = now + self.lease_seconds
            if self.store.renew_claim(kind, job_id, lease.token, until):
                return self._claimed(kind, job_id, lease.token, until)
        fresh = self.new_lease()
        if kind == "reply":
            found = self.store.claim_reply(job_id, fresh)
            return None if found is None else Claim(kind, job_id, fresh.token, fresh.until,
                                                    found[0], context=found[1])  # fmt: skip
        row = self.store.claim_job(kind, job_id, fresh, self.provider.name)
        return None if row is None else Claim(kind, job_id, fresh.token, fresh.until, row)

    def _claimed(self, kind: str, job_id: int, token: str, until: float) -> Claim | None:
        """The claim we hold on a job, with its row (and a reply's conversation)."""
        if kind == "reply":
            found = self.store.claimed_reply(job_id, token)
            return None if found is None else Claim(kind, job_id, token, until, found[0],
                                                    context=found[1])  # fmt: skip
        row = self.store.claimed_job(kind, job_id, token)
        return None if row is None else Claim(kind, job_id, token, until, row)

    def holds(self, claim: Claim) -> bool:
        """Whether our claim still holds (the job was not taken over, or cancelled)."""
        return self.store.claimed_job(claim.kind, claim.id, claim.token) is not None

    def claim_due(self, kind: str, limit: int) -> list[Job]:
        """Claim up to ``limit`` jobs nobody holds (new, retried, or left by a crash)."""
        if not self.store.due_work(kind, time.time(), 1):  # a read: nothing written when idle
            return []
        lease = self.new_lease()
        rows = self.store.claim_due(kind, lease, limit, self.provider.name)
        return [Job(kind, row["id"], lease) for row in rows]

    def run(self, job: Job) -> list[int]:
        """Do one job; return the e-mails it left, for other threads (they never delay
        answers)."""
        if job.kind == "reply":
            work = self.handle_reply(job.id, job.lease)
            for outgoing_id in work.sms:  # queued claimed by this worker: it sends them
                self.send_sms(outgoing_id, work.leases.get(outgoing_id), work.rows.get(outgoing_id))
            return work.emails
        if job.kind == "sms":
            self.send_sms(job.id, job.lease, job.row)
        elif job.kind == "campaign":
            campaign_sender.step(self, job.id, job.lease)
        else:
            self.send_email(job.id, job.lease)
        return []

    # -- the three kinds of work -------------------------------------------------------

    def handle_reply(self, reply_id: int, lease: Lease | None = None) -> recording.FollowUps:
        claim = self.claim("reply", reply_id, lease)
        if claim is None:
            return recording.FollowUps()
        context = claim.context or {}
        options = context.get("options")  # read with the claim: not read again

        def plan() -> ReplyPlan:
            return self.plan(options)

        with self.heartbeat.keep(claim):
            acted = handling.act(self.store, plan, claim.row, context.get("conversation"))
        return recording.record(
            self.store, self.settings, self.clock, claim.row, acted, claim.token,
            context.get("balance"),
        )  # fmt: skip

    def send_sms(
        self, outgoing_id: int, lease: Lease | None = None, row: dict | None = None
    ) -> bool:
        claim = self.claim("sms", outgoing_id, lease, row)
        if claim is None:
            return False
        try:
            with self.heartbeat.keep(claim):
                sent = sending.transmit(self.provider, claim.row)
        except ProviderError as error:
            return self._retry_or_fail(claim, error.message, error.retryable)
        except Exception as error:  # a provider bug or network error must not lose the SMS
            return self._retry_or_fail(claim, f"{type(error).__name__}: {error}", True)
        if not sending.record_sent(self.store, self.provider, self.clock, claim, sent):
            return False  # the claim was lost meanwhile: its new holder records it
        metrics.sms_sent(self.provider.name)
        return True

    def send_email(self, notification_id: int, lease: Lease | None = None) -> bool:
        claim = self.claim("email", notification_id, lease)
        if claim is None:
            return False
        try:
            with self.heartbeat.keep(claim):
                mailer.send_email(self.settings, mailer.compose(self.store, claim.row))
        except Exception as error:
            # Network and SMTP errors are retried; so is anything unexpected (a bug, a setting
            # smtplib cannot use), but it too ends as failed after the last attempt, with its
            # reason, instead of leaving the notification queued for ever.
            if not isinstance(error, OSError | smtplib.SMTPException):
                log.exception("e-mail notification #%s failed", notification_id)
            final = mailer.is_final(error)
            return self._retry_or_fail(claim, f"{type(error).__name__}: {error}", not final)
        return self.store.finish_email(notification_id, claim.token, to_iso(self.clock()))

    def _retry_or_fail(self, claim: Claim, reason: str, retryable: bool) -> bool:
        attempts = claim.row["attempts"]
        retried = retryable and attempts < self.settings["worker.max_attempts"]
        if claim.kind == "sms":
            metrics.sms_send_error(self.provider.name, retried)
        if retried:
            later = time.time() + backoff(self.settings, attempts)
            self.store.retry_later(claim.kind, claim.id, claim.token, reason, later)
        else:
            self.store.fail_job(claim.kind, claim.id, claim.token, reason, to_iso(self.clock()))
        return False

    # -- all at once, in this thread -------------------------------------------------------

    def drain(self, rounds: int = 10) -> None:
        """Do every due piece of work now, in this thread."""
        for _ in range(rounds):
            jobs = [job for kind in KINDS for job in self.claim_due(kind, 100)]
            if not jobs:
                return
            emails = [email for job in jobs for email in self.run(job)]
            for notification_id in emails:
                self.send_email(notification_id)
