"""This process's CPU time by part of a reply's life, so the bench can tell where time goes.

The background work marks what it is doing — ``handle`` (claim the reply, run its action,
record the outcome), ``send`` (claim the answer, hand it to the provider, record it) and,
inside ``handle``, ``spawn`` (start a CGI script, feed it, read it, reap it: our side of
the script; the script's own CPU is the process's children's) — and each part is charged
the calling thread's CPU time (``time.thread_time``: about a microsecond a reading). A
part entered inside another stops the outer one's clock until it ends, so no CPU is counted
twice. Whatever is not marked — gunicorn, Flask and the callback that receives the reply —
is the process's CPU time minus these parts (the bench works it out as ``receive``).

With ``server.cpu_ledger`` set to a folder, each process writes its totals there as it
stops (``<pid>.json``, seconds by part); otherwise nothing is written.

Example::

    with spending("send"):
        provider.send(sms)
    totals()  # {"handle": 1.92, "send": 0.81, "spawn": 0.0}
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

PARTS = ("handle", "send", "spawn")

_lock = threading.Lock()
_totals = dict.fromkeys(PARTS, 0.0)
_local = threading.local()  # this thread's open parts: [(part, clock started), ...]


def _charge(part: str, since: float, now: float) -> None:
    with _lock:
        _totals[part] += now - since


@contextmanager
def spending(part: str) -> Iterator[None]:
    """Charge this thread's CPU time to ``part`` while the block runs."""
    stack = _local.__dict__.setdefault("stack", [])
    now = time.thread_time()
    if stack:  # pause the outer part
        outer, since = stack[-1]
        _charge(outer, since, now)
    stack.append((part, now))
    try:
        yield
    finally:
        part, since = stack.pop()
        now = time.thread_time()
        _charge(part, since, now)
        if stack:  # resume the outer part
            stack[-1] = (stack[-1][0], now)


def totals() -> dict[str, float]:
    with _lock:
        return dict(_totals)


def write(folder: str | Path) -> Path | None:
    """Write this process's totals to ``folder/<pid>.json`` (nothing if ``folder`` is empty)."""
    if not folder:
        return None
    path = Path(folder) / f"{os.getpid()}.json"
    path.write_text(json.dumps(totals()))
    return path
