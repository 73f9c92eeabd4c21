"""Two hosts, one PostgreSQL: no single machine to lose.

Two gunicorn instances run from two project folders (each with its own ``app.py``,
``config/`` and ``cgi-bin/``, as two machines would), on two ports, sharing one database
on the private PostgreSQL server. A burst of replies is spread over both; one host's whole
process group is killed (``kill -9``) in the middle; the provider re-posts what was not
acknowledged to the other host. Every acknowledged reply is answered exactly once, and the
work the dead host had claimed is finished by the survivor once its leases run out.
"""

from __future__ import annotations

import shutil
import threading
import time
from pathlib import Path

import pytest

from smsreply.store import Store
from testkit.dataset import open_conversations
from testkit.gunicorn import ROOT, Gunicorn
from testkit.scenario import (
    FAST,
    RETRIES,
    post,
    replies_stored,
    retry_until_acknowledged,
    sink_settings,
    tally,
)
from testkit.sink import SinkProcess
from tests.support.actions import write_script

pytestmark = pytest.mark.postgres  # make test runs these in its PostgreSQL run only

LEASE = 3.0
REPLIES = 240
ANSWER_SCRIPT = """#!/usr/bin/env python3
import os, sys
from urllib.parse import parse_qs
form = parse_qs(sys.stdin.buffer.read(int(os.environ.get("CONTENT_LENGTH") or 0)).decode())
message = form.get("message", [""])[0]
sys.stdout.write(f"Content-Type: text/plain; charset=utf-8\\r\\n\\r\\nMerci, {message}\\n")
"""


def project_copy(folder: Path) -> Path:
    """What one host holds: the gunicorn entry, the config and the customer's scripts."""
    folder.mkdir()
    shutil.copy(ROOT / "app.py", folder / "app.py")
    shutil.copytree(ROOT / "config", folder / "config")
    write_script(folder / "cgi-bin", "answer.py", ANSWER_SCRIPT)
    (folder / "handlers").mkdir()
    return folder


def host(tmp_path: Path, name: str, database: str, sink: SinkProcess) -> Gunicorn:
    project = project_copy(tmp_path / name)
    settings = sink_settings(database, sink.url, **FAST, **RETRIES)
    settings |= {
        "worker.lease_seconds": LEASE,
        "cgi.directory": "cgi-bin",  # relative: this host's own copy
        "handlers.directory": "handlers",
        "database.path": project / "var" / "unused.db",  # local files (CGI slots) only
    }
    return Gunicorn(project, settings, project=project)


def two_hosts(tmp_path: Path, database: str, sink: SinkProcess) -> tuple[Gunicorn, Gunicorn]:
    """Two hosts on one database, started: the first initialises it, and its API key and
    callback token serve both."""
    first, second = (
        host(tmp_path, "host-a", database, sink),
        host(tmp_path, "host-b", database, sink),
    )
    first.init()
    second.api_key, second.callback_path = first.api_key, first.callback_path
    first.start()
    second.start()
    return first, second


def claims(store: Store, now: float) -> dict[tuple[str, int], float]:
    """Replies and answers claimed (leased) and unfinished at ``now``: their lease, by row."""
    found = {}
    for table, unfinished in (("replies", "'pending'"), ("outgoing", "'queued', 'sending'")):
        rows = store.query(
            f"SELECT id, conversation_id, lease_until FROM {table} "
            f"WHERE status IN ({unfinished}) AND lease_until > ?",
            (now,),
        )
        found |= {(table, row["conversation_id"]): row["lease_until"] for row in rows}
    return found


def wait_for_takeover(store: Store, orphans: dict, started: float) -> float:
    """Seconds until every orphan is finished or claimed again (a new lease)."""
    while time.monotonic() - started < 120:
        now = claims(store, 0)
        if not any(now.get(key) == lease for key, lease in orphans.items()):
            return time.monotonic() - started
        time.sleep(0.1)
    return float("inf")


def test_a_host_killed_mid_burst_loses_and_doubles_nothing(tmp_path, postgres_url):
    store = Store(url=postgres_url)
    with SinkProcess() as sink:
        first, second = two_hosts(tmp_path, postgres_url, sink)
        first.put_options({"action": "cgi", "script": "answer.py"})  # each host runs its own copy
        targets = open_conversations(postgres_url, REPLIES)
        acked: set[str] = set()
        halves = [targets[0::2], targets[1::2]]
        bursts = [
            threading.Thread(target=lambda s=server, h=half: acked.update(post(s, h, "t", 16)))
            for server, half in zip((first, second), halves, strict=True)
        ]
        for burst in bursts:
            burst.start()
        while replies_stored(store) < REPLIES // 3 and any(b.is_alive() for b in bursts):
            time.sleep(0.01)
        first.kill9()  # the master and its workers, at once: the machine is gone
        killed_at = time.monotonic()
        orphans = claims(store, time.time())
        taken_over = wait_for_takeover(store, orphans, killed_at)
        for burst in bursts:
            burst.join()
        reposted = retry_until_acknowledged(second, targets, acked, "t")
        result = tally(sink, 0, targets, acked)
        arrivals = {tag: at for at, tag, _ in reversed(sink.records(0))}  # first arrival
        second.stop()
    by_conversation = {target.conversation_id: target.tag for target in targets}
    finished = [arrivals[by_conversation[cid]] - killed_at for _, cid in orphans]
    store.close()
    assert result["acknowledged"] == REPLIES and reposted > 0, result
    assert result["lost"] == 0 and result["duplicated"] == 0, result
    assert orphans and len(finished) == len(orphans)  # the dead host's work, all answered
    # Taken over once the leases ran out (LEASE s), not later; the slack is for a busy machine.
    assert taken_over < LEASE + 15, (taken_over, result)
    print(
        f"\ntwo hosts: {result}; {len(orphans)} claimed at the kill, all taken over "
        f"{taken_over:.1f} s after it, last answered {max(finished):.1f} s (lease {LEASE} s)"
    )
