"""What every fault scenario does: start smsreply on the sink, post, re-post, count answers.

``start`` gives a server with short leases and quick retries; ``post`` returns the tags of
the replies acknowledged (200); ``retry_until_acknowledged`` re-posts the others as the
provider would; ``tally`` waits for the answers and counts lost, duplicated and resent.

Example::

    server = start(tmp, sink, tmp / "sms.db")
    acked = post(server, targets, "a")
    tally(sink, 0, targets, acked)  # {"lost": 0, "duplicated": 0, ...}
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from .actions import options, server_settings
from .dataset import Target
from .load import fire
from .run import callbacks, wait_for_answers
from .server import Gunicorn
from .sink import SinkProcess

FAST = {"worker.lease_seconds": 2, "worker.sweep_seconds": 0.5, "log.level": "WARNING"}
RETRIES = {"worker.retry_base_seconds": 0.25, "worker.max_attempts": 10, "http.timeout": 1}


def start(workdir: Path, sink: SinkProcess, database: Path | str, **settings: object) -> Gunicorn:
    """A fresh smsreply answering every reply with a text, its provider on ``sink``.

    ``database``: an SQLite file or a ``postgresql://`` URL (the host's local files, such
    as the CGI slots, then go in ``workdir``).
    """
    env = {"database.path": workdir / "smsreply.db"}
    env |= server_settings(database, sink.url, **FAST, **RETRIES, **settings)
    initialised = Gunicorn(workdir, env).init()
    server = Gunicorn(workdir, env)
    server.api_key, server.callback_path = initialised.api_key, initialised.callback_path
    server.start()
    server.put_options(options("text", sink.url))
    return server


def post(server: Gunicorn, targets: list[Target], label: str, concurrency: int = 32) -> set[str]:
    """Post one reply per target; return the tags of the replies answered 200."""
    shots = asyncio.run(
        fire("127.0.0.1", server.port, callbacks(server, targets, label), concurrency, timeout=10)
    )
    return {targets[shot.index].tag for shot in shots if shot.status == 200}


def retry_until_acknowledged(server, targets, acked: set[str], label: str, rounds=5) -> int:
    """Re-post the replies not yet acknowledged, as the provider does; return how many."""
    reposted = 0
    for _ in range(rounds):
        missing = [target for target in targets if target.tag not in acked]
        if not missing:
            break
        reposted += len(missing)
        acked |= post(server, missing, label)  # same provider ids: stored ones are duplicates
    return reposted


def tally(sink: SinkProcess, start: int, targets: list[Target], acked: set[str]) -> dict:
    """Answers at the sink for these targets: lost, duplicated, resent."""
    wait_for_answers(sink, start, len(acked), idle=15.0, limit=180.0)
    answers: dict[str, int] = {}
    for _, tag, _ in sink.records(start):
        answers[tag] = answers.get(tag, 0) + 1
    return {
        "replies": len(targets),
        "acknowledged": len(acked),
        "answered": sum(1 for tag in acked if tag in answers),
        "lost": sum(1 for tag in acked if tag not in answers),
        "duplicated": sum(1 for count in answers.values() if count > 1),
        "resent": sink.stats()["resent"],
    }
