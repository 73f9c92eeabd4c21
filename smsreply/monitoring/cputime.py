"""This process's CPU time by part of a reply's life, so the bench can tell where time goes.

An instrumentation layer, off unless the bench turns it on: the domain code imports
nothing of it. ``instrument()`` wraps the functions named in ``PROBES`` at start-up (as
OpenTelemetry's instrumentors wrap a library's functions) — ``callback`` (the callback
view: read the reply, store it in its transaction), ``handle`` (a reply handled in the
callback's transaction, or by a worker: claim it, run its action, record the outcome),
``send`` (claim the answer, hand it to the provider, record it) and ``spawn`` (start a CGI
script, feed it, read it, reap it: our side of the script; the script's own CPU is the
process's children's). Each call is charged the calling thread's CPU time
(``time.thread_time``: about a microsecond a reading). A part entered inside another stops
the outer one's clock until it ends, so no CPU is counted twice. Whatever is not wrapped —
gunicorn and Flask around the view, the sweeper — is the process's CPU time minus these
parts; the bench adds it to ``callback`` as ``receive``.

Reading a thread's CPU clock is a system call, and reading it around every part of every
reply made the server measurably slower than without (8–10 % of its CPU on this VM): a
measurement must not move what it measures. So a thread may count one **episode** in
``every``, drawn at random — an outermost part with everything nested in it — and charge it
``every`` times:
over the thousands of replies of a bench run the shares are the same, for a ``every``-th of
the clock readings.

With ``server.cpu_ledger`` set to a folder, each gunicorn worker instruments itself as it
starts (``instrument_server``: one episode in eight) and writes its totals there as it
stops (``<pid>.json``, seconds by part); otherwise nothing is wrapped, counted or written:
a production server runs the unwrapped code.

Example::

    instrument()  # every episode; the server counts one in SERVER_EVERY
    service.drain()
    totals()  # {"callback": 0.0, "handle": 1.92, "send": 0.81, "spawn": 0.0}
    uninstrument()
"""

from __future__ import annotations

import functools
import importlib
import json
import logging
import os
import random
import threading
import time
from collections.abc import Callable, Mapping
from contextlib import nullcontext
from pathlib import Path
from typing import TypeVar

F = TypeVar("F", bound=Callable)
log = logging.getLogger(__name__)
PARTS = ("callback", "handle", "send", "spawn")
SERVER_EVERY = 8  # the server counts one episode in eight (see above)

# What instrument() wraps: (module, function or Class.method, part). Each is a function of
# its own so that it can be wrapped (the spawn section is ``CgiGateway.spawn``), and each is
# called through its module or class, so the wrapper is what runs.
PROBES = (
    ("smsreply.web.callbacks", "reply", "callback"),
    ("smsreply.handling", "handle_now", "handle"),
    ("smsreply.engine.work", "Engine.handle_reply", "handle"),
    ("smsreply.engine.work", "Engine.send_sms", "send"),
    ("smsreply.cgi.gateway", "CgiGateway.spawn", "spawn"),
)

_enabled = False
_every = 1
_lock = threading.Lock()  # guards the threads' ledgers list and the probes, not the counting
_ledgers: list[dict[str, float]] = []
_local = threading.local()  # this thread's ledger and open parts
_NOTHING = nullcontext()
_originals: dict[str, tuple[object, str, Callable]] = {}  # "module:name" → where, what was


def _this_thread() -> threading.local:
    if not hasattr(_local, "ledger"):
        _local.ledger, _local.stack = dict.fromkeys(PARTS, 0.0), []
        _local.depth = 0
        with _lock:
            _ledgers.append(_local.ledger)
    return _local


def instrument(every: int = 1) -> list[str]:
    """Wrap the ``PROBES`` so that each call is charged to its part, and count from now on in
    this process, one episode in ``every``; the probes wrapped, as ``module:name``."""
    global _enabled, _every
    with _lock:
        for module_name, name, part in PROBES:
            probe = f"{module_name}:{name}"
            if probe in _originals:
                continue
            owner = importlib.import_module(module_name)
            *path, attribute = name.split(".")
            for step in path:
                owner = getattr(owner, step)
            original = vars(owner).get(attribute)
            if original is None:
                raise LookupError(f"CPU probe {probe}: no such function (update PROBES)")
            setattr(owner, attribute, charged(part)(original))
            _originals[probe] = (owner, attribute, original)
        _enabled, _every = True, max(int(every), 1)
        return sorted(_originals)


def instrument_server(settings: Mapping[str, object]) -> list[str]:
    """At a gunicorn worker's start: the probes, counting one episode in ``SERVER_EVERY``,
    when ``server.cpu_ledger`` is set (the bench), said in the log; otherwise nothing (a
    production server pays no clock readings for figures nobody reads)."""
    if not settings["server.cpu_ledger"]:
        return []
    probes = instrument(SERVER_EVERY)
    log.warning("server.cpu_ledger is set: CPU probes on %s (for the bench)", ", ".join(probes))
    return probes


def uninstrument() -> None:
    """Put the original functions back and stop counting (the totals so far stay)."""
    global _enabled
    with _lock:
        for owner, attribute, original in _originals.values():
            setattr(owner, attribute, original)
        _originals.clear()
        _enabled = False


def instrumented() -> list[str]:
    """The probes wrapped now, as ``module:name`` (none unless ``instrument`` ran)."""
    with _lock:
        return sorted(_originals)


class _Part:
    """Charge this thread's CPU time to a part while the block runs (see ``spending``)."""

    __slots__ = ("part", "mine", "counted")

    def __init__(self, part: str) -> None:
        self.part = part

    def __enter__(self) -> None:
        mine = self.mine = _this_thread()
        if mine.depth == 0:  # an episode starts: is it one we count? Drawn at random, not
            # every n-th: a worker thread alternates handle and send episodes, and counting
            # every 8th would count only one of the two.
            mine.counting = _every == 1 or random.random() * _every < 1
        mine.depth += 1
        self.counted = mine.counting
        if not self.counted:
            return
        stack = mine.stack  # this thread's alone: no lock to count
        now = time.thread_time()
        if stack:  # pause the outer part
            outer, since = stack[-1]
            mine.ledger[outer] += (now - since) * _every
        stack.append((self.part, now))

    def __exit__(self, *exc: object) -> None:
        mine = self.mine
        mine.depth -= 1
        if not self.counted:
            return
        stack = mine.stack
        part, since = stack.pop()
        now = time.thread_time()
        mine.ledger[part] += (now - since) * _every
        if stack:  # resume the outer part
            stack[-1] = (stack[-1][0], now)


def spending(part: str) -> _Part | nullcontext:
    """Charge this thread's CPU time to ``part`` while the block runs (once instrumented); a
    part inside another pauses the outer one."""
    return _Part(part) if _enabled else _NOTHING


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
