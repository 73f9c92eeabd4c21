"""The background work of one process: worker threads, a sweeper, and the OVH poller.

Nothing starts it at import or when the app is built. Under gunicorn, each worker process
starts its own from the ``post_worker_init`` hook (``config/gunicorn.conf.py``: after the
fork, so it is safe with ``preload_app``); ``smsreply worker`` runs the same in a process of
its own, on any host that reaches the database, until SIGTERM or SIGINT.

``worker.threads`` threads take jobs from the service's ``WorkQueue`` — what this process
just stored, already claimed — and run them through the work engine (``work.py``). The
sweeper, every ``worker.sweep_seconds`` (at once while there is a backlog), claims the due
jobs no one holds — new work stored by processes without workers, retries that came due,
work a dead process left when its lease ran out — as many as the threads can start soon.

Example::

    background = Background(service).start()
    ...
    background.stop()
"""

from __future__ import annotations

import logging
import threading
import time

from ..monitoring import metrics
from ..service import Service
from ..store import storage_errors
from .polling import Poller
from .work import KINDS

log = logging.getLogger(__name__)


class Background:
    def __init__(self, service: Service) -> None:
        settings = service.settings
        self.service = service
        self.threads = settings["worker.threads"]
        self.sweep_seconds = settings["worker.sweep_seconds"]
        self.queue = service.work_queue
        self._stop = threading.Event()
        self._slot_freed = threading.Event()
        self._running: list[threading.Thread] = []
        self._busy = 0
        self._busy_lock = threading.Lock()
        self._turn = 0
        self._backlog = False  # the last sweep claimed all it could: more is due
        self.poller = Poller(service, settings["ovh.poll_seconds"])
        self.storage_errors = storage_errors()

    @property
    def wanted(self) -> bool:
        return self.threads > 0 or Poller.wanted(self.service)

    def start(self) -> Background:
        if self.threads > 0:
            self.queue.open()
            for number in range(self.threads):
                self._spawn(self._work_loop, f"smsreply-worker-{number + 1}")
            self._spawn(self._sweep_loop, "smsreply-sweeper")
        if Poller.wanted(self.service):
            self.poller.start()
        return self

    def stop(self, timeout: float = 10.0) -> None:
        """Finish the jobs running (up to ``timeout``); queued ones wait for their lease."""
        if self._stop.is_set():
            return
        self._stop.set()
        self.poller.stop()
        if self.threads > 0:
            self.queue.close()
        deadline = time.monotonic() + timeout
        for thread in self._running:
            thread.join(max(deadline - time.monotonic(), 0))

    def wait(self) -> None:
        """Block until ``stop()`` is called (from a signal handler, for ``smsreply worker``)."""
        while not self._stop.wait(1.0):
            pass

    def _spawn(self, target, name: str) -> None:
        thread = threading.Thread(target=target, name=name, daemon=True)
        thread.start()
        self._running.append(thread)

    def _work_loop(self) -> None:
        engine = self.service.engine
        while not self._stop.is_set():
            job = self.queue.take(timeout=0.5)
            if job is None:
                continue
            with self._busy_lock:
                self._busy += 1
            try:
                for notification_id in engine.run(job):
                    self.queue.submit("email", notification_id)
            except Exception as error:  # logged; the sweeper retries what is still unfinished
                log.exception("background work failed: %s #%s", job.kind, job.id)
                if isinstance(error, self.storage_errors):
                    metrics.database_error("worker")
            finally:
                with self._busy_lock:
                    self._busy -= 1
                if self._backlog and len(self.queue) < self.threads:
                    self._slot_freed.set()  # the sweeper refills the queue

    def _sweep_loop(self) -> None:
        while not self._stop.is_set():
            try:
                backlog = self.sweep()
            except Exception as error:  # the database is busy or down: the next sweep tries
                log.exception("sweeping for due work failed")
                if isinstance(error, self.storage_errors):
                    metrics.database_error("worker")
                backlog = False
            if backlog:  # more is due: sweep again as soon as a thread is free
                self._slot_freed.wait(self.sweep_seconds)
                self._slot_freed.clear()
            else:
                self._stop.wait(self.sweep_seconds)

    def sweep(self) -> bool:
        """Claim due jobs for the free threads (twice as many: they start without a wait),
        each kind first in turn so that none waits behind another's backlog; True when
        more may be due."""
        self._turn = (self._turn + 1) % len(KINDS)
        for kind in KINDS[self._turn :] + KINDS[: self._turn]:
            free = 2 * self.threads - self._busy - len(self.queue)
            if free <= 0:  # enough to do for now; a backlog stays one
                return self._backlog
            jobs = self.service.engine.claim_due(kind, free)
            for job in jobs:
                self.queue.submit(job.kind, job.id, job.lease)
            if len(jobs) == free:
                self._backlog = True
                return True
        self._backlog = False
        return False


def start_for_app(app: object) -> Background | None:
    """The background work of a Flask app built by ``create_app`` (None for another app:
    the bench serves an empty one with the same gunicorn settings)."""
    service = getattr(app, "extensions", {}).get("smsreply")
    if not isinstance(service, Service):
        return None
    background = Background(service)
    return background.start() if background.wanted else None
