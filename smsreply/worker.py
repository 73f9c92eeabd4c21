"""Background work in each server process: handle replies and deliver SMS off the request.

The callback commits the reply and returns; the dispatcher's thread pool then runs the
action and hands the answer to the provider. A sweeper thread also picks up, every
``worker.sweep_seconds``, what no one finished — replies and SMS left by a crash, SMS due
for a retry — so unfinished work is finished after a restart. Claims are leases in the
database, so several processes never do the same work twice.
"""

from __future__ import annotations

import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from .service import Service

log = logging.getLogger(__name__)


class Dispatcher:
    def __init__(self, service: Service, threads: int, sweep_seconds: float) -> None:
        self.service = service
        self.sweep_seconds = sweep_seconds
        self.enabled = threads > 0
        self.pool = ThreadPoolExecutor(max(threads, 1), thread_name_prefix="smsreply-worker")
        self._stop = threading.Event()
        self._sweeper: threading.Thread | None = None
        self._queued: set[tuple[str, int]] = set()  # submitted and not finished: not resubmitted
        self._lock = threading.Lock()
        service.dispatcher = self if self.enabled else None

    def start(self) -> Dispatcher:
        if self.enabled and self._sweeper is None:
            self._sweeper = threading.Thread(
                target=self._sweep_loop, name="smsreply-sweeper", daemon=True
            )
            self._sweeper.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self.pool.shutdown(wait=True, cancel_futures=True)

    def submit_reply(self, reply_id: int, lease: float | None = None) -> None:
        """Handle a reply soon; ``lease``: it was stored claimed by this process until then."""
        self._submit(("reply", reply_id), self._reply, reply_id, lease)

    def submit_outgoing(self, outgoing_id: int) -> None:
        self._submit(("outgoing", outgoing_id), self.service.deliver, outgoing_id)

    def _submit(self, key: tuple[str, int], function, *arguments) -> None:
        with self._lock:
            if key in self._queued:
                return
            self._queued.add(key)
        try:
            self.pool.submit(self._run, key, function, *arguments)
        except RuntimeError:  # shutting down: the next start's sweep picks it up
            with self._lock:
                self._queued.discard(key)

    def _run(self, key: tuple[str, int], function, *arguments) -> None:
        try:
            self._guard(function, *arguments)
        finally:
            with self._lock:
                self._queued.discard(key)

    def submit_email(self, notification_id: int) -> None:
        self._submit(("email", notification_id), self.service.deliver_email, notification_id)

    def _reply(self, reply_id: int, lease: float | None = None) -> None:
        work = self.service.handle_reply(reply_id, lease)
        for notification_id in work.emails:  # e-mails in parallel: they never delay answers
            self.submit_email(notification_id)
        for outgoing_id in work.sms:  # queued claimed by this worker: it sends them
            self.service.deliver(outgoing_id, work.leases.get(outgoing_id))

    def _guard(self, function, *args) -> None:
        try:
            function(*args)
        except Exception:  # logged; the sweeper retries what is still unfinished
            log.exception("background work failed")

    def _sweep_loop(self) -> None:
        self._guard(self.sweep)  # at start: finish what a crash left
        while not self._stop.wait(self.sweep_seconds):
            self._guard(self.sweep)

    def sweep(self) -> None:
        """Submit what is due and unclaimed; leases keep two processes from doing it twice."""
        now = time.time()
        store = self.service.store
        for reply_id in store.due_replies(now):
            self.submit_reply(reply_id)
        for outgoing_id in store.due_outgoing(now):
            self.submit_outgoing(outgoing_id)
        for notification_id in store.due_notifications(now):
            self.submit_email(notification_id)
