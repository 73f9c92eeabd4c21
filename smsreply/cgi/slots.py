"""``ConcurrencyCap``: at most N customer scripts at once, across every server process.

Each slot is a file locked with ``flock`` in a shared directory, so the cap holds for all
gunicorn workers together, and a worker that dies drops its locks with its file
descriptors: no slot ever leaks.

Example::

    cap = ConcurrencyCap(Path("var/cgi-slots"), slots=8)
    slot = cap.acquire(time.monotonic() + 5)
    if slot is not None:
        try:
            run()
        finally:
            cap.release(slot)
"""

from __future__ import annotations

import fcntl
import os
import threading
import time
from pathlib import Path

from .scripts import CgiConfigError


class ConcurrencyCap:
    """At most ``slots`` scripts at once across every process sharing ``lock_dir``.

    Each slot is a file locked with ``flock``; the kernel drops the lock when a
    worker dies, so a crashed worker never leaks a slot. A semaphore first keeps
    this process's threads from spinning over slots it already holds.
    """

    def __init__(self, lock_dir: Path | None, slots: int) -> None:
        if slots < 1:
            raise ValueError("max_running must be at least 1")
        self.lock_dir, self.slots = lock_dir, slots
        if lock_dir is not None:
            Path(lock_dir).mkdir(mode=0o700, parents=True, exist_ok=True)
        self._reset()

    def _reset(self) -> None:
        # Also called in a forked child: inherited locks and fds belong to the parent.
        for fd in getattr(self, "_fds", ()):
            if fd is not None:
                os.close(fd)  # closing (not LOCK_UN) leaves the parent's lock alone
        self._pid = os.getpid()
        self._semaphore = threading.BoundedSemaphore(self.slots)
        self._taken = [threading.Lock() for _ in range(self.slots)]
        self._fds: list[int | None] = [None] * self.slots

    def acquire(self, deadline: float) -> int | None:
        """Return a slot number, or None if none freed up before ``deadline`` (monotonic)."""
        if os.getpid() != self._pid:
            self._reset()
        if not self._semaphore.acquire(timeout=max(deadline - time.monotonic(), 0)):
            return None
        delay, slot = 0.001, None
        try:
            while (slot := self._first_free()) is None:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                time.sleep(min(delay, remaining))
                delay = min(delay * 2, 0.01)
        except OSError as problem:
            self._semaphore.release()
            raise CgiConfigError(f"cannot lock a slot in {self.lock_dir}: {problem}") from None
        if slot is None:
            self._semaphore.release()
        return slot

    def release(self, slot: int) -> None:
        fd = self._fds[slot]
        if fd is not None:
            fcntl.flock(fd, fcntl.LOCK_UN)
        self._taken[slot].release()
        self._semaphore.release()

    def _first_free(self) -> int | None:
        for slot in range(self.slots):
            if not self._taken[slot].acquire(blocking=False):
                continue
            if self.lock_dir is None:
                return slot
            try:
                if self._fds[slot] is None:
                    path = os.path.join(self.lock_dir, f"cgi-slot-{slot}.lock")
                    self._fds[slot] = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
                fcntl.flock(self._fds[slot], fcntl.LOCK_EX | fcntl.LOCK_NB)
                return slot
            except OSError as problem:
                self._taken[slot].release()
                if not isinstance(problem, BlockingIOError):  # Blocking: another worker has it
                    raise
        return None
