"""A burst of replies against smsreply with its provider on the sink, and the answers counted.

``start`` gives a server with short leases and quick retries, answering every reply with a
text; ``sink_settings`` points any server's provider at the sink (``make run``'s settings
otherwise); ``callbacks`` builds the OVH-shaped callbacks for a list of conversations;
``post`` returns the tags of the replies acknowledged (200); ``replies_stored`` counts the
replies stored; ``retry_until_acknowledged`` re-posts the others as the provider would;
``wait_for_answers`` and ``tally`` wait for the answers at the sink and count lost,
duplicated and resent. The bench's measured phases and fault runs, and the tests of
crashes and of two hosts, all stand on these.

Example::

    server = start(tmp, sink, tmp / "sms.db")
    acked = post(server, targets, "a")
    tally(sink, 0, targets, acked)  # {"lost": 0, "duplicated": 0, ...}
"""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path
from urllib.parse import urlencode

from .dataset import Target
from .gunicorn import Gunicorn
from .load import fire
from .sink import ANSWER, SinkProcess
from .wire import request

TEXT_ANSWER = {"action": "text", "text": ANSWER}

# What the sink needs to pair answers with replies: the conversation tag and our SMS id.
SEND_FIELDS = {
    "to": "{to}",
    "from": "{shortcode}",
    "content": "{message}",
    "tag": "{tag}",
    "id": "{id}",
}


def sink_settings(database: Path | str, sink_url: str, **more: object) -> dict[str, object]:
    """smsreply's settings with the ``http`` provider on the sink; ``make run``'s otherwise.

    ``database``: an SQLite file, or a ``postgresql://`` URL.
    """
    postgres = str(database).startswith("postgresql://")
    return {
        **({"database.url": database} if postgres else {"database.path": database}),
        "provider.name": "http",
        "http.send_url": f"{sink_url}/send",
        "http.send_fields": json.dumps(SEND_FIELDS),
        **more,
    }


def callbacks(
    server: Gunicorn, targets: list[Target], label: str, message: str = "OUI"
) -> list[bytes]:
    """One OVH-shaped reply callback per target, as raw requests for ``load.fire``."""
    host = f"127.0.0.1:{server.port}"
    return [
        request(
            "POST",
            server.callback_path,
            host,
            urlencode(
                {
                    "shortcode": target.shortcode,
                    "tag": target.tag,
                    "id": f"{label}-{target.conversation_id}",  # the same when re-posted
                    "senderid": target.recipient,
                    "message": message,
                }
            ).encode(),
        )
        for target in targets
    ]


def wait_for_answers(sink, start: int, expected: int, idle: float, limit: float) -> int:
    """Poll the sink until ``expected`` answers arrived after record ``start``, or none came
    for ``idle`` seconds, or ``limit`` passed; return how many arrived."""
    deadline, last_change, seen = time.monotonic() + limit, time.monotonic(), -1
    while time.monotonic() < deadline:
        arrived = sink.stats()["accepted"] - start
        if arrived >= expected:
            return arrived
        if arrived != seen:
            seen, last_change = arrived, time.monotonic()
        elif time.monotonic() - last_change > idle:
            break
        time.sleep(0.02)
    return sink.stats()["accepted"] - start


FAST = {"worker.lease_seconds": 2, "worker.sweep_seconds": 0.5, "log.level": "WARNING"}
RETRIES = {"worker.retry_base_seconds": 0.25, "worker.max_attempts": 10, "http.timeout": 1}


def start(workdir: Path, sink: SinkProcess, database: Path | str, **settings: object) -> Gunicorn:
    """A fresh smsreply answering every reply with a text, its provider on ``sink``.

    ``database``: an SQLite file or a ``postgresql://`` URL (the host's local files, such
    as the CGI slots, then go in ``workdir``).
    """
    env = {"database.path": workdir / "smsreply.db"}
    env |= sink_settings(database, sink.url, **FAST, **RETRIES, **settings)
    initialised = Gunicorn(workdir, env).init()
    server = Gunicorn(workdir, env)
    server.api_key, server.callback_path = initialised.api_key, initialised.callback_path
    server.start()
    server.put_options(TEXT_ANSWER)
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


def replies_stored(store) -> int:
    """How many replies the database holds (to strike in the middle of a burst)."""
    return store.query("SELECT count(*) AS n FROM replies")[0]["n"]


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
