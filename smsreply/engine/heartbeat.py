"""Claims and their heartbeat: mint a claim on a job, and keep renewing its lease while the
job runs, so no one takes it over.

A claim has an identity, its ``token`` (random, minted by ``mint``), written on the job's
row when it is claimed: every later step of the job (renew, finish, retry, fail) names it,
so a worker that lost its claim changes nothing. Its lease (``lease_until``) only says when
the claim may be taken over.

A claim's lease (``worker.lease_seconds``) bounds how long a crashed worker's work waits
before another takes it; it must not bound how long work may run. While a script, a
handler, a ``url`` request, an SMS or an e-mail hand-off runs, its claim is renewed every
third of a lease by one thread per process, which is started on first use. A renewal is a
compare-and-set on the claim's token: if it fails the claim was lost (the process stalled past the
lease and another worker took the job), and the result of the run will not be recorded.

Example::

    with heartbeat.keep(claim):  # claim.lease_until moves forward while the action runs
        outcome = action.run(context)
    store.finish_reply(claim.id, claim.token, ...)
"""

from __future__ import annotations

import contextlib
import logging
import secrets
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import NamedTuple

from ..store import Store

log = logging.getLogger(__name__)


class Lease(NamedTuple):
    """A claim minted before its job is stored or claimed: its identity and time span."""

    token: str
    since: float  # when it was minted (an SMS's first attempt)
    until: float  # when another worker may take the job over


def mint(lease_seconds: float) -> Lease:
    """A new claim identity, held for ``lease_seconds`` from now."""
    now = time.time()
    return Lease(secrets.token_hex(8), now, now + lease_seconds)


@dataclass(eq=False)
class Claim:
    """A job this process holds: its kind, id, claim token, current lease and row."""

    kind: str
    id: int
    token: str
    lease_until: float
    row: dict
    context: dict | None = None  # what the job reads beside its row (a reply's conversation…)
    lost: bool = False
    next_beat: float = 0.0  # when the heartbeat renews it next
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)


class Heartbeat:
    def __init__(self, store: Store, lease_seconds: float) -> None:
        self.store = store
        self.lease_seconds = lease_seconds
        self._claims: set[Claim] = set()
        self._changed = threading.Condition()
        self._thread: threading.Thread | None = None
        self._wake_at = 0.0  # when the thread wakes next, unless told to

    @contextlib.contextmanager
    def keep(self, claim: Claim) -> Iterator[Claim]:
        """Renew ``claim`` while the block runs; on exit its ``lease_until`` is final."""
        # Once a third of the lease has passed: a renewal that fails has two more tries.
        claim.next_beat = claim.lease_until - self.lease_seconds * 2 / 3
        with self._changed:
            self._claims.add(claim)
            if claim.next_beat < self._wake_at:  # most jobs end long before: no wake-up
                self._changed.notify()
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(
                    target=self._loop, name="smsreply-heartbeat", daemon=True
                )
                self._thread.start()
        try:
            yield claim
        finally:
            with claim.lock, self._changed:  # waits for a renewal of this claim in progress
                self._claims.discard(claim)

    def _loop(self) -> None:
        while True:
            with self._changed:
                if not self._claims:
                    self._wake_at = time.time() + self.lease_seconds
                    self._changed.wait(self.lease_seconds)
                    if not self._claims:
                        self._thread = None  # idle: the next keep() starts a new one
                        return
                now = time.time()
                due = [claim for claim in self._claims if claim.next_beat <= now]
                if not due:
                    self._wake_at = min(claim.next_beat for claim in self._claims)
                    self._changed.wait(max(self._wake_at - now, 0.01))
                    continue
            for claim in due:
                self._renew(claim)

    def _renew(self, claim: Claim) -> None:
        with claim.lock:
            if claim not in self._claims or claim.lost:
                return
            now = time.time()
            claim.next_beat = now + self.lease_seconds / 3
            lease_until = now + self.lease_seconds
            try:
                renewed = self.store.renew_claim(claim.kind, claim.id, claim.token, lease_until)
            except Exception:  # the database is busy or down: try again at the next beat
                log.exception("renewing the lease of %s #%s failed", claim.kind, claim.id)
                return
            if renewed:
                claim.lease_until = lease_until
            else:
                claim.lost = True
                log.warning("%s #%s: the lease was lost while it ran", claim.kind, claim.id)
