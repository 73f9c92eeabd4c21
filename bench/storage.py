"""Storage faults: the database's disk fills up, or turns read-only, in the middle of replies.

The database lives on a small tmpfs mounted for the run (root only; skipped otherwise).
While it is broken, callbacks must get a clear ``503 storage_unavailable`` (nothing was
committed, so nothing is acknowledged and the provider posts again) and the server must
keep running; once repaired, every reply — acknowledged before, or re-posted — is answered
exactly once.

Example::

    storage_fault(Path(tmp), 1000, "full")  # {"during_fault": {"503": 742, ...}, "lost": 0}
"""

from __future__ import annotations

import asyncio
import contextlib
import subprocess
from collections import Counter
from pathlib import Path

from testkit.dataset import open_conversations
from testkit.load import fire
from testkit.scenario import callbacks, post, retry_until_acknowledged, start, tally
from testkit.sink import SinkProcess


def _run(*command: str) -> bool:
    return subprocess.run(command, capture_output=True).returncode == 0


def _fill(directory: Path) -> None:
    """Write zeros into ``directory`` until the disk is full."""
    with contextlib.suppress(OSError), (directory / "filler").open("wb") as filler:
        while True:
            filler.write(b"\0" * 65536)
            filler.flush()


def storage_fault(workdir: Path, replies: int, mode: str) -> dict:
    """``full``: the disk fills while smsreply runs. ``read-only``: smsreply is restarted on a
    read-only file system (a running one keeps its files open, so the kernel refuses to
    remount under it): it must refuse to start with a clear message."""
    mount = workdir / "disk"
    mount.mkdir()
    if not _run("mount", "-t", "tmpfs", "-o", "size=96m", "tmpfs", str(mount)):
        return {"skipped": "cannot mount a tmpfs here (needs root)"}
    try:
        with SinkProcess() as sink:
            server = start(workdir, sink, mount / "smsreply.db")
            targets = open_conversations(mount / "smsreply.db", replies)
            acked = post(server, targets[: replies // 4], "d")
            broken = targets[replies // 4 :]
            if mode == "full":
                _fill(mount)
                shots = asyncio.run(
                    fire(
                        "127.0.0.1", server.port, callbacks(server, broken, "d"), 16, keep_body=True
                    )
                )
                acked |= {broken[shot.index].tag for shot in shots if shot.status == 200}
                (mount / "filler").unlink()
                seen = {
                    "during_fault": dict(Counter(str(shot.status) for shot in shots)),
                    "error": next((s.body for s in shots if s.status == 503), b"").decode()[:160],
                    "server_kept_running": server.process.poll() is None,
                }
            else:
                server.stop()
                _run("mount", "-o", "remount,ro", str(mount))
                seen = {"error": _refused_start(server)}
                _run("mount", "-o", "remount,rw", str(mount))
                server.start()
            reposted = retry_until_acknowledged(server, targets, acked, "d")
            result = tally(sink, 0, targets, acked)
            server.stop()
    finally:
        _run("umount", "-l", str(mount))
    return result | seen | {"reposted": reposted}


def _refused_start(server) -> str:
    """Start on the read-only database: the last line gunicorn logged when it gave up."""
    try:
        server.start(timeout=20)
    except RuntimeError as error:
        lines = [line for line in str(error).splitlines() if "readonly" in line or "Error" in line]
        return (lines[-1] if lines else str(error).splitlines()[-1])[:200]
    server.stop()
    return "started anyway"
