"""This process's CPU time by part of a reply's life, so the bench can tell where time goes.

The code marks what it is doing — ``callback`` (the callback view: read the reply, store it
in its transaction), ``handle`` (claim the reply, run its action, record the outcome),
``send`` (claim the answer, hand it to the provider, record it) and, inside ``handle``,
``spawn`` (start a CGI script, feed it, read it, reap it: our side of the script; the
script's own CPU is the process's children's) — and each part is charged the calling
thread's CPU time (``time.thread_time``: about a microsecond a reading). A part entered
inside another stops the outer one's clock until it ends, so no CPU is counted twice.
Whatever is not marked — gunicorn and Flask around the view, the sweeper — is the
process's CPU time minus these parts; the bench adds it to ``callback`` as ``receive``.

With ``server.cpu_ledger`` set to a folder, each gunicorn worker counts (``enable()``) and
writes its totals there as it stops (``<pid>.json``, seconds by part); otherwise nothing is
counted or written.

Example::

    enable()
    with spending("send"):
        provider.send(sms)
    totals()  # {"handle": 1.92, "send": 0.81, "spawn": 0.0}
"""

from __future__ import annotations

import functools
import json
import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

F = TypeVar("F", bound=Callable)
PARTS = ("callback", "handle", "send", "spawn")

_enabled = False
_lock = threading.Lock()  # guards the list of threads' ledgers, not the counting
_ledgers: list[dict[str, float]] = []
_local = threading.local()  # this thread's ledger and open parts


def _this_thread() -> threading.local:
    if not hasattr(_local, "ledger"):
        _local.ledger, _local.stack = dict.fromkeys(PARTS, 0.0), []
        with _lock:
            _ledgers.append(_local.ledger)
    return _local


def enable() -> None:
    """Count from now on in this process (the server does when ``server.cpu_ledger`` is set:
    a production server pays no clock readings for figures nobody reads)."""
    global _enabled
    _enabled = True


@contextmanager
def spending(part: str) -> Iterator[None]:
    """Charge this thread's CPU time to ``part`` while the block runs (once enabled)."""
    if not _enabled:
        yield
        return
    mine = _this_thread()
    ledger, stack = mine.ledger, mine.stack  # this thread's alone: no lock to count
    now = time.thread_time()
    if stack:  # pause the outer part
        outer, since = stack[-1]
        ledger[outer] += now - since
    stack.append((part, now))
    try:
        yield
    finally:
        part, since = stack.pop()
        now = time.thread_time()
        ledger[part] += now - since
        if stack:  # resume the outer part
            stack[-1] = (stack[-1][0], now)


def charged(part: str) -> Callable[[F], F]:
    """Decorate a function so that its calls are charged to ``part``."""

    def decorate(function: F) -> F:
        @functools.wraps(function)
        def wrapper(*args, **kwargs):
            with spending(part):
                return function(*args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorate


def totals() -> dict[str, float]:
    """This process's CPU seconds by part, over all its threads (a sum of their ledgers)."""
    with _lock:
        ledgers = list(_ledgers)
    return {part: sum(ledger[part] for ledger in ledgers) for part in PARTS}


def write(folder: str | Path) -> Path | None:
    """Write this process's totals to ``folder/<pid>.json`` (nothing if ``folder`` is empty)."""
    if not folder:
        return None
    path = Path(folder) / f"{os.getpid()}.json"
    path.write_text(json.dumps(totals()))
    return path
